// Where the sender filter keeps its counters and blocks: in this process (single node) or in
// Redis, shared by every node of a group so that they enforce one limit together.
//
// Windows are sliding, in WINDOW_BUCKETS buckets: a count covers the last `windowMs` to within
// one bucket (1 s of a 60 s window), and memory stays bounded whatever the traffic.

export type BlockScope = 'ip' | 'sender';

/** Why a block was set: a throttling rule, a profiler threat, or an administrator. */
export type BlockReason =
  'connections' | 'messages' | 'sender-messages' | 'spam' | 'virus' | 'dha' | 'bounce' | 'manual';

export interface BlockRequest {
  scope: BlockScope;
  /** The client IP or the sender address. */
  subject: string;
  reason: BlockReason;
  /** 450 (temporary: the client retries later) or 550 (permanent). */
  code: 450 | 550;
  /** Where an IP block refuses the client: at connect, or at each RCPT TO. */
  refuseAt: 'connect' | 'rcpt';
  /** Undefined for a block that lasts until an administrator lifts it. */
  durationMs?: number;
  /** The counts that crossed the threshold, for the list and the log. */
  counts?: Record<string, number>;
  /** The node that set it. */
  node: string;
}

export interface Block extends Omit<BlockRequest, 'durationMs'> {
  /** Epoch ms. */
  since: number;
  /** Epoch ms; absent when permanent. */
  until?: number;
}

export interface CountRequest {
  key: string;
  windowMs: number;
  /** Added to named counters of the window (0 just reads). */
  add: Record<string, number>;
  /** Count nothing when this IP or sender is blocked; return the block instead. */
  unlessBlocked?: { scope: BlockScope; subject: string };
}

export interface CountResult {
  /** Sums over the window, after adding; empty when a block was found. */
  sums: Record<string, number>;
  block?: Block;
}

export interface RateStore {
  readonly kind: 'memory' | 'redis';
  /** One round trip: checks a block (optionally) and counts in a sliding window. */
  count(req: CountRequest): Promise<CountResult>;
  /** Forgets a window (after a block, the client starts afresh when it ends). */
  reset(key: string): Promise<void>;
  /** Sets a block unless one is in force; returns the new block, or undefined if there was one. */
  block(req: BlockRequest): Promise<Block | undefined>;
  getBlock(scope: BlockScope, subject: string): Promise<Block | undefined>;
  /** Lifts a block; returns it, or undefined when there was none. */
  unblock(scope: BlockScope, subject: string): Promise<Block | undefined>;
  /** Blocks in force, soonest to end first, permanent ones last. */
  listBlocks(): Promise<Block[]>;
  /** Removes blocks whose time is up and returns them; in a group each is returned to one node only. */
  expireBlocks(): Promise<Block[]>;
  /** Remembers a key for a while (outbound senders, for the bounce threat). */
  remember(key: string, ttlMs: number): Promise<void>;
  recalls(key: string): Promise<boolean>;
  close(): Promise<void>;
}

export const WINDOW_BUCKETS = 60;

/** Width of one bucket of a window, in ms. */
export function bucketWidth(windowMs: number): number {
  return Math.max(1, Math.ceil(windowMs / WINDOW_BUCKETS));
}

/** Is a block in force at `now`? */
export function inForce(b: Block | undefined, now: number): b is Block {
  return !!b && (b.until === undefined || b.until > now);
}

/** The member name of a block in indexes: "ip:192.0.2.1", "sender:a@b.example". */
export function blockId(scope: BlockScope, subject: string): string {
  return `${scope}:${subject}`;
}
