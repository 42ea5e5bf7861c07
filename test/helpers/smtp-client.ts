// A raw SMTP client over a TCP socket, for what real clients will not do on purpose:
// pipelining exactly as written, smuggling attempts, address tricks, silences for timeouts.
import net from 'node:net';

export interface Reply {
  code: number;
  /** Every line of the reply, without the "250-" / "250 " prefix. */
  lines: string[];
  /** The whole reply as received, lines joined with "\n". */
  text: string;
}

export class RawSmtp {
  private buffer = '';
  private replies: Reply[] = [];
  private waiters: { resolve: (r: Reply) => void; reject: (e: Error) => void }[] = [];
  private ended = false;
  readonly closed: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => this.onData(d));
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.ended = true;
        for (const w of this.waiters.splice(0)) w.reject(new Error('connection closed'));
        resolve();
      });
    });
  }

  static connect(port: number, o: { host?: string; localAddress?: string } = {}): Promise<RawSmtp> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: o.host ?? '127.0.0.1', localAddress: o.localAddress });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RawSmtp(socket));
      });
    });
  }

  /** Connects and reads the greeting. */
  static async open(
    port: number,
    o: { localAddress?: string } = {},
  ): Promise<{ c: RawSmtp; greeting: Reply }> {
    const c = await RawSmtp.connect(port, o);
    return { c, greeting: await c.read() };
  }

  private onData(d: string): void {
    this.buffer += d;
    const lines: string[] = [];
    let nl: number;
    while ((nl = this.buffer.indexOf('\r\n')) >= 0) {
      lines.push(this.buffer.slice(0, nl));
      this.buffer = this.buffer.slice(nl + 2);
    }
    for (const line of lines) this.collect(line);
  }

  private partial: string[] = [];

  private collect(line: string): void {
    this.partial.push(line);
    if (/^\d{3}-/.test(line)) return;
    const all = this.partial;
    this.partial = [];
    const reply: Reply = {
      code: Number(all[all.length - 1]?.slice(0, 3)),
      lines: all.map((l) => l.slice(4)),
      text: all.join('\n'),
    };
    const w = this.waiters.shift();
    if (w) w.resolve(reply);
    else this.replies.push(reply);
  }

  /** The next reply (rejects if the connection closes first). */
  read(): Promise<Reply> {
    const r = this.replies.shift();
    if (r) return Promise.resolve(r);
    if (this.ended) return Promise.reject(new Error('connection closed'));
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Reads n replies. */
  async readN(n: number): Promise<Reply[]> {
    const out: Reply[] = [];
    for (let i = 0; i < n; i++) out.push(await this.read());
    return out;
  }

  write(data: string | Buffer): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
  }

  /** Sends one command line and reads its reply. */
  async cmd(line: string): Promise<Reply> {
    this.write(`${line}\r\n`);
    return this.read();
  }

  /** Replies received but not read yet (for "nothing else was answered" checks). */
  pending(): number {
    return this.replies.length;
  }

  isClosed(): boolean {
    return this.ended;
  }

  destroy(): void {
    this.socket.destroy();
  }
}
