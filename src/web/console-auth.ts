// Who is calling the console: the session cookie or an API token, resolved to an account and
// its role's permissions; and logon itself, with throttling, lock-out and the audit log.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Store } from '../store/store.js';
import type { Logger } from '../util/log.js';
import type { Caller } from './route.js';
import { AccountRepository, type AccountView } from './accounts-repo.js';
import { SessionRepository, TOKEN_PREFIX } from './sessions-repo.js';
import { AuditLog } from './audit-log.js';
import { LogonThrottle } from './logon-throttle.js';
import { SetupCode } from './setup-code.js';
import { decoyHash, verifyPassword } from './passwords.js';
import { NO_PERMISSIONS } from './roles.js';
import type { ConsoleSettings } from './console-settings.js';

export const SESSION_COOKIE = 'sekimori_session';

/** The caller of a public route nobody is logged on to. */
export const ANONYMOUS: Caller = {
  account: '',
  role: '',
  permissions: NO_PERMISSIONS,
  via: 'session',
  language: 'en',
};

export interface Identified {
  caller: Caller;
  /** Set when the caller came with a session cookie. */
  session?: { id: string; csrfToken: string };
}

export type LogonResult = { ok: true; account: AccountView } | { ok: false; reason: 'failed' | 'locked' };

/** 'ja' when the account or, for 'auto', the browser prefers Japanese. */
export function resolveLanguage(setting: string, acceptLanguage: string | undefined): 'ja' | 'en' {
  if (setting === 'ja' || setting === 'en') return setting;
  const first = (acceptLanguage ?? '').split(',')[0]?.trim().toLowerCase() ?? '';
  return first.startsWith('ja') ? 'ja' : 'en';
}

export class ConsoleAuth {
  readonly accounts: AccountRepository;
  readonly sessions: SessionRepository;
  readonly audit: AuditLog;
  readonly throttle = new LogonThrottle();
  readonly setup: SetupCode;

  constructor(
    store: Store,
    readonly settings: () => ConsoleSettings,
    private readonly log: Logger,
    dataDir: string,
  ) {
    this.accounts = new AccountRepository(store);
    this.sessions = new SessionRepository(store);
    this.audit = new AuditLog(store);
    this.setup = new SetupCode(dataDir);
  }

  /** At start: a setup code while no account exists, otherwise none. */
  async prepareSetup(): Promise<void> {
    if ((await this.accounts.count()) === 0) await this.setup.create(this.log);
    else await this.setup.discard();
  }

  async setupRequired(): Promise<boolean> {
    return (await this.accounts.count()) === 0;
  }

  private limits() {
    const s = this.settings();
    return { idleTimeout: s.sessionIdleTimeout, maxLifetime: s.sessionMaxLifetime };
  }

  /** The caller behind a session cookie or a bearer token, or undefined when neither is valid. */
  async identify(o: {
    sessionId?: string;
    authorization?: string;
    acceptLanguage?: string;
  }): Promise<Identified | undefined> {
    const bearer = /^Bearer\s+(\S+)$/i.exec(o.authorization ?? '')?.[1];
    if (bearer !== undefined) {
      if (!bearer.startsWith(TOKEN_PREFIX)) return undefined;
      const name = await this.sessions.useToken(bearer);
      const caller = name && (await this.callerFor(name, 'token', o.acceptLanguage));
      return caller ? { caller } : undefined;
    }
    if (!o.sessionId) return undefined;
    const session = await this.sessions.use(o.sessionId, this.limits());
    if (!session) return undefined;
    const caller = await this.callerFor(session.account, 'session', o.acceptLanguage);
    if (!caller) {
      await this.sessions.delete(o.sessionId);
      return undefined;
    }
    return {
      caller: { ...caller, sessionId: o.sessionId },
      session: { id: o.sessionId, csrfToken: session.csrfToken },
    };
  }

  private async callerFor(
    name: string,
    via: Caller['via'],
    acceptLanguage: string | undefined,
  ): Promise<Caller | undefined> {
    const account = await this.accounts.get(name);
    if (!account || account.disabled) return undefined;
    const role = await this.accounts.role(account.role);
    return {
      account: account.name,
      role: account.role,
      // a custom role deleted under an account grants nothing
      permissions: role?.permissions ?? NO_PERMISSIONS,
      via,
      language: resolveLanguage(account.language, acceptLanguage),
    };
  }

  /** Checks a logon attempt; every outcome is audited, and failures slow the next attempt. */
  async logon(name: string, password: string, ip: string): Promise<LogonResult> {
    const delay = this.throttle.delayFor(ip, name);
    if (delay > 0) await sleep(delay);
    const settings = this.settings();
    const account = await this.accounts.withHash(name);
    const fail = async (reason: 'failed' | 'locked', details?: Record<string, unknown>) => {
      this.throttle.failed(ip, name);
      // an unknown name is not recorded: people type their password into the name field
      await this.audit.record({
        account: account ? name : '',
        ip,
        action: 'logon',
        target: account ? name : '(unknown account)',
        outcome: reason,
        details,
      });
      return { ok: false as const, reason };
    };
    if (!account) {
      await verifyPassword(await decoyHash(), password);
      return fail('failed');
    }
    if (account.lockedUntil !== null) return fail('locked', { until: account.lockedUntil });
    const good = await verifyPassword(account.passwordHash, password);
    if (!good || account.disabled) {
      if (account.disabled) return fail('failed', { disabled: true });
      const { locked } = await this.accounts.recordFailure(
        name,
        settings.lockoutThreshold,
        settings.lockoutDuration,
      );
      if (locked) this.log.warn({ account: name, ip }, 'console account locked after failed logons');
      return fail(locked ? 'locked' : 'failed');
    }
    await this.accounts.recordLogon(name);
    this.throttle.succeeded(ip, name);
    await this.audit.record({ account: name, ip, action: 'logon', target: name, outcome: 'ok' });
    const { passwordHash: _hash, ...view } = account;
    return { ok: true, account: view };
  }

  async purgeExpiredSessions(): Promise<void> {
    await this.sessions.purgeExpired(this.limits());
  }
}

/** What a route sees of the sign-on machinery for its own request. */
export interface RequestAuth {
  console: ConsoleAuth;
  /** The CSRF token of the caller's session, when the caller came with a session cookie. */
  csrfToken?: string;
  /** The browser's Accept-Language header (for accounts whose language is "auto"). */
  acceptLanguage?: string;
  /** Starts a session for the account and sets its cookie on the response. */
  startSession(account: string): Promise<{ csrfToken: string }>;
  /** Ends the caller's session and clears the cookie. */
  endSession(): Promise<void>;
}
