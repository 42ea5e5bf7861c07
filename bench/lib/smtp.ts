// Small network helpers: a free loopback port, and waiting until a server greets with 220.
import { createConnection, createServer } from 'node:net';
import { BenchError, sleep } from './processes.js';

export const HOST = '127.0.0.1';

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

/** Connects once; resolves with the first line the server sends (or rejects). */
function readGreeting(port: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: HOST, port });
    let buffer = '';
    const done = (err: Error | undefined, line?: string) => {
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      if (line !== undefined && line.startsWith('220')) socket.end('QUIT\r\n');
      else socket.destroy();
      if (err) reject(err);
      else resolve(line ?? '');
    };
    socket.setTimeout(timeoutMs, () => done(new Error('no greeting')));
    socket.on('error', (err) => done(err));
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      const nl = buffer.indexOf('\n');
      if (nl >= 0) done(undefined, buffer.slice(0, nl).trim());
    });
    socket.on('close', () => done(new Error('connection closed before greeting')));
  });
}

/**
 * Waits until 127.0.0.1:port answers with a 220 greeting. `check` is called between attempts
 * and may throw (e.g. when the server process has exited) to stop waiting early.
 */
export async function waitForSmtp(
  port: number,
  what: string,
  timeoutMs: number,
  check: () => void = () => undefined,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last: string;
  for (;;) {
    check();
    try {
      const line = await readGreeting(port, 5000);
      if (line.startsWith('220')) return line;
      last = `answered "${line}"`;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() >= deadline) {
      throw new BenchError(
        `${what} did not answer with 220 on ${HOST}:${port} within ${Math.round(timeoutMs / 1000)} s (last: ${last})`,
      );
    }
    await sleep(100);
  }
}
