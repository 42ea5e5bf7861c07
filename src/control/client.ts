import { request } from 'node:http';
import type { ControlRequest, ControlResponse } from './protocol.js';

export class GatewayNotRunning extends Error {}

/** Sends one request to the running gateway; throws GatewayNotRunning when none answers. */
export function callGateway(socketPath: string, req: ControlRequest, timeoutMs = 60_000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify(req);
    const r = request(
      {
        socketPath,
        path: '/',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            const reply = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ControlResponse;
            if (reply.ok) resolve(reply.result);
            else reject(new Error(reply.error ?? 'the gateway refused the request'));
          } catch (e) {
            reject(e instanceof Error ? e : new Error(String(e)));
          }
        });
      },
    );
    r.on('timeout', () => r.destroy(new Error('the gateway did not answer in time')));
    r.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED')
        reject(new GatewayNotRunning('gateway not running'));
      else reject(err);
    });
    r.end(body);
  });
}
