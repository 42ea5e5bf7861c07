// %TOKENS% expansion: known tokens, unknown ones left alone, one pass only, and the escaping
// modes used for HTML stamps and one-line fields.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeAction, expandTemplate } from '../../src/policy/template.js';

const ctx = {
  SENDER: 'alice@example.net',
  RCPTS: 'bob@example.com, carol@example.com',
  SUBJECT: 'Invoice %RCPTS% <b>now</b>',
  RULENAME: 'Block programs',
  VIRUSNAME: 'Eicar-Test-Signature',
  FILENAME: 'eicar.com',
  ACTION: 'quarantined (virus)',
};

test('every documented token is replaced', () => {
  assert.equal(
    expandTemplate('%SENDER% -> %RCPTS%: %RULENAME% found %VIRUSNAME% in %FILENAME%, %ACTION%', ctx),
    'alice@example.net -> bob@example.com, carol@example.com: Block programs found Eicar-Test-Signature in eicar.com, quarantined (virus)',
  );
});

test('unknown tokens and tokens without a value stay as written; a lone % is text', () => {
  assert.equal(expandTemplate('%NOPE% %QUEUEID% 100% sure', ctx), '%NOPE% %QUEUEID% 100% sure');
});

test('values are inserted once, never expanded again', () => {
  assert.equal(expandTemplate('Subject: %SUBJECT%', ctx), 'Subject: Invoice %RCPTS% <b>now</b>');
});

test('html escapes values but not the template; oneLine flattens line breaks', () => {
  assert.equal(
    expandTemplate('<i>%SUBJECT%</i>', ctx, { html: true }),
    '<i>Invoice %RCPTS% &#60;b&#62;now&#60;/b&#62;</i>',
  );
  assert.equal(
    expandTemplate('[%SUBJECT%]', { SUBJECT: 'a\r\nBcc: x@evil.example' }, { oneLine: true }),
    '[a Bcc: x@evil.example]',
  );
});

test('actions are described in words for %ACTION%', () => {
  assert.equal(describeAction({ type: 'deliver' }), 'delivered');
  assert.equal(describeAction({ type: 'quarantine', area: 'virus' }), 'quarantined (virus)');
  assert.equal(
    describeAction({ type: 'reroute', host: 'dlp.example.com', port: 2525 }),
    're-routed to dlp.example.com:2525',
  );
  assert.equal(
    describeAction({ type: 'changeRecipient', to: ['a@example.com'] }),
    'redirected to a@example.com',
  );
});
