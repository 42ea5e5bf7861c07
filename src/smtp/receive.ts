// DATA: streams one message from the client into the spool, with our Received header first,
// and commits it. The stream is always read to its end (the client is still sending), so the
// reply comes after the final dot even when the message is refused or storing it failed.
import type { SMTPServerDataStream } from 'smtp-server';
import type { Envelope } from '../queue/types.js';
import type { MessageWriter } from '../queue/spool.js';
import type { Logger } from '../util/log.js';
import { HeaderScanner } from './headers.js';
import { SmtpReply } from './reply.js';

export interface ReceiveOptions {
  startMessage: () => Promise<MessageWriter>;
  /** The Received header for the queue ID the spool assigned. */
  receivedHeader: (id: string) => Buffer;
  /** The envelope to commit (everything but what depends on the message bytes). */
  envelope: () => Omit<Envelope, 'id' | 'size' | 'messageId' | 'subject'>;
  maxMessageSize: number;
  log: Logger;
  /**
   * Looks at the whole message before it is committed (sender authentication): throws an
   * SmtpReply to refuse it, or returns fields to add to the envelope.
   */
  check?: (raw: Buffer) => Promise<Partial<Envelope>>;
}

/** Always temporary: the client keeps the message and tries again. A full disk says so (RFC 3463 4.3.1). */
function localFailure(err: unknown): SmtpReply {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new SmtpReply(452, '4.3.1', 'Error: insufficient system storage, please try again later');
  }
  return new SmtpReply(451, '4.3.0', 'Error: local error in processing, please try again later');
}

async function discard(writer: MessageWriter | undefined, log: Logger): Promise<void> {
  if (!writer) return;
  await writer
    .abort()
    .catch((err: unknown) => log.warn({ err, id: writer.id }, 'could not discard partial message'));
}

/** Receives the message; resolves with the committed envelope or rejects with an SmtpReply. */
export async function receiveMessage(stream: SMTPServerDataStream, o: ReceiveOptions): Promise<Envelope> {
  let writer: MessageWriter | undefined;
  let failed: unknown;
  try {
    writer = await o.startMessage();
    await writer.write(o.receivedHeader(writer.id));
  } catch (err) {
    failed = err;
  }
  const headers = new HeaderScanner();
  const copy: Buffer[] | undefined = o.check ? [] : undefined;
  let oversized = false;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (failed !== undefined || oversized) continue; // keep draining
      // smtp-server counts bytes before handing them over, so the chunk that crosses the
      // limit is never stored.
      if (stream.sizeExceeded) {
        oversized = true;
        await discard(writer, o.log);
        continue;
      }
      if (!headers.done) headers.push(chunk);
      copy?.push(chunk);
      try {
        await writer?.write(chunk);
      } catch (err) {
        failed = err;
      }
    }
  } catch (err) {
    // The client went away mid-message: nothing to reply to, just drop the partial file.
    await discard(writer, o.log);
    throw err;
  }
  if (oversized || stream.sizeExceeded) {
    await discard(writer, o.log);
    throw new SmtpReply(
      552,
      '5.3.4',
      `Error: message exceeds fixed maximum message size of ${o.maxMessageSize} bytes`,
    );
  }
  if (failed !== undefined || !writer) {
    o.log.error({ err: failed, id: writer?.id }, 'cannot store incoming message');
    await discard(writer, o.log);
    throw localFailure(failed);
  }
  let extra: Partial<Envelope> = {};
  if (o.check && copy) {
    try {
      extra = await o.check(Buffer.concat(copy));
    } catch (err) {
      await discard(writer, o.log);
      if (err instanceof SmtpReply) throw err;
      o.log.error({ err, id: writer.id }, 'message check failed');
      throw localFailure(err);
    }
  }
  try {
    return await writer.commit({ ...o.envelope(), ...headers.fields(), ...extra });
  } catch (err) {
    o.log.error({ err, id: writer.id }, 'cannot commit incoming message');
    await discard(writer, o.log);
    throw localFailure(err);
  }
}
