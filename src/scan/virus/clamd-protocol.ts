// clamd's socket protocol, one command per connection: "z"-prefixed commands with NUL-terminated
// replies; INSTREAM sends the content as chunks each preceded by its length (4 bytes, big-endian)
// and ends with a zero-length chunk. Anything that keeps us from getting an answer (refused,
// no socket, timeout, connection dropped without a reply) is EngineUnavailableError: the
// caller defers the message rather than pass it unscanned.
import { createConnection, type Socket } from 'node:net';
import { EngineUnavailableError } from '../virus-engine.js';
import { formatClamdAddress, type ClamdAddress } from './antivirus-settings.js';

/** clamd reads chunks up to its StreamMaxLength in any size; 64 KB keeps memory flat. */
const CHUNK_SIZE = 64 * 1024;

export interface ClamdTimeouts {
  /** Milliseconds to open the connection. */
  connectTimeout: number;
  /** Milliseconds from the connection until the whole reply is in. */
  timeout: number;
}

export type InstreamReply =
  { kind: 'ok' } | { kind: 'found'; name: string } | { kind: 'error'; message: string; sizeLimit: boolean };

const ENGINE = 'clamd';

/**
 * clamd closed the connection while content was still being sent, and its reply was lost: over
 * TCP, the reset caused by our further writes can discard "INSTREAM size limit exceeded" before
 * we read it. The caller tells this apart from a crash by asking clamd whether it is alive.
 */
export class StreamDroppedError extends EngineUnavailableError {}

function unavailable(address: ClamdAddress, what: string): EngineUnavailableError {
  return new EngineUnavailableError(ENGINE, `clamd at ${formatClamdAddress(address)}: ${what}`);
}

function connect(address: ClamdAddress, timeoutMs: number, track?: Set<Socket>): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock =
      address.kind === 'unix'
        ? createConnection({ path: address.path })
        : createConnection({ host: address.host, port: address.port });
    track?.add(sock);
    sock.once('close', () => track?.delete(sock));
    const timer = setTimeout(() => {
      sock.destroy();
      reject(unavailable(address, `no connection within ${timeoutMs} ms`));
    }, timeoutMs);
    let connected = false;
    sock.once('connect', () => {
      connected = true;
      clearTimeout(timer);
      resolve(sock);
    });
    // Stays attached, so an error between here and the caller's own handler is never unhandled.
    sock.on('error', (err: NodeJS.ErrnoException) => {
      if (connected) return;
      clearTimeout(timer);
      sock.destroy();
      reject(unavailable(address, `cannot connect (${err.code ?? err.message})`));
    });
  });
}

/**
 * Sends one command (and, for INSTREAM, the content) and returns clamd's reply without its
 * terminating NUL. The reply may arrive before all content is sent (StreamMaxLength exceeded):
 * sending stops and the reply is returned.
 */
export async function clamdRequest(
  address: ClamdAddress,
  command: string,
  timeouts: ClamdTimeouts,
  content?: Buffer,
  track?: Set<Socket>,
): Promise<string> {
  const sock = await connect(address, timeouts.connectTimeout, track);
  return new Promise((resolve, reject) => {
    const received: Buffer[] = [];
    let settled = false;
    let socketError: string | undefined;

    const settle = (reply: string | undefined, error?: EngineUnavailableError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      if (reply !== undefined) resolve(reply);
      else reject(error ?? unavailable(address, 'no reply'));
    };
    const replySoFar = () => Buffer.concat(received);

    const timer = setTimeout(
      () => settle(undefined, unavailable(address, `no reply to ${command} within ${timeouts.timeout} ms`)),
      timeouts.timeout,
    );
    sock.on('data', (data: Buffer) => {
      received.push(data);
      const all = replySoFar();
      const nul = all.indexOf(0);
      if (nul >= 0) settle(all.subarray(0, nul).toString('utf8'));
    });
    // clamd may reply and close while we still write (size limit): the write then fails with
    // EPIPE/ECONNRESET, but the reply already read still counts.
    sock.on('error', (err: NodeJS.ErrnoException) => {
      socketError = err.code ?? err.message;
    });
    sock.on('close', () => {
      const all = replySoFar();
      if (all.length > 0) {
        settle(all.toString('utf8').replace(/\0.*$/s, ''));
        return;
      }
      const what = `connection closed without a reply${socketError ? ` (${socketError})` : ''}`;
      settle(
        undefined,
        content
          ? new StreamDroppedError(ENGINE, unavailable(address, what).message)
          : unavailable(address, what),
      );
    });

    sock.write(`z${command}\0`);
    if (content) void sendChunks(sock, content, () => settled);
  });
}

/** Writes the INSTREAM chunks with backpressure; stops as soon as the exchange is over. */
async function sendChunks(sock: Socket, content: Buffer, over: () => boolean): Promise<void> {
  for (let offset = 0; offset < content.length; offset += CHUNK_SIZE) {
    if (over() || sock.destroyed) return;
    const chunk = content.subarray(offset, offset + CHUNK_SIZE);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(chunk.length);
    sock.write(header);
    if (!sock.write(chunk)) await drained(sock);
  }
  if (!over() && !sock.destroyed) sock.write(Buffer.alloc(4)); // zero length: end of stream
}

function drained(sock: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      sock.off('drain', done);
      sock.off('close', done);
      resolve();
    };
    sock.on('drain', done);
    sock.on('close', done);
  });
}

/** Reads "stream: OK", "stream: Name FOUND", "stream: Name(md5:size) FOUND", "… ERROR". */
export function parseInstreamReply(reply: string): InstreamReply | undefined {
  const text = reply.trim();
  if (/^stream: OK$/.test(text)) return { kind: 'ok' };
  const found = /^stream: (.+?)(?:\([0-9a-f]+:\d+\))? FOUND$/.exec(text);
  if (found) return { kind: 'found', name: found[1] ?? '' };
  const error = /^(?:stream: )?(.*?)\s*ERROR$/.exec(text);
  if (error) {
    const message = error[1] ?? '';
    return { kind: 'error', message, sizeLimit: /size limit exceeded/i.test(message) };
  }
  return undefined;
}
