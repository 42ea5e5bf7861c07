// The filesystem spool: one directory per queue state, one file per message (see
// queue-file.ts), the mutable delivery state beside it in state/. A message is acknowledged
// only after its file is fdatasync'ed and its directory entry is fsync'ed (group-committed).
import { mkdir, open, readdir, rename, unlink, readFile, writeFile, rm, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { join } from 'node:path';
import type { Logger } from '../util/log.js';
import { newQueueId } from './queue-id.js';
import { encodeTrailer, readQueueFile, TRAILER_LENGTH, type QueueFileInfo } from './queue-file.js';
import { DirectorySync } from './group-sync.js';
import { QUEUE_NAMES, type DeliveryState, type Envelope, type QueueName } from './types.js';

export { CorruptQueueFileError } from './queue-file.js';

/** Bytes kept in memory before a message being received is written out. */
const WRITE_BUFFER_LIMIT = 256 * 1024;

export interface MessageWriter {
  readonly id: string;
  /** Appends message bytes. */
  write(chunk: Buffer): Promise<void>;
  /** Makes the message durable and queues it in "incoming"; only then may the client hear 250. */
  commit(envelope: Omit<Envelope, 'id' | 'size'>): Promise<Envelope>;
  /** Discards the partial message. */
  abort(): Promise<void>;
}

export class Spool {
  private readonly syncs = new Map<string, DirectorySync>();

  constructor(
    readonly dir: string,
    private readonly log: Logger,
  ) {
    for (const q of [...QUEUE_NAMES, 'state']) this.syncs.set(q, new DirectorySync(join(dir, q)));
  }

  async init(): Promise<void> {
    for (const q of [...QUEUE_NAMES, 'state']) await mkdir(join(this.dir, q), { recursive: true });
  }

  path(queue: QueueName, id: string): string {
    return join(this.dir, queue, id);
  }

  private statePath(id: string): string {
    return join(this.dir, 'state', `${id}.json`);
  }

  /** Directory fsync statistics (how well group commit batches). */
  syncStats(): { syncs: number; callers: number } {
    const s = this.syncs.get('incoming')?.stats;
    return { syncs: s?.syncs ?? 0, callers: s?.callers ?? 0 };
  }

  async startMessage(): Promise<MessageWriter> {
    const id = newQueueId();
    const path = this.path('incoming', id);
    const fh = await open(path, 'wx');
    return new SpoolWriter(id, path, fh, () => this.syncDir('incoming'));
  }

  /** Queues a message Sekimori made itself (a bounce, a release), durably. */
  async enqueueLocal(envelope: Omit<Envelope, 'id' | 'size'>, message: Buffer): Promise<Envelope> {
    const writer = await this.startMessage();
    try {
      await writer.write(message);
      return await writer.commit(envelope);
    } catch (e) {
      await writer.abort();
      throw e;
    }
  }

  syncDir(queue: QueueName | 'state'): Promise<void> {
    const s = this.syncs.get(queue);
    if (!s) throw new Error(`unknown queue ${queue}`);
    return s.sync();
  }

  /** Moves a message between queues. With durable=true the move survives a power loss too. */
  async move(id: string, from: QueueName, to: QueueName, durable = false): Promise<void> {
    await rename(this.path(from, id), this.path(to, id));
    if (durable) await this.syncDir(to);
  }

  async list(queue: QueueName): Promise<string[]> {
    const names = await readdir(join(this.dir, queue));
    return names.filter((n) => !n.startsWith('.')).sort();
  }

  /** Which queue holds the message now, if any. */
  async locate(id: string): Promise<QueueName | undefined> {
    for (const q of QUEUE_NAMES) {
      try {
        await stat(this.path(q, id));
        return q;
      } catch {
        // not in this one
      }
    }
    return undefined;
  }

  read(queue: QueueName, id: string): Promise<QueueFileInfo> {
    return readQueueFile(this.path(queue, id));
  }

  /** Streams the message bytes (without the envelope). */
  openBody(queue: QueueName, id: string, bodyLength: number): Readable {
    if (bodyLength === 0) return createReadStream(this.path(queue, id), { start: 0, end: -1 });
    return createReadStream(this.path(queue, id), { start: 0, end: bodyLength - 1 });
  }

  async readBody(queue: QueueName, id: string, bodyLength: number): Promise<Buffer> {
    const fh = await open(this.path(queue, id), 'r');
    try {
      const buf = Buffer.alloc(bodyLength);
      await fh.read(buf, 0, bodyLength, 0);
      return buf;
    } finally {
      await fh.close();
    }
  }

  async readState(id: string): Promise<DeliveryState | undefined> {
    try {
      return JSON.parse(await readFile(this.statePath(id), 'utf8')) as DeliveryState;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      this.log.warn({ id, err: e }, 'unreadable delivery state; starting over for this message');
      return undefined;
    }
  }

  /** Replaces the delivery state atomically and durably (temp file, fsync, rename, dir fsync). */
  async writeState(id: string, state: DeliveryState): Promise<void> {
    const final = this.statePath(id);
    const tmp = `${final}.tmp`;
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(JSON.stringify(state));
      await fh.datasync();
    } finally {
      await fh.close();
    }
    await rename(tmp, final);
    await this.syncDir('state');
  }

  /** Removes a message and its state. Removing the message first means a crash leaves at most an orphan state file. */
  async remove(queue: QueueName, id: string): Promise<void> {
    await unlink(this.path(queue, id));
    await rm(this.statePath(id), { force: true });
  }

  /** Deletes state files whose message is gone (left by a crash between the two unlinks). */
  async removeOrphanStates(): Promise<number> {
    let removed = 0;
    for (const name of await readdir(join(this.dir, 'state'))) {
      const id = name.replace(/\.json(\.tmp)?$/, '');
      if (name.endsWith('.tmp') || !(await this.locate(id))) {
        await rm(join(this.dir, 'state', name), { force: true });
        removed++;
      }
    }
    return removed;
  }

  /** For tests and the CLI: writes a file as-is (used to mark messages). */
  async writeRaw(queue: QueueName, id: string, data: Buffer): Promise<void> {
    await writeFile(this.path(queue, id), data);
  }
}

class SpoolWriter implements MessageWriter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private written = 0;
  private done = false;

  constructor(
    readonly id: string,
    private readonly path: string,
    private readonly fh: FileHandle,
    private readonly syncDir: () => Promise<void>,
  ) {}

  async write(chunk: Buffer): Promise<void> {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= WRITE_BUFFER_LIMIT) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.pendingBytes === 0) return;
    const chunks = this.pending;
    const bytes = this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    await this.fh.writev(chunks);
    this.written += bytes;
  }

  async commit(partial: Omit<Envelope, 'id' | 'size'>): Promise<Envelope> {
    if (this.done) throw new Error('message already committed or aborted');
    const size = this.written + this.pendingBytes;
    const envelope: Envelope = { ...partial, id: this.id, size };
    this.pending.push(encodeTrailer(envelope));
    this.pendingBytes += this.pending[this.pending.length - 1]?.length ?? 0;
    try {
      await this.flush();
      await this.fh.datasync();
      await this.fh.close();
      await this.syncDir();
      this.done = true;
      return envelope;
    } catch (e) {
      // Not acknowledged, so not kept: the client will hear 4xx and send it again.
      await this.abort();
      throw e;
    }
  }

  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    this.pending = [];
    await this.fh.close().catch(() => undefined);
    await unlink(this.path).catch(() => undefined);
  }
}

export { TRAILER_LENGTH };
