// The administration console in a real browser (headless Chromium) against a real gateway: the
// first-start password, the setup wizard, a keyword rule made in the policy editor and found at
// work in message tracking, a quarantined virus released and delivered, a read-only account
// kept from changing rules, the switch between Japanese and English, a custom role and an
// account with it, API tokens, mail settings, address groups, settings export and import, one's
// own password and the audit log. Screenshots of the main pages are kept in
// artefacts/screenshots.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { startSink, type Sink } from '../helpers/sink.js';
import { sendRaw } from '../helpers/send.js';
import { waitUntil } from '../helpers/tmp.js';
import { ConsoleClient, logon, readSetupCode, type Json } from '../helpers/console.js';
import {
  launchBrowser,
  logonInNewPage,
  logonThroughForm,
  newPage,
  screenshot,
  type BrowserPage,
} from '../helpers/browser.js';
import { readFile } from 'node:fs/promises';
import { parse, stringify } from 'yaml';
import { EICAR } from '../fixtures/eicar.js';

const PASSWORD = 'first-admin-password';
const TRACY_PASSWORD = 'tracy-first-password';
const TRACY_NEW_PASSWORD = 'tracy-second-password';

function mail(subject: string, body: string): Buffer {
  return Buffer.from(
    ['From: Alice <alice@outside.test>', 'To: bob@example.com', `Subject: ${subject}`, '', body, ''].join(
      '\r\n',
    ),
  );
}

describe('administration console in the browser', { timeout: 240_000 }, () => {
  let sink: Sink;
  let gw: TestGateway;
  let browser: Browser;
  let admin: BrowserPage;
  let api: ConsoleClient;

  const go = (page: Page, path: string) => page.goto(gw.consoleUrl + path);

  before(async () => {
    sink = await startSink();
    gw = await startGateway({
      settings: {
        smtp: { hostname: 'gw.example.test' },
        domains: [{ name: 'example.com', nextHops: [`127.0.0.1:${sink.port}`] }],
      },
    });
    browser = await launchBrowser();
    admin = await newPage(browser, 'ja-JP');
    admin.page.setDefaultTimeout(15_000);
  });
  after(async () => {
    await browser?.close();
    await gw?.stop();
    await sink?.close();
  });

  test('first start in a Japanese browser: the setup code and a password open the console in Japanese', async () => {
    const { page } = admin;
    await go(page, '/');
    await page.getByText('管理者パスワードの設定').waitFor();
    await page.getByTestId('setup-code').fill(await readSetupCode(gw));
    await page.getByTestId('setup-password').fill(PASSWORD);
    await page.getByTestId('setup-repeat').fill(PASSWORD + 'x');
    assert.equal(
      await page.getByTestId('setup-submit').isDisabled(),
      true,
      'differing passwords are not sent',
    );
    await page.getByTestId('setup-repeat').fill(PASSWORD);
    await page.getByTestId('setup-submit').click();
    await page.getByTestId('nav-dashboard').waitFor();
    assert.equal(await page.getByTestId('nav-dashboard').textContent(), 'ダッシュボード');
    assert.equal(await page.getByTestId('nav-quarantine').textContent(), '隔離');
    await screenshot(page, 'dashboard-ja');
    api = await logon(gw, 'admin', PASSWORD);
  });

  test('the header switches between Japanese and English at once and keeps the choice', async () => {
    const { page } = admin;
    await page.getByTestId('lang-en').click();
    await page.getByTestId('nav-dashboard').getByText('Dashboard').waitFor();
    await waitUntil(
      async () => (await api.get('/accounts/admin')).json?.language === 'en',
      'the language is saved',
    );
    await page.reload();
    await page.getByTestId('nav-tracking').getByText('Message tracking').waitFor();
    await page.getByTestId('lang-ja').click();
    await page.getByTestId('nav-tracking').getByText('メッセージ追跡').waitFor();
    await page.getByTestId('lang-en').click();
    await page.getByTestId('nav-tracking').getByText('Message tracking').waitFor();
  });

  test('the setup wizard can be walked through, skipping steps, and records its completion', async () => {
    const { page } = admin;
    await go(page, '/settings');
    await page.getByTestId('open-wizard').click();
    await page.getByTestId('wizard-step-system').waitFor();
    await page.getByTestId('wizard-system-hostname').fill('gw.example.test');
    await page.getByTestId('wizard-system-timezone').fill('Asia/Tokyo');
    await page.getByTestId('wizard-next').click();
    await page.getByTestId('wizard-step-deployment').waitFor();
    await page.getByTestId('wizard-role').selectOption('standalone');
    await page.getByTestId('wizard-next').click();
    await page.getByTestId('wizard-step-routing').waitFor();
    assert.equal(await page.getByTestId('domain-name-0').inputValue(), 'example.com');
    await page.getByTestId('wizard-next').click();
    for (const step of ['notifications', 'updates', 'ldap']) {
      await page.getByTestId(`wizard-step-${step}`).waitFor();
      await page.getByTestId('wizard-skip').click();
    }
    await page.getByTestId('wizard-step-internal').waitFor();
    await page.getByTestId('wizard-internal-domains').fill('corp.example.com');
    await page.getByTestId('wizard-next').click();
    await page.getByTestId('wizard-step-review').waitFor();
    await page.getByTestId('wizard-complete').click();
    await page.getByTestId('wizard-completed-at').waitFor();
    await screenshot(page, 'wizard');

    const wizard = (await api.get('/wizard')).json;
    assert.ok(wizard.completedAt > 0);
    const step = (name: string) => wizard.steps.find((s: Json) => s.step === name);
    assert.equal(step('system').values.timezone, 'Asia/Tokyo');
    assert.equal(step('system').done, true);
    assert.equal(step('ldap').skipped, true);
    assert.deepEqual(step('internal').values.domains, ['corp.example.com']);
  });

  test('a keyword list and a rule made in the policy editor are saved in the policy', async () => {
    const { page } = admin;
    await go(page, '/policy/lists');
    await page.getByTestId('list-add').click();
    const name = page.locator('[data-testid^="list-"][data-testid$="-name"]').last();
    await name.fill('code-names');
    const listId = (await name.getAttribute('data-testid'))!.replace(/-name$/, '');
    await page.getByTestId(`${listId}-entry-0`).fill('bluebird');
    await page.getByTestId('lists-save').click();
    await page.getByTestId('success').waitFor();

    await go(page, '/policy');
    await page.getByTestId('rule-new').click();
    await page.getByTestId('rule-id').fill('code-names');
    await page.getByTestId('rule-name').fill('Code names are tagged');
    await page.getByTestId('rule-direction').selectOption('inbound');
    await page.getByTestId('condition-add').click();
    await page.getByTestId('cond-0-kind').selectOption('keywords');
    await page.getByTestId('cond-0-list').selectOption('code-names');
    await page.getByTestId('cond-0-in-subject').check();
    await page.getByTestId('cond-0-in-body').check();
    await page.getByTestId('rule-tag-subject').fill('[code name]');
    await page.getByTestId('rule-save').click();
    await page.getByTestId('success').waitFor();
    await page.waitForURL(/\/policy\/rules\/code-names$/);

    const rule = (await api.get('/policy/rules/code-names')).json;
    assert.equal(rule.route.direction, 'inbound');
    assert.deepEqual(rule.conditions, [{ keywords: { list: 'code-names', in: ['subject', 'body'] } }]);
    assert.deepEqual(rule.actions.modify, [{ tagSubject: '[code name]' }]);

    await go(page, '/policy');
    await page.getByTestId('rule-row-code-names').waitFor();
    await screenshot(page, 'policy');

    // Order: drag the new rule above the default spam rule, then move it back down with the button.
    const order = async () => ((await api.get('/policy')).json.rules as Json[]).map((r) => r.id);
    await page.getByTestId('rule-row-code-names').dragTo(page.getByTestId('rule-row-default-spam'));
    await waitUntil(
      async () => (await order()).indexOf('code-names') === (await order()).indexOf('default-spam') - 1,
      'the rule moved up',
    );
    await page.getByTestId('rule-down-code-names').click();
    await waitUntil(
      async () => (await order()).indexOf('code-names') === (await order()).indexOf('default-spam') + 1,
      'the rule moved down',
    );

    // The Test page tries an uploaded message and says which rule matched and why.
    await go(page, '/policy/test');
    await page.getByTestId('test-file').setInputFiles({
      name: 'bluebird.eml',
      mimeType: 'message/rfc822',
      buffer: mail('About bluebird', 'Hello'),
    });
    await page.getByTestId('test-run').click();
    const tried = page.getByTestId('test-rule-code-names').first();
    await tried.waitFor();
    assert.match((await tried.textContent()) ?? '', /Matched.*keyword "bluebird"/);
    assert.match(
      (await page.getByTestId('test-rule-global-antivirus').first().textContent()) ?? '',
      /Not matched/,
    );
  });

  test('a message with the keyword is found in tracking, and its story shows the evidence', async () => {
    const { page } = admin;
    const sent = await sendRaw(
      gw,
      'alice@outside.test',
      ['bob@example.com'],
      mail('Project bluebird', 'Hello Bob'),
    );
    assert.ok(sent.queueId);
    const [delivered] = await sink.waitFor((m) => m.some((x) => x.raw.includes('Project bluebird')), 20_000);
    assert.ok(delivered);
    assert.match(sink.messages.at(-1)!.raw.toString(), /Subject: \[code name\] Project bluebird/);

    await go(page, '/tracking');
    await page.getByTestId('search-subject').fill('bluebird');
    await page.getByTestId('tracking-search-submit').click();
    await page.waitForURL(/subject=bluebird/);
    await waitUntil(async () => {
      await page.reload();
      return (await page.getByTestId(`tracking-row-${sent.queueId}`).count()) > 0;
    }, 'the message shows in tracking');
    // The rule's tag made a modified copy: the message as received is the one with the rule.
    await page.getByTestId(`tracking-row-${sent.queueId}`).getByTestId('tracking-open').click();
    await page.waitForURL(/\/tracking\/[0-9A-Z]+$/);
    // The policy log is written in batches: the story may lag the delivery a little.
    await waitUntil(
      async () => {
        await page.reload();
        await page.getByTestId('story').waitFor();
        return (await page.getByTestId('evidence').count()) > 0;
      },
      'the story shows the rule',
      20_000,
      500,
    );
    assert.match((await page.getByTestId('evidence').first().textContent()) ?? '', /bluebird/);
    assert.match((await page.getByTestId('story-rules').textContent()) ?? '', /Code names are tagged/);
    await page.getByTestId('story-delivery').first().waitFor();
    await screenshot(page, 'tracking-detail');
  });

  test('a quarantined virus is released from the quarantine page and delivered', async () => {
    const { page } = admin;
    await sendRaw(gw, 'alice@outside.test', ['bob@example.com'], mail('Invoice attached', EICAR));
    let entry: Json;
    await waitUntil(async () => {
      entry = (await api.get('/quarantine?subject=Invoice')).json?.messages?.[0];
      return entry !== undefined;
    }, 'the virus is quarantined');

    await go(page, '/quarantine');
    await page.getByTestId(`quarantine-row-${entry.id}`).waitFor();
    await screenshot(page, 'quarantine');
    await page.getByTestId(`quarantine-select-${entry.id}`).check();
    await page.getByTestId('quarantine-release').click();
    await page.getByTestId('success').waitFor();
    await sink.waitFor((m) => m.some((x) => x.raw.includes('Invoice attached')), 20_000);
    assert.equal((await api.get(`/quarantine/${entry.id}`)).json.status, 'released');
  });

  test('a read-only account sees the rules but cannot change them, and a forced call is refused', async () => {
    const created = await api.post('/accounts', {
      name: 'auditor',
      password: 'auditor-password',
      role: 'read-only',
    });
    assert.equal(created.status, 201, created.text);
    const reader = await logonInNewPage(browser, gw.consoleUrl, 'auditor', 'auditor-password');
    try {
      const { page } = reader;
      await page.getByTestId('nav-policy').click();
      await page.getByTestId('rule-row-code-names').waitFor();
      assert.equal(await page.getByTestId('nav-accounts').count(), 0, 'no accounts section for read-only');
      assert.equal(await page.getByTestId('rule-new').count(), 0);
      assert.equal(await page.getByTestId('rule-up-code-names').count(), 0);
      assert.equal(await page.getByTestId('rule-enabled-code-names').isDisabled(), true);

      await page.getByTestId('rule-link-code-names').click();
      await page.getByTestId('read-only').waitFor();
      assert.equal(await page.getByTestId('rule-save').count(), 0);
      assert.equal(await page.getByTestId('rule-delete').count(), 0);
      assert.equal(await page.getByTestId('rule-name').isDisabled(), true);

      // The server refuses it anyway, even with the session's CSRF token.
      const status = await page.evaluate(async () => {
        const session = (await (await fetch('/api/v1/session')).json()) as { csrfToken: string };
        const r = await fetch('/api/v1/policy/rules/code-names/enabled', {
          method: 'PUT',
          headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': session.csrfToken },
          body: JSON.stringify({ enabled: false }),
        });
        return r.status;
      });
      assert.equal(status, 403);
      assert.equal((await api.get('/policy/rules/code-names')).json.enabled, true);
    } finally {
      await reader.context.close();
    }
  });

  test('a queued message is held and released from the queue page, then delivered', async () => {
    const { page } = admin;
    const node = (await api.get('/system/status')).json.node as string;
    const services = `/system/nodes/${node}/services/delivery`;
    assert.equal((await api.post(`${services}/stop`)).status, 200);
    try {
      const sent = await sendRaw(
        gw,
        'alice@outside.test',
        ['bob@example.com'],
        mail('Waiting in line', 'Hi'),
      );
      const id = sent.queueId!;
      await go(page, '/queue');
      await page.getByTestId(`queue-row-${id}`).waitFor();
      await page.getByTestId(`queue-select-${id}`).check();
      await page.getByTestId('queue-hold').click();
      await page.getByTestId('success').waitFor();
      assert.equal((await api.get(`/queue/${id}`)).json.queue, 'hold');

      await page.getByTestId('queue-browse-hold').click();
      await page.waitForURL(/queue=hold/);
      await page.getByTestId(`queue-select-${id}`).check();
      await page.getByTestId('queue-release').click();
      await page.getByTestId('success').waitFor();
      assert.notEqual((await api.get(`/queue/${id}`)).json.queue, 'hold');
    } finally {
      await api.post(`${services}/start`);
    }
    await sink.waitFor((m) => m.some((x) => x.raw.includes('Waiting in line')), 20_000);
  });

  test('a custom role with read on tracking only: its account sees only Tracking; a new token is shown once', async () => {
    const { page } = admin;
    await go(page, '/accounts');
    await page.getByTestId('tab-roles').click();
    await page.getByTestId('role-new-name').fill('tracker');
    await page.getByTestId('role-add').click();
    await page.getByTestId('role-tracker-tracking').selectOption('read');
    await page.getByTestId('role-save-tracker').click();
    await page.getByTestId('success').waitFor();
    const role = ((await api.get('/roles')).json.roles as Json[]).find((r) => r.name === 'tracker');
    assert.equal(role.permissions.tracking, 'read');
    assert.deepEqual(
      Object.entries(role.permissions as Record<string, string>).filter(([, p]) => p !== 'none'),
      [['tracking', 'read']],
    );

    await page.getByTestId('tab-accounts').click();
    await page.getByTestId('account-name').fill('tracy');
    await page.getByTestId('account-password').fill(TRACY_PASSWORD);
    await page.getByTestId('account-role').selectOption('tracker');
    await page.getByTestId('account-submit').click();
    await page.getByTestId('account-row-tracy').waitFor();
    assert.equal((await api.get('/accounts/tracy')).json.role, 'tracker');
    await screenshot(page, 'accounts');

    const tracy = await logonInNewPage(browser, gw.consoleUrl, 'tracy', TRACY_PASSWORD);
    try {
      const nav = tracy.page.getByTestId('nav').locator('a');
      assert.deepEqual(await nav.evaluateAll((as) => as.map((a) => a.getAttribute('data-testid'))), [
        'nav-tracking',
      ]);
      await tracy.page.waitForURL(/\/tracking$/);
      await tracy.page.getByTestId('tracking-table').waitFor();
    } finally {
      await tracy.context.close();
    }

    // A token is shown once, right after it is made; the list never shows it again.
    await page.getByTestId('tab-tokens').click();
    await page.getByTestId('token-name').fill('ci-export');
    await page.getByTestId('token-create').click();
    const token = (await page.getByTestId('token-shown').locator('code').textContent()) ?? '';
    assert.ok(token.length > 20, token);
    const byToken = new ConsoleClient(gw.consoleUrl, token);
    assert.equal((await byToken.get('/settings/export')).status, 200, 'the token works');
    await page.getByTestId('tab-accounts').click();
    await page.getByTestId('tab-tokens').click();
    await page.getByTestId('tokens-table').getByText('ci-export').waitFor();
    assert.equal(await page.getByTestId('token-shown').count(), 0);
    assert.equal(await page.getByText(token).count(), 0, 'the token is not shown again');
  });

  test("one changes one's own password from the header, then logs on with the new one", async () => {
    const tracy = await logonInNewPage(browser, gw.consoleUrl, 'tracy', TRACY_PASSWORD);
    try {
      const { page } = tracy;
      await page.getByTestId('change-password').click();
      await page.getByTestId('password-current').fill('not-the-password');
      await page.getByTestId('password-new-password').fill(TRACY_NEW_PASSWORD);
      await page.getByTestId('password-new-repeat').fill(TRACY_NEW_PASSWORD);
      await page.getByTestId('password-submit').click();
      await page.getByText('The current password is wrong.').waitFor();

      await page.getByTestId('password-current').fill(TRACY_PASSWORD);
      await page.getByTestId('password-new-repeat').fill('something-else');
      assert.equal(await page.getByTestId('password-submit').isDisabled(), true, 'repeat differs');
      await page.getByTestId('password-new-repeat').fill(TRACY_NEW_PASSWORD);
      await page.getByTestId('password-submit').click();
      await page.getByTestId('success').waitFor();

      await page.getByTestId('logoff').click();
      await page.getByTestId('logon-account').fill('tracy');
      await page.getByTestId('logon-password').fill(TRACY_PASSWORD);
      await page.getByTestId('logon-submit').click();
      await page.getByTestId('error').waitFor();
      await logonThroughForm(page, 'tracy', TRACY_NEW_PASSWORD);
      await page.getByTestId('nav-tracking').waitFor();
    } finally {
      await tracy.context.close();
    }
  });

  test('an accepted domain added on the mail settings page is saved', async () => {
    const { page } = admin;
    await go(page, '/mail');
    await page.getByTestId('domain-name-0').waitFor();
    const n = await page.locator('[data-testid^="domain-name-"]').count();
    await page.getByTestId('domain-add').click();
    await page.getByTestId(`domain-name-${n}`).fill('added.example');
    await page.getByTestId(`domain-hops-${n}`).fill(`127.0.0.1:${sink.port}`);
    await page.getByTestId('mail-save').click();
    await page.getByTestId('success').waitFor();
    const domains = (await api.get('/mail/settings')).json.domains as Json[];
    const added = domains.find((d) => d.name === 'added.example');
    assert.deepEqual(added?.nextHops, [`127.0.0.1:${sink.port}`]);
    assert.ok(
      domains.some((d) => d.name === 'example.com'),
      'the other domains stay',
    );
  });

  test('an address group is made on the policy lists page', async () => {
    const { page } = admin;
    await go(page, '/policy/lists');
    await page.getByTestId('group-add').click();
    await page.getByTestId('group-0-name').fill('partners');
    await page.getByTestId('group-0-addresses').fill('ceo@partner.test\n*@supplier.test\n');
    await page.getByTestId('lists-save').click();
    await page.getByTestId('success').waitFor();
    const lists = (await api.get('/policy/lists')).json;
    assert.deepEqual(
      lists.addressGroups.map((g: Json) => [g.name, g.addresses]),
      [['partners', ['ceo@partner.test', '*@supplier.test']]],
    );
    assert.ok(
      lists.keywordLists.some((l: Json) => l.name === 'code-names'),
      'the keyword lists stay',
    );
    await page.reload();
    assert.equal(await page.getByTestId('group-0-name').inputValue(), 'partners');
  });

  test('settings are exported, and an import is checked by a dry run that lists the problem', async () => {
    const { page } = admin;
    await go(page, '/settings');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('settings-export').click(),
    ]);
    const exported = await readFile(await download.path(), 'utf8');
    assert.match(exported, /added\.example/);
    const before = (await api.get('/mail/settings')).json.version as number;

    const withNetworks = (networks: string[]) => stringify({ ...parse(exported), trustedNetworks: networks });
    await page.getByTestId('settings-yaml').fill(withNetworks(['not-a-network']));
    await page.getByTestId('settings-dry-run').click();
    const error = page.getByTestId('error');
    await error.waitFor();
    assert.match((await error.textContent()) ?? '', /trustedNetworks/);

    await page.getByTestId('settings-yaml').fill(withNetworks(['10.99.0.0/16']));
    await page.getByTestId('settings-dry-run').click();
    await page.getByTestId('settings-result').getByText('trustedNetworks').waitFor();
    assert.equal((await api.get('/mail/settings')).json.version, before, 'a dry run changes nothing');

    page.once('dialog', (d) => void d.accept());
    await page.getByTestId('settings-import').click();
    await page.getByTestId('success').waitFor();
    const after = (await api.get('/mail/settings')).json;
    assert.equal(after.version, before + 1);
    assert.deepEqual(after.trustedNetworks, ['10.99.0.0/16']);
  });

  test('the audit log lists the changes just made and is searched by account', async () => {
    const { page } = admin;
    await go(page, '/audit');
    const table = page.getByTestId('audit-table');
    for (const action of [
      'accounts.role.create',
      'accounts.create',
      'mail.settings.update',
      'policy.lists.update',
      'settings.import',
    ])
      await table.getByText(action, { exact: true }).first().waitFor();
    await screenshot(page, 'audit');

    await page.getByTestId('search-account').fill('tracy');
    await page.getByTestId('audit-search-submit').click();
    await page.waitForURL(/account=tracy/);
    await table.getByText('session.password', { exact: true }).first().waitFor();
    const accounts = await table
      .locator('tbody tr')
      .evaluateAll((rows) => rows.map((r) => r.querySelectorAll('td')[1]?.textContent));
    assert.ok(accounts.length > 0);
    assert.deepEqual([...new Set(accounts)], ['tracy']);
  });

  test('dashboard and system pages draw their data (screenshots)', async () => {
    const { page, problems } = admin;
    await go(page, '/dashboard');
    await page.getByTestId('chart-traffic').locator('svg path').first().waitFor();
    await waitUntil(
      async () => Number(await page.getByTestId('kpi-received').textContent()) >= 2,
      'mail is counted',
      30_000,
    );
    await screenshot(page, 'dashboard');
    await go(page, '/system');
    await page.getByTestId('service-smtp-stop').waitFor();
    await screenshot(page, 'system');
    // Stopping and starting delivery from the system page reaches the node at once.
    const delivery = async () => (await api.get('/system/status')).json.nodes[0].services.delivery;
    await page.getByTestId('service-delivery-stop').click();
    await page.getByTestId('service-delivery-start').waitFor();
    assert.equal(await delivery(), 'stopped');
    await page.getByTestId('service-delivery-start').click();
    await page.getByTestId('service-delivery-stop').waitFor();
    assert.equal(await delivery(), 'running');
    assert.deepEqual(problems, [], 'no script errors or CSP violations in the page');
  });
});
