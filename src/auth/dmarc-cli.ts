// `sekimori dmarc report`: the DMARC aggregate reports (RFC 7489 §7.2) of a period, built from
// the results the gateway counted in the store. --print shows each report's XML; --send mails
// each as a gzipped attachment to the domain's rua= addresses, submitted over SMTP to the
// gateway itself by default (which relays it and DKIM-signs it like the rest of our mail).
import type { Command } from 'commander';
import nodemailer from 'nodemailer';
import {
  CliError,
  EXIT,
  nodeConfig,
  printJson,
  withNodeOptions,
  withStore,
  type NodeOptions,
} from '../cli/common.js';
import { toRuntimeSettings } from '../config/settings.js';
import { SettingsRepository } from '../store/settings-repo.js';
import { buildAggregateReports, dmarcResultRows, type AggregateReport } from './dmarc-reports.js';

interface ReportOptions extends NodeOptions {
  print?: boolean;
  send?: boolean;
  day?: string;
  from?: string;
  to?: string;
  smtp?: string;
  org?: string;
  email?: string;
  domain?: string;
  json?: boolean;
}

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

function day(text: string, option: string): string {
  if (!DAY_RE.test(text) || Number.isNaN(Date.parse(`${text}T00:00:00Z`)))
    throw new CliError(`${option}: "${text}" is not a day (YYYY-MM-DD)`, EXIT.usage);
  return text;
}

/** The period: --day, or --from/--to, or yesterday (UTC), the usual daily report. */
function period(o: ReportOptions): { from: string; to: string } {
  if (o.day !== undefined) {
    if (o.from !== undefined || o.to !== undefined)
      throw new CliError('--day or --from/--to, not both', EXIT.usage);
    const d = day(o.day, '--day');
    return { from: d, to: d };
  }
  const yesterday = new Date(Date.now() - DAY_MS).toISOString().slice(0, 10);
  const from = o.from === undefined ? yesterday : day(o.from, '--from');
  const to = o.to === undefined ? from : day(o.to, '--to');
  if (to < from) throw new CliError('--to is before --from', EXIT.usage);
  return { from, to };
}

function hostPort(text: string): { host: string; port: number } {
  const m = /^(.+):(\d{1,5})$/.exec(text);
  if (!m) throw new CliError(`--smtp: "${text}" is not host:port`, EXIT.usage);
  return { host: (m[1] as string).replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

async function send(
  reports: AggregateReport[],
  smtp: { host: string; port: number },
  from: string,
  receiver: string,
) {
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: false,
    ignoreTLS: true,
  });
  try {
    for (const r of reports) {
      if (r.rua.length === 0) continue;
      await transport.sendMail({
        from,
        to: r.rua,
        // RFC 7489 §7.2.1.1
        subject: `Report Domain: ${r.domain} Submitter: ${receiver} Report-ID: <${r.reportId}>`,
        text: `DMARC aggregate report for ${r.domain} from ${receiver}: ${r.messages} messages.\n`,
        attachments: [{ filename: r.filename, content: r.gzip, contentType: 'application/gzip' }],
      });
    }
  } finally {
    transport.close();
  }
}

export function registerDmarc(program: Command): void {
  const dmarc = program
    .command('dmarc')
    .description('DMARC aggregate reports to the domains that ask for them');
  withNodeOptions(dmarc.command('report'))
    .description('build the aggregate reports of a period (default: yesterday, UTC) and print or send them')
    .option('--print', 'print each report (XML)')
    .option('--send', "mail each report, gzipped, to the domain's rua= addresses")
    .option('--day <YYYY-MM-DD>', 'one UTC day')
    .option('--from <YYYY-MM-DD>', 'first UTC day of the period')
    .option('--to <YYYY-MM-DD>', 'last UTC day of the period')
    .option('--smtp <host:port>', "SMTP server to submit through (default: this node's SMTP listener)")
    .option('--org <name>', 'org_name of the reports (default: smtp.hostname)')
    .option('--email <address>', 'sender and contact address (default: postmaster@smtp.hostname)')
    .option('--domain <domain>', 'only the report of this policy domain')
    .option('--json', 'print a summary as JSON')
    .action(async (o: ReportOptions) => {
      if (o.print === o.send) throw new CliError('say --print or --send (one of them)', EXIT.usage);
      const { from, to } = period(o);
      const config = nodeConfig(o);
      const { rows, hostname } = await withStore(o, async (store) => {
        let hostname = 'localhost';
        try {
          hostname = toRuntimeSettings((await new SettingsRepository(store).load()).document).smtp.hostname;
        } catch {
          // no settings stored yet: the defaults
        }
        return { rows: await dmarcResultRows(store.db, from, to), hostname };
      });
      const email = o.email ?? `postmaster@${hostname}`;
      const wanted = o.domain?.toLowerCase();
      const reports = buildAggregateReports(wanted ? rows.filter((r) => r.policy_domain === wanted) : rows, {
        orgName: o.org ?? hostname,
        email,
        receiver: hostname,
        begin: Date.parse(`${from}T00:00:00Z`) / 1000,
        end: Date.parse(`${to}T00:00:00Z`) / 1000 + 86_399,
      });
      if (o.send) {
        const listen = config.smtpListen;
        const smtp = o.smtp
          ? hostPort(o.smtp)
          : {
              host: listen.host === '0.0.0.0' || listen.host === '::' ? '127.0.0.1' : listen.host,
              port: listen.port,
            };
        await send(reports, smtp, email, hostname);
      }
      const summary = reports.map((r) => ({
        domain: r.domain,
        messages: r.messages,
        rua: r.rua,
        filename: r.filename,
        ...(o.send ? { sent: r.rua.length > 0 } : {}),
      }));
      if (o.json) printJson({ from, to, reports: summary });
      else if (o.print) for (const r of reports) process.stdout.write(r.xml);
      else
        for (const r of summary)
          process.stdout.write(
            r.sent
              ? `sent ${r.filename} to ${r.rua.join(', ')}\n`
              : `${r.domain}: no rua= address, not sent\n`,
          );
      if (reports.length === 0) process.stderr.write(`no DMARC results from ${from} to ${to}\n`);
    });
}
