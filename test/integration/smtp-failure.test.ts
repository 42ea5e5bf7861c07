// Local failures while receiving (SPEC §13): the client hears 4xx (452 4.3.1 for a full disk,
// 451 4.3.0 otherwise), never 250 and never 5xx, and nothing half-written stays in the queue.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { MessageWriter, Spool } from '../../src/queue/spool.js';
import { RawSmtp } from '../helpers/smtp-client.js';
import { message, startSmtp, type SmtpHarness } from '../helpers/smtp-harness.js';

type Fault = 'none' | 'start' | 'write' | 'commit';

const diskFull = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

/** The real spool with a switchable fault in front of it. */
function faulty(spool: Spool, fault: () => Fault): Pick<Spool, 'startMessage'> {
  return {
    async startMessage(): Promise<MessageWriter> {
      if (fault() === 'start') throw diskFull();
      const w = await spool.startMessage();
      let writes = 0;
      return {
        id: w.id,
        async write(chunk) {
          // the first write is our Received header; fail on the message itself
          if (fault() === 'write' && writes++ > 0) throw diskFull();
          return w.write(chunk);
        },
        async commit(envelope) {
          if (fault() === 'commit') throw diskFull();
          return w.commit(envelope);
        },
        abort: () => w.abort(),
      };
    },
  };
}

describe('local failures while receiving', () => {
  let h: SmtpHarness;
  let fault: Fault = 'none';
  before(async () => {
    h = await startSmtp({ wrapSpool: (s) => faulty(s, () => fault) });
  });
  after(async () => {
    await h.close();
  });

  async function send(c: RawSmtp, subject: string) {
    assert.equal((await c.cmd('MAIL FROM:<a@sender.test>')).code, 250);
    assert.equal((await c.cmd('RCPT TO:<x@example.com>')).code, 250);
    assert.equal((await c.cmd('DATA')).code, 354);
    return c.cmd(`${message(subject, 'x'.repeat(300_000))}.`);
  }

  for (const f of ['start', 'write', 'commit'] as const) {
    it(`a failing ${f === 'start' ? 'startMessage' : f} answers 452 4.3.1 and keeps nothing`, async () => {
      const before = (await h.incomingFiles()).join();
      const accepted = h.accepted.length;
      const { c } = await RawSmtp.open(h.port);
      await c.cmd('EHLO client.test');
      fault = f;
      const reply = await send(c, `fail ${f}`);
      assert.equal(reply.text, '452 4.3.1 Error: insufficient system storage, please try again later');
      assert.equal((await h.incomingFiles()).join(), before);
      assert.equal(h.accepted.length, accepted);
      // The client retries in the same session once the disk has room again.
      fault = 'none';
      assert.match((await send(c, `retry ${f}`)).text, /^250 2\.0\.0 Ok: queued as/);
      assert.equal(h.accepted.length, accepted + 1);
      c.destroy();
    });
  }

  it('a missing spool directory answers 451 too', async () => {
    const incoming = join(h.spool.dir, 'incoming');
    await rm(incoming, { recursive: true, force: true });
    try {
      const { c } = await RawSmtp.open(h.port);
      await c.cmd('EHLO client.test');
      assert.equal((await send(c, 'no dir')).code, 451);
      c.destroy();
    } finally {
      await mkdir(incoming, { recursive: true });
    }
  });
});
