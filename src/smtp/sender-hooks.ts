// Glue between the SMTP listener and the sender filter (src/sender/filter.ts). Each hook wraps
// the callback of a listener stage: the listener decides first (limits, relay control,
// recipient validation), then the filter sees that decision and may refuse instead. The filter
// fails open: an error in it is logged and the core's decision stands.
import type { SMTPServerAddress, SMTPServerSession } from 'smtp-server';
import type { Settings } from '../config/settings.js';
import type { Envelope } from '../queue/types.js';
import type { Approval, ClientState, SenderFilter, TransactionState } from '../sender/filter.js';
import type { Refusal } from '../sender/replies.js';
import type { Logger } from '../util/log.js';
import { checkSender } from './relay.js';
import { SmtpReply } from './reply.js';
import { isTrustedClient } from './trusted.js';

type Callback = (err?: Error | null) => void;

interface SessionState {
  client: ClientState;
  tx?: TransactionState;
}

const toReply = (r: Refusal) => new SmtpReply(r.code, r.status, r.text);

export class SenderHooks {
  private readonly sessions = new WeakMap<SMTPServerSession, SessionState>();
  private readonly log: Logger;

  constructor(
    readonly filter: SenderFilter,
    private readonly settings: () => Settings,
    log: Logger,
    /** Told of every refusal (the dashboard's "blocked by the sender filter"). */
    private readonly onRefused: () => void = () => undefined,
  ) {
    this.log = log.child({ component: 'sender-filter' });
  }

  private refuse(r: Refusal): SmtpReply {
    this.onRefused();
    return toReply(r);
  }

  private failOpen(stage: string, cb: Callback, err?: Error | null) {
    return (e: unknown) => {
      this.log.error({ err: e, stage }, 'sender filter failed; the client is let through');
      cb(err);
    };
  }

  /** Wraps onConnect's callback. */
  connect(session: SMTPServerSession, cb: Callback): Callback {
    return (err) => {
      if (err || !this.filter.enabled()) return cb(err);
      const ip = session.remoteAddress;
      const trusted = isTrustedClient(ip, this.settings().trustedNetworks);
      this.filter.connect(ip, trusted).then(
        ({ state, refusal }) => {
          this.sessions.set(session, { client: state });
          cb(refusal ? this.refuse(refusal) : null);
        },
        this.failOpen('connect', cb),
      );
    };
  }

  /** Wraps onMailFrom's callback. */
  mailFrom(session: SMTPServerSession, address: SMTPServerAddress, cb: Callback): Callback {
    return (err) => {
      const st = this.sessions.get(session);
      if (!st) return cb(err);
      st.tx = undefined;
      if (err) return cb(err);
      const checked = checkSender(address.address);
      const sender = checked.accept ? checked.address : address.address;
      this.filter.mailFrom(st.client, sender).then(
        ({ approved, refusal }) => {
          if (refusal) return cb(this.refuse(refusal));
          st.tx = approved ? { sender, approved } : { sender };
          cb(null);
        },
        this.failOpen('mail', cb),
      );
    };
  }

  /** Wraps onRcptTo's callback. */
  rcptTo(session: SMTPServerSession, cb: Callback): Callback {
    return (err) => {
      const st = this.sessions.get(session);
      if (!st) return cb(err);
      const outcome = !err
        ? st.client.trusted
          ? 'relay'
          : 'local' // relay control takes only accepted domains from untrusted clients
        : err instanceof SmtpReply && err.responseCode === 550 && err.status === '5.1.1'
          ? 'unknown'
          : 'refused';
      this.filter
        .rcptTo(st.client, st.tx, outcome)
        .then((refusal) => cb(refusal ? this.refuse(refusal) : err), this.failOpen('rcpt', cb, err));
    };
  }

  /** After a message is on disk (the 250 is about to be sent). */
  accepted(session: SMTPServerSession, envelope: Envelope): void {
    const st = this.sessions.get(session);
    if (!st) return;
    const tx = st.tx ?? { sender: envelope.sender };
    void this.filter.accepted(
      st.client,
      tx,
      envelope.recipients.map((r) => r.address),
    );
  }

  /** Why this session's current message skips the filter and spam checks, if it does. */
  approval(session: SMTPServerSession): Approval | undefined {
    const st = this.sessions.get(session);
    return st?.tx?.approved ?? st?.client.approved;
  }
}
