// Trying a message without sending it: the facts, engine verdicts and policy decision the
// gateway would reach, for `sekimori scan` and the console's rule tester. The same scanner
// and engine as the queue's policy stage, so what an administrator tries is what happens.
import type { Settings } from '../config/settings.js';
import type { Decision } from '../policy/decision.js';
import type { PolicySettings } from '../policy/types.js';
import type { Facts } from './facts.js';
import type { Scanner, ScanEnvelope } from './scanner.js';
import { signatureScanningEnabled } from './virus/index.js';

export interface TryOptions {
  /** inbound (default) or outbound: picks a sender and recipient when they are not given. */
  direction?: 'inbound' | 'outbound';
  sender?: string;
  recipients?: string[];
  /** Rules to decide with instead of the current ones (the editor's draft). */
  policy?: PolicySettings;
}

export interface TryResult {
  envelope: ScanEnvelope;
  facts: Facts;
  decision: Decision;
  warnings: string[];
}

/** An envelope for a message that did not come over SMTP: sender and recipients fit the direction asked for. */
export function tryEnvelope(settings: Settings, o: TryOptions): ScanEnvelope {
  const direction = o.direction ?? 'inbound';
  const internal = (
    settings.domains.find((d) => !d.name.startsWith('*.'))?.name ?? 'example.com'
  ).toLowerCase();
  const sender = o.sender ?? (direction === 'inbound' ? 'sender@external.invalid' : `user@${internal}`);
  const recipients = o.recipients?.length
    ? o.recipients
    : [direction === 'inbound' ? `user@${internal}` : 'someone@external.invalid'];
  return {
    id: 'SCAN',
    sender,
    recipients: recipients.map((address) => ({ address })),
    client: { ip: '127.0.0.1', helo: 'localhost', tls: false },
    // the sender given here counts for direction, wherever it would have connected from
    origin: 'local',
  };
}

/** Scans and decides; throws EngineUnavailableError when a virus engine is down. */
export async function tryMessage(
  scanner: Scanner,
  settings: Settings,
  raw: Buffer,
  o: TryOptions = {},
): Promise<TryResult> {
  const envelope = tryEnvelope(settings, o);
  const parsed = await scanner.scan(raw, envelope);
  const decision = scanner.decide(parsed, envelope, o.policy);
  const warnings = signatureScanningEnabled(settings.antivirus)
    ? []
    : ['signature scanning is off: no clamd is configured (antivirus.clamd); only the built-in engine ran'];
  return { envelope, facts: parsed.facts, decision, warnings };
}
