// The policy commands an administrator uses on the rules, through the real CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { runCli } from '../helpers/gateway.js';
import { tempDir } from '../helpers/tmp.js';

interface RuleJson {
  id: string;
  enabled: boolean;
}

test('policy list, show, disable/enable, move, delete, export and import', async () => {
  const t = await tempDir();
  try {
    const env = { SEKIMORI_DATA_DIR: t.dir };
    const cli = (args: string[]) => runCli(args, env);
    const file = join(t.dir, 'settings.yaml');
    await writeFile(
      file,
      stringify({
        domains: [{ name: 'example.com' }],
        policy: {
          rules: [
            {
              id: 'big-mail',
              name: 'Big mail',
              conditions: [{ size: { min: '10MB' } }],
              actions: { intercept: { action: 'hold' } },
            },
            {
              id: 'exe',
              name: 'No programs',
              conditions: [{ attachment: { trueTypes: ['exe'] } }],
              actions: { intercept: { action: 'delete' } },
            },
          ],
        },
      }),
    );
    assert.equal((await cli(['settings', 'import', file])).code, 0);
    const ids = async () =>
      (JSON.parse((await cli(['policy', 'list', '--json'])).stdout) as RuleJson[]).map((r) => r.id);
    const before = await ids();
    assert.equal(before[0], 'global-antivirus', 'the antivirus rule runs first');
    assert.ok(before.includes('big-mail') && before.includes('exe') && before.includes('scan-exceptions'));

    const table = await cli(['policy', 'list']);
    assert.match(table.stdout, /big-mail\s+yes\s+other\s+all\s+size\s+hold\s+Big mail/);
    assert.match(table.stdout, /global-antivirus.*\(default\)/);

    assert.equal((await cli(['policy', 'disable', 'big-mail'])).code, 0);
    const shown = await cli(['policy', 'show', 'big-mail']);
    assert.match(shown.stdout, /enabled: false/);
    assert.equal((await cli(['policy', 'enable', 'big-mail'])).code, 0);

    const moved = await cli(['policy', 'move', 'exe', '--before', 'big-mail']);
    assert.equal(moved.code, 0, moved.stderr);
    const after = await ids();
    assert.ok(after.indexOf('exe') < after.indexOf('big-mail'));

    const refused = await cli(['policy', 'delete', 'global-antivirus']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /default rule/);
    assert.equal((await cli(['policy', 'delete', 'exe'])).code, 0);
    assert.equal((await ids()).includes('exe'), false);
    assert.equal((await cli(['policy', 'show', 'exe'])).code, 3);

    const exported = await cli(['policy', 'export']);
    assert.match(exported.stdout, /^policy:/);
    const bad = join(t.dir, 'bad.yaml');
    await writeFile(
      bad,
      'policy:\n  rules:\n    - id: x\n      conditions: [{ keywords: { list: nowhere } }]\n',
    );
    const badImport = await cli(['policy', 'import', bad]);
    assert.equal(badImport.code, 2);
    assert.match(badImport.stderr, /policy\.rules\[\d+\]\.conditions\[0\]\.keywords\.list/);
    const again = join(t.dir, 'again.yaml');
    await writeFile(again, exported.stdout);
    assert.equal((await cli(['policy', 'import', again])).code, 0);
    assert.deepEqual(await ids(), await ids());
    const settings = await cli(['settings', 'export']);
    assert.match(settings.stdout, /name: example\.com/, 'the rest of the settings stays');
  } finally {
    await t.cleanup();
  }
});
