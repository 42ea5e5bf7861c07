// For the scanning stage: the email reputation of a message. Mail from an ordinary client was
// checked at connect and carries the result on its envelope. Mail from a trusted upstream
// relay was not: its real client is read from the Received headers and checked now, when
// refusing is no longer possible (listings that would have refused add relayedScores).
import type { Envelope } from '../queue/types.js';
import { isTrustedClient } from '../smtp/trusted.js';
import { envelopeReputation, type EnvelopeReputation, type Reputation } from './dnsbl.js';
import './envelope.js';
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
