// Control-socket operations of the sender filter (the CLI talks to the running gateway).
// The lead adds SenderControlRequest to ControlRequest and routes "sender.*" ops here.
import type { SenderFilter } from './filter.js';

export type SenderControlRequest =
  | { op: 'sender.blocks' }
  | { op: 'sender.unblock'; subject: string; by?: string }
  | { op: 'sender.block'; subject: string; durationMs?: number; code?: 450 | 550; by?: string };

export function isSenderControlRequest(req: { op: string }): req is SenderControlRequest {
  return req.op === 'sender.blocks' || req.op === 'sender.unblock' || req.op === 'sender.block';
}

export async function handleSenderControl(filter: SenderFilter, req: SenderControlRequest): Promise<unknown> {
  switch (req.op) {
    case 'sender.blocks':
      return filter.listBlocks();
    case 'sender.unblock':
      return (await filter.unblock(req.subject, req.by ?? 'cli')) ?? null;
    case 'sender.block': {
      const o: { durationMs?: number; code?: 450 | 550; by?: string } = { by: req.by ?? 'cli' };
      if (req.durationMs !== undefined) o.durationMs = req.durationMs;
      if (req.code !== undefined) o.code = req.code;
      return (await filter.block(req.subject, o)) ?? null;
    }
  }
}
