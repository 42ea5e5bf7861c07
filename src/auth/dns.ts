// The DNS lookups of sender authentication, in the shape mailauth's `resolver` option expects
// (`dns.promises.resolve(name, type)`), sent to the resolvers of settings `dns.resolvers`.
// One AuthResolver serves one message: identical questions (the DKIM key our own checks read
// and mailauth reads again, A/AAAA asked by several SPF mechanisms) share one query.
import { Resolver } from 'node:dns/promises';

export type AuthLookup = (name: string, type: string) => Promise<unknown>;

export interface AuthResolverOptions {
  /** "ip", "ip:port" or "[v6]:port"; empty means the system's resolvers. */
  resolvers: string[];
  /** Per-try timeout in ms. */
  timeout: number;
  tries?: number;
  /** Epoch ms after which every lookup fails as a timeout (the budget of one message). */
  deadline?: number;
}

/** A DNS failure with the code Node's resolver uses (ENOTFOUND, ENODATA, ETIMEOUT, …). */
export class DnsError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function dnsErrorCode(err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err
    ? String((err as { code: unknown }).code)
    : 'ERROR';
}

/** NXDOMAIN and NODATA: the name has no such record, as opposed to a failed lookup. */
export function isNoRecord(err: unknown): boolean {
  const code = dnsErrorCode(err);
  return code === 'ENOTFOUND' || code === 'ENODATA';
}

interface Channel {
  resolver: Resolver;
  configError?: string;
}

/** One resolver per configuration, shared by all messages (c-ares channels are not free). */
const channels = new Map<string, Channel>();

function channel(o: AuthResolverOptions): Channel {
  const key = JSON.stringify([o.resolvers, o.timeout, o.tries ?? 2]);
  let c = channels.get(key);
  if (!c) {
    c = { resolver: new Resolver({ timeout: o.timeout, tries: o.tries ?? 2 }) };
    if (o.resolvers.length > 0) {
      try {
        c.resolver.setServers(o.resolvers);
      } catch (err) {
        c.configError = `invalid DNS resolver setting ${JSON.stringify(o.resolvers)}: ${(err as Error).message}`;
      }
    }
    // Settings change rarely; an old configuration's channel is dropped, not kept forever.
    if (channels.size >= 8) channels.clear();
    channels.set(key, c);
  }
  return c;
}

function query(c: Channel, name: string, type: string, deadline: number | undefined): Promise<unknown> {
  const asked = c.resolver.resolve(name, type).catch((err: unknown) => {
    // A name DNS cannot even carry (a label over 63 bytes…) has no records: NXDOMAIN keeps
    // the result permanent rather than a temporary DNS failure.
    if (dnsErrorCode(err) === 'EBADNAME') throw new DnsError('ENOTFOUND', `${name}: not a valid DNS name`);
    throw err;
  });
  if (deadline === undefined) return asked;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new DnsError('ETIMEOUT', `${name}: time for DNS lookups used up`)),
      Math.max(0, deadline - Date.now()),
    );
  });
  return Promise.race([asked, expired]).finally(() => clearTimeout(timer));
}

/** The lookup function for one message: shared answers, and nothing after its deadline. */
export function createAuthResolver(o: AuthResolverOptions): AuthLookup {
  const c = channel(o);
  const memo = new Map<string, Promise<unknown>>();
  return (name, type) => {
    // A broken resolver list is a temporary failure (temperror), never "no record".
    if (c.configError) return Promise.reject(new DnsError('ESERVFAIL', c.configError));
    if (o.deadline !== undefined && Date.now() >= o.deadline)
      return Promise.reject(new DnsError('ETIMEOUT', `${name}: time for DNS lookups used up`));
    const key = `${type.toUpperCase()} ${name.toLowerCase()}`;
    let p = memo.get(key);
    if (!p) {
      p = query(c, name, type, o.deadline);
      memo.set(key, p);
    }
    return p;
  };
}
