// The process log (JSON lines via pino). The product's own logs (tracking, events) are tables.
import { pino } from 'pino';

export type Logger = pino.Logger;

export function createLogger(level: string = process.env.SEKIMORI_LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    base: { pid: process.pid },
    redact: {
      paths: ['password', '*.password', 'secret', '*.secret', 'token', '*.token'],
      censor: '[secret]',
    },
  });
}

/** A logger that drops everything, for tests and one-shot CLI commands. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
