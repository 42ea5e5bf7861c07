// The policy editor's API through the running gateway's console over HTTPS: lists and rules
// are created, refused with the bad key named, moved, disabled and deleted; the rule tester
// shows for an uploaded .eml (or a draft) why each rule did or did not match; the schema and
// the compliance templates are there for the editor's forms.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { firstLogon, type ConsoleClient, type Json } from '../helpers/console.js';

function eml(subject: string, body: string): Buffer {
  return Buffer.from(
    [
      'From: Alice <alice@outside.test>',
      'To: bob@example.com',
      `Subject: ${subject}`,
      'Message-ID: <t1@outside.test>',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      body,
      '',
    ].join('\r\n'),
  );
}

/** The trace of one rule for the (only) recipient of a test answer. */
function trace(answer: Json, ruleId: string): Json {
  const t = answer.recipients[0].rules.find((r: Json) => r.ruleId === ruleId);
  assert.ok(
    t,
    `rule ${ruleId} in the trace: ${JSON.stringify(answer.recipients[0].rules.map((r: Json) => r.ruleId))}`,
  );
  return t;
}

describe('console policy API', () => {
  let gw: TestGateway;
  let admin: ConsoleClient;

  before(async () => {
    gw = await startGateway({
      settings: { smtp: { hostname: 'gw.example.test' }, domains: [{ name: 'example.com' }] },
    });
    admin = await firstLogon(gw, 'policy-editor-password-1');
  });
  after(async () => {
    await gw?.stop();
  });

  test('the policy lists the default rules in order, marked built in, with summaries', async () => {
    const r = await admin.get('/policy');
    assert.equal(r.status, 200, r.text);
    const ids = r.json.rules.map((x: Json) => x.id);
    assert.equal(ids[0], 'global-antivirus');
    const av = r.json.rules[0];
    assert.equal(av.builtIn, true);
    assert.equal(av.position, 0);
    assert.equal(av.summary.action, 'quarantine (virus)');
    assert.ok(r.json.quarantineAreas.some((a: Json) => a.name === 'spam'));
    const one = await admin.get('/policy/rules/default-spam');
    assert.equal(one.status, 200);
    assert.equal(one.json.route.direction, 'inbound');
    assert.equal((await admin.get('/policy/rules/nope')).status, 404);
  });

  test('a keyword list and a rule are created; a bad rule is refused naming each bad key', async () => {
    const lists = await admin.put('/policy/lists', {
      keywordLists: [
        {
          name: 'secret-words',
          description: 'project code names',
          mode: 'any',
          entries: [{ pattern: '\\bblue ?bird\\b', regex: true, description: 'code name' }],
        },
      ],
    });
    assert.equal(lists.status, 200, lists.text);
    const got = await admin.get('/policy/lists');
    assert.equal(got.json.keywordLists[0].name, 'secret-words');
    assert.equal(got.json.keywordLists[0].description, 'project code names');

    const created = await admin.post('/policy/rules', {
      rule: {
        id: 'secrets',
        name: 'Secrets stay inside',
        conditions: [{ keywords: { list: 'secret-words', in: ['subject', 'body'] } }],
        actions: { intercept: { action: 'quarantine', area: 'policy' } },
      },
    });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json.id, 'secrets');
    assert.equal(created.json.summary.conditions, 'keywords');
    const all = (await admin.get('/policy')).json.rules.map((x: Json) => x.id);
    assert.equal(all.at(-1), 'secrets', 'added at the end');

    const av = await admin.post('/policy/rules', {
      rule: { id: 'no-scripts', type: 'antivirus', conditions: [{ attachment: { trueTypes: ['script'] } }] },
    });
    assert.equal(av.status, 201, av.text);
    const order = (await admin.get('/policy')).json.rules.map((x: Json) => x.type);
    assert.equal(
      order.lastIndexOf('antivirus'),
      av.json.position,
      'an antivirus rule joins the antivirus rules',
    );
    assert.ok(order.indexOf('other') > av.json.position);

    const dup = await admin.post('/policy/rules', { rule: { id: 'secrets' } });
    assert.equal(dup.status, 409);

    const unknownKey = await admin.post('/policy/rules', {
      rule: { id: 'bad', conditions: [{ keywords: { list: 'secret-words', bogus: 1 } }] },
    });
    assert.equal(unknownKey.status, 400);
    assert.match(unknownKey.json.error, /conditions\[0\]\.keywords\.bogus: unknown setting/);

    const badRef = await admin.put('/policy/rules/secrets', {
      name: 'Secrets stay inside',
      conditions: [{ keywords: { list: 'no-such-list' } }],
      actions: { intercept: { action: 'quarantine', area: 'nowhere' } },
    });
    assert.equal(badRef.status, 400);
    assert.deepEqual(badRef.json.details.problems.sort(), [
      'actions.intercept.area: no quarantine area named "nowhere"',
      'conditions[0].keywords.list: no keyword list named "no-such-list"',
    ]);
    // nothing was saved
    assert.equal((await admin.get('/policy/rules/secrets')).json.conditions[0].keywords.list, 'secret-words');

    const renamed = await admin.put('/policy/rules/secrets', { id: 'other' });
    assert.equal(renamed.status, 400);
    assert.match(renamed.json.error, /id/);

    const removeList = await admin.put('/policy/lists', { keywordLists: [] });
    assert.equal(removeList.status, 400, 'a list a rule uses cannot go');
    assert.match(removeList.json.error, /no keyword list named "secret-words"/);
  });

  test('default rules cannot be deleted; other rules can', async () => {
    const r = await admin.delete('/policy/rules/global-antivirus');
    assert.equal(r.status, 409);
    assert.match(r.json.error, /default rule/);
    const tmp = await admin.post('/policy/rules', {
      rule: { id: 'temporary', conditions: [{ size: { min: '5MB' } }] },
    });
    assert.equal(tmp.status, 201, tmp.text);
    assert.equal((await admin.delete('/policy/rules/temporary')).status, 200);
    assert.equal((await admin.get('/policy/rules/temporary')).status, 404);
    assert.equal((await admin.delete('/policy/rules/temporary')).status, 404);
  });

  test('the tester shows why each rule matched or not; moving and disabling change the outcome', async () => {
    const created = await admin.post('/policy/rules', {
      rule: {
        id: 'secrets-delete',
        name: 'Delete secrets',
        conditions: [{ keywords: { list: 'secret-words' } }],
        actions: { intercept: 'delete' },
      },
    });
    assert.equal(created.status, 201, created.text);
    const message = eml('Plans for Blue Bird', 'see attached');

    // an uploaded .eml, as the browser sends a file
    let t = await admin.post('/policy/test', undefined, { raw: message, contentType: 'message/rfc822' });
    assert.equal(t.status, 200, t.text);
    assert.equal(t.json.facts.subject, 'Plans for Blue Bird');
    assert.ok('builtin' in t.json.verdicts.engines || Object.keys(t.json.verdicts.engines).length > 0);
    assert.equal(t.json.recipients[0].intercept.type, 'quarantine');
    assert.equal(t.json.recipients[0].intercept.ruleId, 'secrets');
    const secrets = trace(t.json, 'secrets');
    assert.equal(secrets.matched, true);
    assert.match(secrets.evidence[0].detail, /code name/);
    assert.equal(trace(t.json, 'global-antivirus').matched, false);
    assert.match(trace(t.json, 'global-antivirus').reason, /did not match/);
    assert.match(trace(t.json, 'secrets-delete').reason, /not reached: rule secrets ended processing/);

    // moving the delete rule in front of the quarantine rule changes the evaluation order
    const moved = await admin.post('/policy/rules/secrets-delete/move', { before: 'secrets' });
    assert.equal(moved.status, 200, moved.text);
    assert.ok(moved.json.order.indexOf('secrets-delete') < moved.json.order.indexOf('secrets'));
    t = await admin.post('/policy/test', { message: message.toString('base64') });
    assert.equal(t.json.recipients[0].intercept.ruleId, 'secrets-delete');
    assert.equal(t.json.recipients[0].intercept.type, 'delete');

    // antivirus rules stay first
    const tooHigh = await admin.post('/policy/rules/secrets/move', { to: 0 });
    assert.equal(tooHigh.status, 409);
    assert.match(tooHigh.json.error, /global-antivirus always runs first/);
    // disabled: the tester says so, and the next rule decides
    const off = await admin.put('/policy/rules/secrets-delete/enabled', { enabled: false });
    assert.equal(off.status, 200, off.text);
    t = await admin.post('/policy/test', { message: message.toString('base64') });
    assert.equal(trace(t.json, 'secrets-delete').reason, 'rule is disabled');
    assert.equal(t.json.recipients[0].intercept.ruleId, 'secrets');
    assert.equal((await admin.get('/policy/rules/secrets-delete')).json.enabled, false);

    // the highest place an other rule may take: right after the antivirus rules
    const rules = (await admin.get('/policy')).json.rules as Json[];
    const firstOther = rules.findIndex((r) => r.type !== 'antivirus');
    const up = await admin.post('/policy/rules/secrets/move', { to: firstOther });
    assert.equal(up.status, 200, up.text);
    assert.equal(up.json.position, firstOther);
    assert.equal((await admin.get('/policy/rules/secrets')).json.position, firstOther);
  });

  test('a draft rule is tried without being saved', async () => {
    const message = eml('Hello', 'nothing to see');
    const t = await admin.post('/policy/test', {
      message: message.toString('base64'),
      sender: 'carol@outside.test',
      recipients: ['dave@example.com'],
      rule: {
        id: 'draft-big',
        name: 'Big mail',
        conditions: [{ size: { min: '1MB' } }],
        actions: { intercept: 'hold' },
      },
    });
    assert.equal(t.status, 200, t.text);
    assert.equal(t.json.draft, true);
    assert.deepEqual(t.json.envelope, { sender: 'carol@outside.test', recipients: ['dave@example.com'] });
    const big = trace(t.json, 'draft-big');
    assert.equal(big.matched, false);
    assert.match(big.reason, /condition 1 did not match: size/);
    assert.equal((await admin.get('/policy/rules/draft-big')).status, 404, 'a draft is not saved');

    const bad = await admin.post('/policy/test', {
      message: message.toString('base64'),
      rule: { id: 'draft-bad', conditions: [{ dlp: { template: 'passport' } }] },
    });
    assert.equal(bad.status, 400);
    assert.match(bad.json.error, /conditions\[0\]\.dlp\.template/);
    const empty = await admin.post('/policy/test', undefined, {
      raw: Buffer.alloc(0),
      contentType: 'message/rfc822',
    });
    assert.equal(empty.status, 400);
  });

  test('every change is in the audit log under its action', async () => {
    const r = await admin.get('/audit?action=policy');
    assert.equal(r.status, 200, r.text);
    const actions = new Set((r.json.entries as Json[]).map((e) => e.action));
    for (const a of [
      'policy.rule.create',
      'policy.rule.delete',
      'policy.rule.move',
      'policy.rule.enable',
      'policy.lists.update',
    ])
      assert.ok(actions.has(a), `${a} in ${[...actions].join(', ')}`);
  });

  test('the rule schema and the compliance templates are there for the editor', async () => {
    const schema = await admin.get('/policy/schema');
    assert.equal(schema.status, 200, schema.text);
    assert.equal(schema.json.type, 'object');
    for (const key of ['id', 'route', 'conditions', 'actions']) assert.ok(key in schema.json.properties, key);
    const templates = await admin.get('/policy/templates');
    const names = templates.json.templates.map((x: Json) => x.name);
    for (const n of ['credit-card', 'my-number', 'iban', 'us-ssn']) assert.ok(names.includes(n), n);
    const card = templates.json.templates.find((x: Json) => x.name === 'credit-card');
    assert.equal(card.parameters.minCount.default, 1);
    assert.ok(card.parameters.in.items.includes('attachmentText'));
  });
});
