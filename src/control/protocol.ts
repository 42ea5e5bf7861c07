// The local control socket: how the CLI reaches the running gateway of the same data
// directory (queue operations, settings reload, status). It is a Unix socket with mode 0600,
// so only the gateway's own user (or root) can use it.
import { join } from 'node:path';
import type { SenderControlRequest } from '../sender/control.js';
import type { SpamControlRequest } from '../spam/control.js';

export function controlSocketPath(dataDir: string): string {
  return join(dataDir, 'control.sock');
}

export type ControlRequest =
  | { op: 'status' }
  | { op: 'settings.reload' }
  | { op: 'queue.list'; filter: unknown }
  | { op: 'queue.show'; id: string }
  | { op: 'queue.hold' | 'queue.release' | 'queue.delete' | 'queue.flush'; filter: unknown }
  | { op: 'quarantine.release'; ids: string[]; rescan: boolean }
  | SenderControlRequest
  | SpamControlRequest;

export interface ControlResponse {
  ok: boolean;
  result?: unknown;
  error?: string;
}
