// Conditions on the spam stage's verdicts and on sender authentication: spam, graymail,
// socialEngineering, cnc and authentication, as written in YAML and as evaluated; and the
// default spam and graymail rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import type { AuthResults } from '../../src/auth/types.js';
import { compileCondition } from '../../src/policy/conditions/index.js';
import { policySettingsSchema } from '../../src/policy/policy-settings.js';
import type { PolicyCondition } from '../../src/policy/types.js';
import type { Facts } from '../../src/scan/facts.js';
import { SOCIAL_INDICATOR_KINDS } from '../../src/spam/social.js';
import type { SpamVerdict } from '../../src/spam/types.js';
import { attachment, context, decide, message, policy } from '../helpers/policy-fixtures.js';

function run(c: PolicyCondition, over: Partial<Facts> = {}) {
  return compileCondition(c, new Map()).evaluate(context(over));
}

/** The runtime form of one condition written in YAML. */
function condition(yaml: string): PolicyCondition {
  const s = policy({ rules: [{ id: 'r', conditions: [parse(yaml)] }] });
  const c = s.rules.find((r) => r.id === 'r')?.conditions[0];
  assert.ok(c);
  return c;
}

function refused(yaml: string): string {
  const r = policySettingsSchema.safeParse({ rules: [{ id: 'r', conditions: [parse(yaml)] }] });
  assert.equal(r.success, false, `${yaml} should be refused`);
  return r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n') ?? '';
}

const spamVerdict = (over: Partial<SpamVerdict> = {}): SpamVerdict => ({
  score: 7.2,
  threshold: 5,
  isSpam: true,
  level: 'medium',
  reasons: [
    { rule: 'URL_IP_HOST', score: 2, detail: 'http://192.0.2.9/' },
    { rule: 'DKIM_VALID', score: -0.1, detail: 'example.net' },
    { rule: 'BAYES_99', score: 3.5, detail: 'Bayes spam probability 99%' },
    { rule: 'FREEMAIL_FROM', score: 0.7, detail: 'gmail.com' },
    { rule: 'SUBJ_ALL_CAPS', score: 1, detail: '' },
  ],
  ...over,
});

test('spam: {} is the verdict; evidence gives the score, the threshold and the top reasons', () => {
  const c = condition('spam: {}');
  assert.deepEqual(c, { kind: 'spam', threshold: undefined });
  assert.deepEqual(run(c, { spam: spamVerdict() }), [
    {
      condition: 'spam',
      detail:
        'spam score 7.2 reaches 5.0 (medium): BAYES_99 +3.5 (Bayes spam probability 99%), ' +
        'URL_IP_HOST +2.0 (http://192.0.2.9/), SUBJ_ALL_CAPS +1.0',
      value: '7.2',
    },
  ]);
  assert.deepEqual(run(c, { spam: spamVerdict({ score: 4.5, isSpam: false }) }), []);
  assert.deepEqual(run(c, {}), [], 'no verdict (spam stage off) never matches');
  assert.deepEqual(run(condition('spam:'), { spam: spamVerdict() }).length, 1, '"spam:" alone is {}');
});

test('spam: a level or a threshold is this rule’s own catch rate; skipped scoring never matches', () => {
  const high = condition('spam: { level: high }');
  assert.deepEqual(high, { kind: 'spam', level: 'high', threshold: 4 });
  const below = { spam: spamVerdict({ score: 4.5, isSpam: false, reasons: [] }) };
  assert.deepEqual(run(high, below), [
    { condition: 'spam', detail: 'spam score 4.5 reaches 4.0 (high)', value: '4.5' },
  ]);
  assert.deepEqual(run(condition('spam: { level: low }'), below), []);
  assert.equal(run(condition('spam: { level: low }'), { spam: spamVerdict() }).length, 1);
  assert.equal(run(condition('spam: { threshold: 4.5 }'), below).length, 1, 'at the threshold is enough');
  assert.deepEqual(run(condition('spam: { threshold: 4.6 }'), below), []);
  const skipped = { spam: spamVerdict({ score: 9, isSpam: false, skipped: 'approved-sender' as const }) };
  assert.deepEqual(run(condition('spam: {}'), skipped), []);
  assert.deepEqual(run(high, skipped), []);

  assert.match(refused('spam: { level: high, threshold: 5 }'), /a level or a threshold, not both/);
  assert.match(refused('spam: { threshold: 2 }'), /spam\.threshold/);
  assert.match(refused('spam: { level: custom }'), /spam\.level/);
});

test('graymail: any category, or the categories named', () => {
  const newsletter = {
    graymail: {
      graymail: true,
      category: 'newsletter' as const,
      reasons: ['List-Unsubscribe', 'Precedence: bulk'],
    },
  };
  assert.deepEqual(run(condition('graymail: {}'), newsletter), [
    {
      condition: 'graymail',
      detail: 'graymail (newsletter): List-Unsubscribe, Precedence: bulk',
      value: 'newsletter',
    },
  ]);
  assert.equal(run(condition('graymail: { categories: [newsletter, social] }'), newsletter).length, 1);
  assert.deepEqual(run(condition('graymail: [marketing]'), newsletter), []);
  assert.deepEqual(
    run(condition('graymail: {}'), { graymail: { graymail: false, reasons: ['on the exception list'] } }),
    [],
  );
  assert.deepEqual(run(condition('graymail: {}'), {}), []);
  assert.match(refused('graymail: [spam]'), /graymail\.categories/);
});

test('socialEngineering: any indicator, or the kinds named; every kind of the spam stage can be written', () => {
  const social = {
    social: [
      { kind: 'display-name-spoof' as const, detail: '"山田 太郎" is the name of an internal user' },
      { kind: 'urgent-payment' as const, detail: '"urgent" with "wire transfer"' },
    ],
  };
  assert.deepEqual(run(condition('socialEngineering: {}'), social), [
    {
      condition: 'socialEngineering',
      detail: 'display-name-spoof: "山田 太郎" is the name of an internal user',
      value: 'display-name-spoof',
    },
    {
      condition: 'socialEngineering',
      detail: 'urgent-payment: "urgent" with "wire transfer"',
      value: 'urgent-payment',
    },
  ]);
  assert.deepEqual(
    run(condition('socialEngineering: { kinds: [urgent-payment, lookalike-domain] }'), social).map(
      (e) => e.value,
    ),
    ['urgent-payment'],
  );
  assert.deepEqual(run(condition('socialEngineering: [reply-to-mismatch]'), social), []);
  assert.deepEqual(run(condition('socialEngineering: {}'), { social: [] }), []);
  assert.deepEqual(run(condition('socialEngineering: {}'), {}), []);
  assert.deepEqual(condition(`socialEngineering: [${SOCIAL_INDICATOR_KINDS.join(', ')}]`), {
    kind: 'socialEngineering',
    kinds: [...SOCIAL_INDICATOR_KINDS],
  });
  assert.match(refused('socialEngineering: [phishing]'), /socialEngineering\.kinds/);
});

test('cnc: types and places narrow it down; a listed hash names the attachment', () => {
  const hash = 'ab'.repeat(32);
  const facts = {
    cnc: [
      {
        type: 'domain' as const,
        value: 'evil.test',
        description: 'Emotet C2',
        where: 'url' as const,
        subject: 'http://www.evil.test/x',
      },
      {
        type: 'sha256' as const,
        value: hash,
        description: '',
        where: 'attachment' as const,
        subject: 'invoice.zip',
      },
    ],
    attachments: [attachment('2', { name: 'invoice.zip', sha256: hash })],
  };
  assert.deepEqual(run(condition('cnc: {}'), facts), [
    {
      condition: 'cnc',
      detail: 'url http://www.evil.test/x matches C&C domain evil.test (Emotet C2)',
      where: 'url',
      value: 'evil.test',
    },
    {
      condition: 'cnc',
      detail: `attachment invoice.zip matches C&C sha256 ${hash}`,
      where: 'attachment:2',
      value: hash,
      attachment: '2',
    },
  ]);
  assert.deepEqual(
    run(condition('cnc: [sha256]'), facts).map((e) => e.attachment),
    ['2'],
  );
  assert.deepEqual(run(condition('cnc: { types: [domain, url], where: [url] }'), facts).length, 1);
  assert.deepEqual(run(condition('cnc: { where: [sender, reply-to] }'), facts), []);
  assert.deepEqual(run(condition('cnc: {}'), {}), []);
  assert.match(refused('cnc: { where: [body] }'), /cnc\.where/);
});

const auth = (over: Partial<AuthResults> = {}): AuthResults => ({
  authservId: 'mx.example.com',
  spf: { result: 'softfail', domain: 'example.net', scope: 'mailfrom' },
  dkim: [
    {
      domain: 'example.net',
      selector: 's1',
      algorithm: 'rsa-sha256',
      result: 'fail',
      reason: 'body hash did not verify',
      aligned: true,
      b: 'abcdefgh',
    },
  ],
  dkimResult: 'fail',
  dmarc: {
    result: 'fail',
    domain: 'example.net',
    recordDomain: 'example.net',
    p: 'reject',
    sp: 'reject',
    pct: 100,
    policy: 'reject',
    sampled: true,
    alignment: { spf: { mode: 'relaxed', aligned: false }, dkim: { mode: 'relaxed', aligned: false } },
    action: 'quarantine',
    actionReason: 'p=reject',
  },
  suspicious: [],
  forgedAuthResults: 0,
  header: '',
  ...over,
});

test('authentication: each field is a test, any one holding is enough by default', () => {
  const c = condition('authentication: { spf: [fail], dkim: [fail, none] }');
  assert.deepEqual(c, { kind: 'authentication', match: 'any', spf: ['fail'], dkim: ['fail', 'none'] });
  assert.deepEqual(run(c, { auth: auth() }), [
    {
      condition: 'authentication',
      detail: 'DKIM fail (d=example.net s=s1: body hash did not verify)',
      value: 'fail',
    },
  ]);
  assert.deepEqual(run(condition('authentication: { spf: [fail, softfail] }'), { auth: auth() }), [
    { condition: 'authentication', detail: 'SPF softfail for example.net (mailfrom)', value: 'softfail' },
  ]);
  const unsigned = { auth: auth({ dkim: [], dkimResult: 'none' }) };
  assert.deepEqual(
    run(condition('authentication: { dkim: [none] }'), unsigned).map((e) => e.detail),
    ['DKIM none (message not signed)'],
  );
  assert.deepEqual(
    run(condition('authentication: { dmarcAction: [quarantine, reject] }'), { auth: auth() }),
    [
      {
        condition: 'authentication',
        detail: 'DMARC action quarantine for example.net: p=reject',
        value: 'quarantine',
      },
    ],
  );
  assert.deepEqual(run(condition('authentication: { spf: [pass], dkim: [pass] }'), { auth: auth() }), []);
  assert.deepEqual(run(c, {}), [], 'no authentication results (internal mail) never match');
});

test('authentication: match all needs every test; a passing message of a p=reject domain shows why', () => {
  const passing = {
    auth: auth({
      spf: { result: 'pass', domain: 'example.net', scope: 'mailfrom' },
      dkimResult: 'pass',
      dmarc: { ...auth().dmarc!, result: 'pass', action: 'none', actionReason: 'pass' },
    }),
  };
  const any = condition('authentication: { dmarc: [fail], dmarcPolicy: [reject] }');
  const all = condition('authentication: { match: all, dmarc: [fail], dmarcPolicy: [reject] }');
  assert.deepEqual(
    run(any, passing).map((e) => e.detail),
    ['DMARC policy of example.net is reject'],
  );
  assert.deepEqual(run(all, passing), []);
  assert.deepEqual(
    run(all, { auth: auth() }).map((e) => e.detail),
    ['DMARC fail for example.net (policy reject)', 'DMARC policy of example.net is reject'],
  );
  const lowered = {
    auth: auth({ dmarc: { ...auth().dmarc!, policy: 'quarantine', sampled: false, pct: 20 } }),
  };
  assert.deepEqual(
    run(condition('authentication: { dmarcPolicy: [quarantine] }'), lowered).map((e) => e.detail),
    ['DMARC policy of example.net is quarantine (lowered by pct=20)'],
  );
  assert.deepEqual(run(all, {}), []);
});

test('authentication: suspicious; an empty condition or suspicious: false is refused', () => {
  const c = condition('authentication: { suspicious: true }');
  assert.deepEqual(
    run(c, { auth: auth({ suspicious: ['several From fields', 'forged Authentication-Results'] }) }),
    [
      {
        condition: 'authentication',
        detail: 'authentication cannot be trusted: several From fields; forged Authentication-Results',
        value: 'suspicious',
      },
    ],
  );
  assert.deepEqual(run(c, { auth: auth() }), []);
  assert.match(refused('authentication: {}'), /needs at least one of spf, dkim/);
  assert.match(refused('authentication: { suspicious: false }'), /suspicious: true/);
  assert.match(refused('authentication: { spf: [broken] }'), /authentication\.spf/);
  assert.match(refused('authentication: { match: any }'), /needs at least one/);
});

test('not: works over the new conditions too', () => {
  const c = condition('not: { authentication: { dmarc: [fail] } }');
  assert.equal(run(c, { auth: auth() }).length, 0);
  assert.equal(run(c, {}).length, 1, 'no results: the negation holds');
});

test('default rules: a spam verdict (GTUBE) is quarantined to "spam"; graymail is tagged and delivered', () => {
  const s = policy({});
  const gtube = spamVerdict({
    score: 1000,
    reasons: [{ rule: 'GTUBE', score: 1000, detail: 'the GTUBE test string' }],
  });
  const spam = decide(s, message({ spam: gtube }));
  assert.deepEqual(spam.recipients[0]?.intercept, {
    type: 'quarantine',
    area: 'spam',
    ruleId: 'default-spam',
  });
  assert.deepEqual(spam.recipients[0]?.matched[0]?.evidence, [
    {
      condition: 'spam',
      detail: 'spam score 1000.0 reaches 5.0 (medium): GTUBE +1000.0 (the GTUBE test string)',
      value: '1000.0',
    },
  ]);

  const newsletter = { graymail: true, category: 'newsletter' as const, reasons: ['List-Unsubscribe'] };
  const gray = decide(s, message({ graymail: newsletter, spam: spamVerdict({ score: 1, isSpam: false }) }));
  assert.deepEqual(gray.recipients[0]?.intercept, { type: 'deliver' });
  assert.deepEqual(
    gray.recipients[0]?.matched.map((m) => m.ruleId),
    ['default-graymail'],
  );
  assert.deepEqual(gray.recipients[0]?.modify, [
    { type: 'tagSubject', text: '[Graymail]', ruleId: 'default-graymail' },
  ]);

  // Spam that also looks like a newsletter is spam: default-spam comes first and ends processing.
  const both = decide(s, message({ spam: gtube, graymail: newsletter }));
  assert.deepEqual(both.recipients[0]?.intercept, {
    type: 'quarantine',
    area: 'spam',
    ruleId: 'default-spam',
  });
  assert.deepEqual(both.recipients[0]?.modify, []);

  // Inbound only, and mail without verdicts is delivered untouched.
  const outbound = decide(
    s,
    message({
      envelope: {
        sender: 'bob@example.com',
        recipients: ['carol@example.net'],
        clientIp: '192.0.2.1',
        helo: 'h',
      },
      spam: gtube,
    }),
  );
  assert.deepEqual(outbound.recipients[0]?.intercept, { type: 'deliver' });
  const clean = decide(s, message());
  assert.deepEqual(clean.recipients[0]?.intercept, { type: 'deliver' });
  assert.deepEqual(clean.recipients[0]?.modify, []);
});

test('default spam and graymail rules may be edited or switched off, and come back when left out', () => {
  const s = policy({
    rules: [
      { id: 'default-graymail', enabled: false },
      { id: 'default-spam', conditions: [{ spam: { level: 'high' } }] },
    ],
  });
  assert.deepEqual(
    s.rules.map((r) => [r.id, r.enabled]),
    [
      ['global-antivirus', true],
      ['scan-exceptions', true],
      ['default-graymail', false],
      ['default-spam', true],
    ],
  );
  const spam = s.rules.find((r) => r.id === 'default-spam');
  assert.deepEqual(spam?.conditions, [{ kind: 'spam', level: 'high', threshold: 4 }]);
  assert.deepEqual(
    spam?.actions.intercept,
    { type: 'quarantine', area: 'spam' },
    'actions left out keep the default',
  );
  const d = decide(
    s,
    message({ graymail: { graymail: true, category: 'marketing', reasons: ['Mailchimp (x-mc-user)'] } }),
  );
  assert.deepEqual(d.recipients[0]?.modify, []);
});
