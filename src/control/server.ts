import { createServer, type Server } from 'node:http';
import { chmod, rm } from 'node:fs/promises';
import type { Logger } from '../util/log.js';
import type { ControlRequest, ControlResponse } from './protocol.js';

export type ControlHandler = (req: ControlRequest) => Promise<unknown>;

const MAX_REQUEST = 1024 * 1024;

export async function startControlServer(
  path: string,
  handler: ControlHandler,
  log: Logger,
): Promise<Server> {
  await rm(path, { force: true });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_REQUEST) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      const reply = (status: number, body: ControlResponse) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      let request: ControlRequest;
      try {
        request = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ControlRequest;
      } catch {
        reply(400, { ok: false, error: 'request is not JSON' });
        return;
      }
      handler(request).then(
        (result) => reply(200, { ok: true, result }),
        (err: unknown) => {
          log.debug({ err, op: request.op }, 'control request failed');
          reply(200, { ok: false, error: err instanceof Error ? err.message : String(err) });
        },
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  await chmod(path, 0o600);
  return server;
}
