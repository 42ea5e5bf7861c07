// SMTP smuggling (SPEC §13): only <CRLF>.<CRLF> ends DATA. A dot line with any other line
// ending must neither end the message nor let the rest be read as commands.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { RawSmtp } from '../helpers/smtp-client.js';
import { startSmtp, type SmtpHarness } from '../helpers/smtp-harness.js';

const FAKE_ENDINGS: [string, string][] = [
  ['LF . LF', '\n.\n'],
  ['CR . CR', '\r.\r'],
  ['LF . CRLF', '\n.\r\n'],
  ['CRLF . LF', '\r\n.\n'],
  ['CR . CRLF', '\r.\r\n'],
  ['CRLF . CR', '\r\n.\r'],
];

const SMUGGLED =
  'MAIL FROM:<evil@other.test>\r\nRCPT TO:<victim@example.com>\r\nDATA\r\nSubject: smuggled\r\n\r\nevil\r\n';

describe('SMTP smuggling', () => {
  let h: SmtpHarness;
  before(async () => {
    h = await startSmtp();
  });
  after(async () => {
    await h.close();
  });

  async function transaction(c: RawSmtp): Promise<void> {
    await c.cmd('EHLO client.test');
    assert.equal((await c.cmd('MAIL FROM:<a@sender.test>')).code, 250);
    assert.equal((await c.cmd('RCPT TO:<x@example.com>')).code, 250);
    assert.equal((await c.cmd('DATA')).code, 354);
  }

  /** After the one 250, the next reply must be the NOOP's: nothing smuggled was answered. */
  async function expectOneMessage(c: RawSmtp, marker: string, fake: string): Promise<void> {
    const done = await c.read();
    assert.match(done.text, /^250 2\.0\.0 Ok: queued as \w+$/);
    assert.equal((await c.cmd('NOOP')).text, '250 2.0.0 OK');
    assert.equal(c.pending(), 0);
    const id = /queued as (\w+)/.exec(done.text)?.[1];
    const stored = (await h.stored()).filter((s) => s.envelope.subject === marker);
    assert.equal(stored.length, 1, 'exactly one message');
    assert.equal(stored[0]?.envelope.id, id);
    const body = stored[0]?.body ?? '';
    // The fake ending and everything after it are message content, byte for byte.
    assert.ok(body.includes(`before${fake}${SMUGGLED}after\r\n`), JSON.stringify(body));
    assert.equal(h.accepted.filter((e) => e.sender === 'evil@other.test').length, 0);
  }

  for (const [name, fake] of FAKE_ENDINGS) {
    it(`"${name}" inside DATA neither ends nor splits the message (one write)`, async () => {
      const { c } = await RawSmtp.open(h.port);
      await transaction(c);
      const marker = `one write ${name}`;
      c.write(`Subject: ${marker}\r\n\r\nbefore${fake}${SMUGGLED}after\r\n.\r\n`);
      await expectOneMessage(c, marker, fake);
      c.destroy();
    });

    it(`"${name}" inside DATA neither ends nor splits the message (byte by byte)`, async () => {
      const { c } = await RawSmtp.open(h.port);
      c.socket.setNoDelay(true);
      await transaction(c);
      const marker = `bytewise ${name}`;
      c.write(`Subject: ${marker}\r\n\r\nbefore`);
      for (const ch of fake + SMUGGLED.slice(0, 12)) {
        c.write(ch);
        await tick();
      }
      c.write(`${SMUGGLED.slice(12)}after\r\n.\r\n`);
      await expectOneMessage(c, marker, fake);
      c.destroy();
    });
  }

  it('removes dot-stuffing only after CRLF and ends only at CRLF . CRLF', async () => {
    const { c } = await RawSmtp.open(h.port);
    await transaction(c);
    c.write('Subject: stuffed\r\n\r\n..leading dot\r\n...\r\nx\r\n..\r\n.\r\n');
    assert.match((await c.read()).text, /^250 /);
    const body = (await h.stored()).find((s) => s.envelope.subject === 'stuffed')?.body ?? '';
    assert.ok(
      body.endsWith('Subject: stuffed\r\n\r\n.leading dot\r\n..\r\nx\r\n.\r\n'),
      JSON.stringify(body),
    );
    c.destroy();
  });

  it('an empty message ends at the first line', async () => {
    const { c } = await RawSmtp.open(h.port);
    await transaction(c);
    c.write('.\r\nNOOP\r\n');
    assert.match((await c.read()).text, /^250 2\.0\.0 Ok: queued as/);
    assert.equal((await c.read()).text, '250 2.0.0 OK');
    c.destroy();
  });
});
