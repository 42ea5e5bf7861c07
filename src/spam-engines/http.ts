// One HTTP exchange with an engine, bounded in time and size. node:http rather than fetch:
// rspamd wants one `Rcpt` header line per recipient, and fetch folds repeated headers into one
// comma-separated line. A fresh connection per request (no keep-alive pool): an engine that
// closes idle connections can then never hand us a dead socket, and close() sees every request.
import { request as httpRequest, type ClientRequest, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ExternalEngineError, type ExternalEngineName } from './types.js';

/** Engines answer a few KB of JSON; anything far larger is not the engine we meant. */
const MAX_REPLY_BYTES = 4 * 1024 * 1024;

export interface HttpReply {
  status: number;
  body: Buffer;
}

export interface HttpExchange {
  engine: ExternalEngineName;
  url: URL;
  method: 'GET' | 'POST';
  headers?: OutgoingHttpHeaders;
  body?: Buffer;
  /** Milliseconds from the start until the whole reply is in. */
  timeout: number;
  /** Requests in flight, so the owner can abort them on close. */
  track?: Set<ClientRequest>;
}

export function httpExchange(x: HttpExchange): Promise<HttpReply> {
  const { engine, url } = x;
  const where = `${engine} at ${url.origin}`;
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (err: ExternalEngineError | undefined, reply?: HttpReply) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      x.track?.delete(req);
      if (err) {
        req.destroy();
        reject(err);
      } else if (reply) resolve(reply);
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    let req: ClientRequest;
    try {
      req = send(url, {
        method: x.method,
        agent: false,
        headers: { ...x.headers, ...(x.body ? { 'Content-Length': x.body.length } : {}) },
      });
    } catch (e) {
      // Node refuses header values it cannot send; the callers clean them, so this is a bug.
      reject(new ExternalEngineError(engine, 'protocol', `${where}: ${(e as Error).message}`));
      return;
    }
    x.track?.add(req);
    const timer = setTimeout(
      () => finish(new ExternalEngineError(engine, 'timeout', `${where}: no answer within ${x.timeout} ms`)),
      x.timeout,
    );
    let responded = false;
    req.on('error', (e: NodeJS.ErrnoException) => {
      // The owner aborts with its own ExternalEngineError (close()).
      if (e instanceof ExternalEngineError) return finish(e);
      const what = responded ? 'connection lost' : 'cannot connect';
      finish(
        new ExternalEngineError(
          engine,
          responded ? 'protocol' : 'connect',
          `${where}: ${what} (${e.code ?? e.message})`,
        ),
      );
    });
    req.on('response', (res) => {
      responded = true;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_REPLY_BYTES) {
          finish(
            new ExternalEngineError(
              engine,
              'protocol',
              `${where}: reply larger than ${MAX_REPLY_BYTES} bytes`,
            ),
          );
        } else chunks.push(c);
      });
      res.on('error', (e) => finish(new ExternalEngineError(engine, 'protocol', `${where}: ${e.message}`)));
      res.on('aborted', () =>
        finish(new ExternalEngineError(engine, 'protocol', `${where}: reply cut short`)),
      );
      res.on('end', () => finish(undefined, { status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    req.end(x.body);
  });
}
