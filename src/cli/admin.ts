// sekimori admin: console accounts from the command line (the first password without the
// setup code, a forgotten password, an unlock).
import type { Command } from 'commander';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { rm } from 'node:fs/promises';
import { AccountRepository } from '../web/accounts-repo.js';
import { passwordProblem } from '../web/passwords.js';
import { ADMINISTRATOR } from '../web/roles.js';
import { setupCodePath } from '../web/setup-code.js';
import { SessionRepository } from '../web/sessions-repo.js';
import {
  CliError,
  EXIT,
  formatAge,
  nodeConfig,
  printJson,
  printTable,
  withNodeOptions,
  withStore,
  type NodeOptions,
} from './common.js';

/** Reads one line from the terminal without echoing it. */
function askHidden(prompt: string): Promise<string> {
  const muted = new Writable({ write: (_chunk, _enc, cb) => cb() });
  process.stderr.write(prompt);
  const rl = createInterface({ input: process.stdin, output: muted, terminal: true });
  return new Promise((resolve) => {
    rl.question('', (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
  });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

async function newPassword(name: string, fromStdin: boolean): Promise<string> {
  let password: string;
  if (fromStdin) password = await readStdin();
  else {
    if (!process.stdin.isTTY)
      throw new CliError('no terminal to ask for the password: use --password-stdin', EXIT.usage);
    password = await askHidden(`new password for ${name}: `);
    if ((await askHidden('again: ')) !== password) throw new CliError('the passwords differ', EXIT.usage);
  }
  const problem = passwordProblem(name, password);
  if (problem) throw new CliError(problem, EXIT.usage);
  return password;
}

export function registerAdmin(program: Command): void {
  const admin = program.command('admin').description('administration console accounts');

  withNodeOptions(admin.command('passwd [name]'))
    .description(
      'set an account\'s console password (creates the account as administrator if absent; default "admin")',
    )
    .option('--password-stdin', 'read the password from standard input instead of the terminal')
    .action(async (name: string | undefined, opts: NodeOptions & { passwordStdin?: boolean }) => {
      const account = name ?? 'admin';
      const password = await newPassword(account, opts.passwordStdin === true);
      const created = await withStore(opts, async (store) => {
        const accounts = new AccountRepository(store);
        if (await accounts.setPassword(account, password)) {
          // a new password ends the sessions opened with the old one
          await new SessionRepository(store).deleteForAccount(account);
          return false;
        }
        if (!(await accounts.create({ name: account, password, role: ADMINISTRATOR })))
          throw new CliError(`could not create account ${account}`);
        return true;
      });
      // the first-start code is of no more use once an account exists
      await rm(setupCodePath(nodeConfig(opts).dataDir), { force: true });
      process.stdout.write(
        created ? `created administrator ${account}\n` : `password of ${account} changed\n`,
      );
    });

  withNodeOptions(admin.command('list'))
    .description('list console accounts')
    .option('--json', 'print JSON')
    .action(async (opts: NodeOptions & { json?: boolean }) => {
      const list = await withStore(opts, (store) => new AccountRepository(store).list());
      if (opts.json) return printJson(list);
      const now = Date.now();
      printTable(
        ['NAME', 'ROLE', 'STATE', 'LAST LOGON'],
        list.map((a) => [
          a.name,
          a.role,
          a.disabled
            ? 'disabled'
            : a.lockedUntil
              ? `locked ${formatAge(a.lockedUntil - now)} more`
              : 'active',
          a.lastLogonAt ? `${formatAge(now - a.lastLogonAt)} ago` : 'never',
        ]),
      );
    });

  withNodeOptions(admin.command('unlock <name>'))
    .description('unlock an account locked after failed logons')
    .action(async (name: string, opts: NodeOptions) => {
      const found = await withStore(opts, (store) => new AccountRepository(store).unlock(name));
      if (!found) throw new CliError(`no account ${name}`, EXIT.notFound);
      process.stdout.write(`unlocked ${name}\n`);
    });
}
