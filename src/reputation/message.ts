// For the scanning stage: the email reputation of a message. Mail from an ordinary client was
// checked at connect and carries the result on its envelope. Mail from a trusted upstream
// relay was not: its real client is read from the Received headers and checked now, when
// refusing is no longer possible (listings that would have refused add relayedScores).
import type { Envelope } from '../queue/types.js';
import { isTrustedClient } from '../smtp/trusted.js';
import { envelopeReputation, type EnvelopeReputation, type Reputation } from './dnsbl.js';
import './envelope.js';
import type { Logger } from '../util/log.js';
import { realClientIp, type HeaderInput } from './relays.js';

export async function messageReputation(
  reputation: Reputation,
  trustedRelays: readonly string[],
  envelope: Pick<Envelope, 'client' | 'reputation' | 'senderApproved'>,
  headers: HeaderInput,
): Promise<EnvelopeReputation | undefined> {
  if (envelope.senderApproved) return undefined;
  const known = envelope.reputation;
  if (known && known.checked !== 'relay') return known;
  // No record: the client was checked at connect and found nowhere, or it was exempt (unless
  // it is a trusted relay the listener did not mark).
  if (!known && !isTrustedClient(envelope.client.ip, trustedRelays)) return undefined;
  const ip = realClientIp(headers, envelope.client.ip, trustedRelays);
  if (!ip) return undefined;
  const result = await reputation.check(ip, { afterData: true });
  return (
    envelopeReputation(result, 'after-data') ?? {
      ip: result.ip,
      checked: 'after-data',
      verdict: 'pass',
      score: 0,
      hits: [],
    }
  );
}

type MessageCheck = (raw: Buffer, envelope: Omit<Envelope, 'id' | 'size'>) => Promise<Partial<Envelope>>;

export interface RelayedReputationContext {
  reputation: Reputation;
  trustedRelays: () => readonly string[];
  log: Logger;
}

/**
 * The listener's end-of-DATA check with the relayed client's reputation added: for mail from a
 * trusted upstream relay, the real client of the Received headers is looked up before the
 * message is acknowledged and the result goes on the envelope, where the scanning stage adds
 * it to the spam score. A failed lookup lets the message in without it, like at connect.
 */
export function withRelayedReputation(
  next: MessageCheck | undefined,
  ctx: RelayedReputationContext,
): MessageCheck {
  return async (raw, envelope) => {
    const extra = next ? await next(raw, envelope) : {};
    if (envelope.reputation?.checked !== 'relay') return extra;
    try {
      const found = await messageReputation(ctx.reputation, ctx.trustedRelays(), envelope, raw);
      if (found) {
        ctx.log.info(
          { relay: envelope.client.ip, ip: found.ip, verdict: found.verdict, score: found.score },
          `relayed client ${found.ip} checked after DATA (${found.verdict})`,
        );
        return { ...extra, reputation: found };
      }
    } catch (err) {
      ctx.log.error({ err, relay: envelope.client.ip }, 'reputation check of the relayed client failed');
    }
    return extra;
  };
}
