// The console's Japanese and English catalogues have the same keys and the same {placeholders}
// in each string (the UI build checks the keys by type; this test says which one is missing).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

/** key → value of a catalogue file, read as text (the UI is built by Vite, not by this tsc). */
function catalogue(file: string): Map<string, string> {
  const text = readFileSync(`ui/src/i18n/${file}`, 'utf8');
  const entries = new Map<string, string>();
  for (const m of text.matchAll(/^\s*'([^']+)':\s*(?:\n\s*)?'((?:[^'\\]|\\.)*)',?$/gm))
    entries.set(m[1]!, m[2]!);
  return entries;
}

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test('ja and en have the same keys, each with the same placeholders', () => {
  const en = catalogue('en.ts');
  const ja = catalogue('ja.ts');
  assert.ok(en.size > 300, `read ${en.size} English strings`);
  assert.deepEqual(
    [...ja.keys()].filter((k) => !en.has(k)),
    [],
    'keys only in ja.ts',
  );
  assert.deepEqual(
    [...en.keys()].filter((k) => !ja.has(k)),
    [],
    'keys only in en.ts',
  );
  for (const [key, value] of en) assert.deepEqual(placeholders(ja.get(key)!), placeholders(value), key);
});

test('the Japanese strings are Japanese where the English ones are words', () => {
  const en = catalogue('en.ts');
  const ja = catalogue('ja.ts');
  const same = [...en].filter(([k, v]) => /[a-z]{4,}/i.test(v) && ja.get(k) === v).map(([k]) => k);
  // Product terms kept as they are in Japanese consoles too.
  const allowed = new Set(['dlp.iban', 'tracking.cnc', 'policy.yamlView', 'wizard.step.ldap']);
  assert.deepEqual(
    same.filter((k) => !allowed.has(k)),
    [],
    'untranslated strings',
  );
});
