// A real pino logger whose JSON lines are kept in memory, so tests can assert what was logged.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from '../../src/util/log.js';

export function capturedLogger(level = 'info'): { log: Logger; logs: Record<string, unknown>[] } {
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n'))
        if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  return { log: pino({ level }, sink), logs };
}
