// `sekimori dkim …`: DKIM signing keys per domain and selector — generate, import, export,
// list, the DNS record to publish, rotate, remove. Keys live in the store, so these work
// whether or not the gateway runs; a running gateway picks changes up within a minute.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import {
  CliError,
  EXIT,
  nodeConfig,
  printJson,
  printTable,
  withNodeOptions,
  type NodeOptions,
} from '../cli/common.js';
import { openStore, type Store } from '../store/store.js';
import { DkimKeyError, DkimKeyStore, dnsRecord, type DkimKey, type DkimKeyType } from './dkim-keys.js';

async function withKeys<T>(opts: NodeOptions, run: (keys: DkimKeyStore) => Promise<T>): Promise<T> {
  const config = nodeConfig(opts);
  let store: Store;
  try {
    store = await openStore(config.databaseUrl);
  } catch (e) {
    throw new CliError(`cannot open the store: ${(e as Error).message}`);
  }
  try {
    return await run(new DkimKeyStore(store));
  } catch (e) {
    if (e instanceof DkimKeyError) {
      const code = e.kind === 'not-found' ? EXIT.notFound : EXIT.usage;
      throw new CliError(e.message, code);
    }
    throw e;
  } finally {
    await store.close();
  }
}

function keyType(text: string | undefined): DkimKeyType | undefined {
  if (text === undefined) return undefined;
  const t = text.toLowerCase();
  if (t !== 'rsa' && t !== 'ed25519')
    throw new CliError(`--type: write rsa or ed25519, not "${text}"`, EXIT.usage);
  return t;
}

/** A key as shown: never the private key. */
function publicView(k: DkimKey) {
  const { privateKey: _p, ...rest } = k;
  return { ...rest, dns: dnsRecord(k) };
}

const describe = (k: DkimKey) => (k.type === 'rsa' ? `rsa-${k.bits}` : 'ed25519');
const date = (ms: number | undefined) =>
  ms === undefined ? '-' : new Date(ms).toISOString().slice(0, 19) + 'Z';

function printNewKey(k: DkimKey, json: boolean | undefined, note?: string): void {
  if (json) return printJson(publicView(k));
  process.stdout.write(
    `${describe(k)} key ${k.selector} for ${k.domain} is now active\n` +
      (note ? `${note}\n` : '') +
      `publish this record before mail is signed with it:\n${dnsRecord(k).text}\n`,
  );
}

export function registerDkim(program: Command): void {
  const dkim = program
    .command('dkim')
    .description('DKIM signing keys: generate, import, list, DNS records, rotate');

  withNodeOptions(dkim.command('generate'))
    .description('generate a key for a domain (it becomes the active key; one it replaces is kept, retired)')
    .argument('<domain>', 'sender domain, e.g. example.com')
    .option('-s, --selector <selector>', 'selector (default: s + today’s date)')
    .option('-t, --type <type>', 'rsa (2048 bits, default) or ed25519')
    .option('--json', 'print JSON')
    .action(
      async (domain: string, opts: NodeOptions & { selector?: string; type?: string; json?: boolean }) => {
        const type = keyType(opts.type) ?? 'rsa';
        const key = await withKeys(opts, (keys) => keys.generate(domain, { selector: opts.selector, type }));
        printNewKey(key, opts.json);
      },
    );

  withNodeOptions(dkim.command('import'))
    .description('import a private key (PEM, RSA or Ed25519) made elsewhere; it becomes the active key')
    .argument('<domain>', 'sender domain')
    .requiredOption('-s, --selector <selector>', 'the selector its DNS record is published under')
    .requiredOption('-k, --key <file>', 'PEM file with the private key ("-" for standard input)')
    .option('--json', 'print JSON')
    .action(async (domain: string, opts: NodeOptions & { selector: string; key: string; json?: boolean }) => {
      let pem: string;
      try {
        pem = opts.key === '-' ? await readStdin() : await readFile(opts.key, 'utf8');
      } catch (e) {
        throw new CliError(`cannot read ${opts.key}: ${(e as Error).message}`, EXIT.usage);
      }
      const key = await withKeys(opts, (keys) => keys.import(domain, opts.selector, pem));
      printNewKey(key, opts.json);
    });

  withNodeOptions(dkim.command('list'))
    .description('keys per domain: selector, type, status (active or retired), dates')
    .argument('[domain]', 'only this domain')
    .option('--json', 'print JSON (with each DNS record; never private keys)')
    .action(async (domain: string | undefined, opts: NodeOptions & { json?: boolean }) => {
      const list = await withKeys(opts, (keys) => keys.list(domain));
      if (domain !== undefined && list.length === 0)
        throw new CliError(`no DKIM keys for ${domain}`, EXIT.notFound);
      if (opts.json) return printJson(list.map(publicView));
      if (list.length === 0) {
        process.stdout.write('no DKIM keys (create one with: sekimori dkim generate DOMAIN)\n');
        return;
      }
      printTable(
        ['DOMAIN', 'SELECTOR', 'TYPE', 'STATUS', 'CREATED', 'RETIRED'],
        list.map((k) => [k.domain, k.selector, describe(k), k.status, date(k.createdAt), date(k.retiredAt)]),
      );
    });

  withNodeOptions(dkim.command('dns'))
    .description('the TXT records to publish for a domain’s keys (active and retired)')
    .argument('<domain>', 'sender domain')
    .option('-s, --selector <selector>', 'only this selector')
    .option('--json', 'print JSON')
    .action(async (domain: string, opts: NodeOptions & { selector?: string; json?: boolean }) => {
      const list = await withKeys(opts, async (keys) => {
        if (opts.selector === undefined) return keys.list(domain);
        const k = await keys.get(domain, opts.selector);
        return k ? [k] : [];
      });
      if (list.length === 0)
        throw new CliError(
          `no DKIM key for ${domain}${opts.selector ? ` with selector ${opts.selector}` : ''}`,
          EXIT.notFound,
        );
      if (opts.json)
        return printJson(list.map((k) => ({ selector: k.selector, status: k.status, ...dnsRecord(k) })));
      for (const k of list) process.stdout.write(`${dnsRecord(k).text}\n`);
    });

  withNodeOptions(dkim.command('rotate'))
    .description(
      'generate a new key under a new selector and make it active; the old one stays until removed',
    )
    .argument('<domain>', 'sender domain')
    .option('-t, --type <type>', 'rsa or ed25519 (default: the type of the current key)')
    .option('--json', 'print JSON')
    .action(async (domain: string, opts: NodeOptions & { type?: string; json?: boolean }) => {
      const type = keyType(opts.type);
      const { key, previous } = await withKeys(opts, (keys) => keys.rotate(domain, { type }));
      if (opts.json) return printJson({ key: publicView(key), previous: publicView(previous) });
      printNewKey(
        key,
        false,
        `${previous.selector} is retired: keep its record published until mail signed with it has arrived, then run\n  sekimori dkim remove ${key.domain} --selector ${previous.selector}`,
      );
    });

  withNodeOptions(dkim.command('remove'))
    .description('delete a key (the active one only with --force: the domain then goes unsigned)')
    .argument('<domain>', 'sender domain')
    .requiredOption('-s, --selector <selector>', 'selector of the key')
    .option('--force', 'also remove the active key')
    .action(async (domain: string, opts: NodeOptions & { selector: string; force?: boolean }) => {
      const k = await withKeys(opts, (keys) => keys.remove(domain, opts.selector, { force: opts.force }));
      process.stdout.write(
        `removed ${k.status} key ${k.selector} of ${k.domain}; its DNS record ${dnsRecord(k).name} can go\n`,
      );
    });

  withNodeOptions(dkim.command('export'))
    .description('print a private key (PEM) to move it to another signer')
    .argument('<domain>', 'sender domain')
    .requiredOption('-s, --selector <selector>', 'selector of the key')
    .action(async (domain: string, opts: NodeOptions & { selector: string }) => {
      const k = await withKeys(opts, (keys) => keys.get(domain, opts.selector));
      if (!k) throw new CliError(`no key ${opts.selector} for ${domain}`, EXIT.notFound);
      process.stdout.write(k.privateKey.endsWith('\n') ? k.privateKey : `${k.privateKey}\n`);
    });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
