// Glue between the SMTP listener and email reputation (src/reputation/dnsbl.ts). The hook wraps
// onConnect's callback after the core's checks and the sender filter: a client they let in is
// looked up in the DNSWL/DNSBL zones and refused (550/450), or its listings are kept for the
// envelopes of its messages (the scanning stage adds their score). Exempt: trusted networks,
// clients the sender filter approved, and trusted upstream relays, whose real client is only
// known from the headers and is checked after DATA. Fails open: an error lets the client in.
import type { SMTPServerSession } from 'smtp-server';
import type { Settings } from '../config/settings.js';
import {
  envelopeReputation,
  logFields,
  type EnvelopeReputation,
  type Reputation,
} from '../reputation/dnsbl.js';
import '../reputation/envelope.js';
import type { Approval } from '../sender/filter.js';
import type { Logger } from '../util/log.js';
import { SmtpReply } from './reply.js';
import { isTrustedClient } from './trusted.js';

type Callback = (err?: Error | null) => void;

export interface ReputationHooksOptions {
  reputation: Reputation;
  settings: () => Settings;
  log: Logger;
  /** The sender filter's approval of a session (SenderHooks.approval), if it runs. */
  approval?: (session: SMTPServerSession) => Approval | undefined;
  /** Told of every client refused (the dashboard's "blocked by the sender filter"). */
  onRefused?: () => void;
}

export class ReputationHooks {
  private readonly sessions = new WeakMap<SMTPServerSession, EnvelopeReputation>();
  private readonly log: Logger;

  constructor(private readonly o: ReputationHooksOptions) {
    this.log = o.log.child({ component: 'reputation' });
  }

  /** Wraps onConnect's callback (innermost: runs after the core and the sender filter let the client in). */
  connect(session: SMTPServerSession, cb: Callback): Callback {
    return (err) => {
      if (err) return cb(err);
      const settings = this.o.settings();
      const s = settings.reputation;
      if ((!s.dnsbl.enabled || s.dnsbl.zones.length === 0) && s.dnswl.length === 0) return cb();
      const ip = session.remoteAddress;
      if (this.o.approval?.(session)) return cb();
      if (isTrustedClient(ip, s.trustedRelays)) {
        this.sessions.set(session, { ip, checked: 'relay', verdict: 'pass', score: 0, hits: [] });
        return cb();
      }
      if (isTrustedClient(ip, settings.trustedNetworks)) return cb();
      this.o.reputation.check(ip).then(
        (r) => {
          if (r.reply) {
            this.log.info(
              { ...logFields(r), code: r.reply.code, zone: r.decisive?.zone },
              `connection refused: ${r.ip} listed on ${r.decisive?.zone} (${r.decisive?.code})`,
            );
            this.o.onRefused?.();
            return cb(new SmtpReply(r.reply.code, r.reply.status, r.reply.text));
          }
          const found = envelopeReputation(r, 'connect');
          if (found) {
            this.sessions.set(session, found);
            this.log.info(logFields(r), `client ${r.ip} listed (${r.verdict}); score kept for its messages`);
          }
          cb();
        },
        (e: unknown) => {
          this.log.error({ err: e, ip }, 'reputation check failed; the client is let in');
          cb();
        },
      );
    };
  }

  /** What the envelopes of this session's messages carry (Envelope.reputation). */
  envelope(session: SMTPServerSession): EnvelopeReputation | undefined {
    return this.sessions.get(session);
  }
}
