// Where sender authentication and DKIM signing meet the mail flow: authentication while the
// message is received (so a DMARC reject is a 550, never a bounce to a forged sender), the
// Authentication-Results header on inbound mail, and signing of our own outbound mail.
import type { Settings } from '../config/settings.js';
import type { Envelope } from '../queue/types.js';
import type { Logger } from '../util/log.js';
import { SmtpReply } from '../smtp/reply.js';
import { isTrustedClient } from '../smtp/trusted.js';
import { realClient } from '../reputation/relays.js';
import { authenticate, stripForgedAuthResults, type AuthResults } from './verify.js';
import type { OutboundSigner } from './dkim-sign.js';

type PartialEnvelope = Omit<Envelope, 'id' | 'size'>;

/** Mail from outside: not from a trusted network, not approved by the sender filter. */
function fromOutside(envelope: PartialEnvelope, settings: Settings): boolean {
  return !envelope.senderApproved && !isTrustedClient(envelope.client.ip, settings.trustedNetworks);
}

/** Told of every authenticated message with the client IP judged (DMARC aggregate reports). */
/** Takes each result for later (it must not throw nor wait on the store). */
export type AuthResultSink = (auth: AuthResults, clientIp: string) => void;

export function authenticationCheck(settings: () => Settings, log: Logger, onResult?: AuthResultSink) {
  return async (raw: Buffer, envelope: PartialEnvelope): Promise<Partial<Envelope>> => {
    const s = settings();
    if (!s.auth.enabled || !fromOutside(envelope, s)) return {};
    // Behind a trusted upstream relay (SPEC §1) SPF is about the client the relay recorded.
    const client = realClient(raw, envelope.client.ip, s.reputation.trustedRelays);
    const relayed = client?.relayed === true;
    let auth;
    try {
      auth = await authenticate(
        raw,
        {
          ip: relayed ? client.ip : envelope.client.ip,
          helo: relayed ? (client.helo ?? envelope.client.helo) : envelope.client.helo,
          sender: envelope.sender,
          mta: s.smtp.hostname,
          resolvers: s.dns.resolvers,
        },
        s.auth,
      );
    } catch (err) {
      // Authentication is evidence, not a gate: without it the message goes on unauthenticated.
      log.warn({ err }, 'sender authentication failed; accepting without results');
      return {};
    }
    // Counted before a reject, which the domain's reports must show too; never holds mail up.
    onResult?.(auth, relayed ? client.ip : envelope.client.ip);
    if (auth.dmarc?.action === 'reject') {
      throw new SmtpReply(
        550,
        '5.7.1',
        `Email from ${auth.dmarc.domain ?? auth.fromDomain ?? 'this domain'} rejected per DMARC policy`,
      );
    }
    return { auth };
  };
}

/** Inbound mail leaves with our Authentication-Results, and without forged ones claiming to be us. */
export function withAuthenticationResults(raw: Buffer, envelope: Envelope, hostname: string): Buffer {
  if (!envelope.auth) return raw;
  const clean = stripForgedAuthResults(raw, hostname);
  if (!envelope.auth.header) return clean;
  return Buffer.concat([Buffer.from(`${envelope.auth.header}\r\n`, 'utf8'), clean]);
}

/**
 * Signs what Sekimori sends on behalf of the organisation: its own bounces and notices, and
 * mail from trusted networks — never mail from outside, whatever its From claims.
 */
export function outboundSigning(signer: OutboundSigner, settings: () => Settings, log: Logger) {
  return async (raw: Buffer, envelope: Envelope): Promise<Buffer> => {
    const s = settings();
    if (!s.auth.dkimSigning.enabled) return raw;
    const ours = envelope.origin === 'bounce' || isTrustedClient(envelope.client.ip, s.trustedNetworks);
    if (!ours) return raw;
    try {
      const r = await signer.sign(raw, envelope.sender);
      if (r.skipped) log.warn({ id: envelope.id, reason: r.skipped }, 'DKIM signing skipped');
      return r.message;
    } catch (err) {
      log.error({ err, id: envelope.id }, 'DKIM signing failed; sending unsigned');
      return raw;
    }
  };
}
