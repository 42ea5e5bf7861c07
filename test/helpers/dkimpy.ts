// dkimpy (Debian's python3-dkim), an independent DKIM implementation, with its DNS lookups sent
// to a test DNS server: to check that what Sekimori signs verifies elsewhere, and to sign mail
// for Sekimori to verify.
import { existsSync } from 'node:fs';
import { spawn } from 'node:child_process';

export const PYTHON = '/usr/bin/python3';
export const haveDkimpy = existsSync('/usr/lib/python3/dist-packages/dkim/__init__.py') && existsSync(PYTHON);

const DKIMPY = `
import sys, dkim, dns.resolver
mode, port = sys.argv[1], int(sys.argv[2])
res = dns.resolver.Resolver(configure=False)
res.nameservers = ['127.0.0.1']
res.port = port
def txt(name, timeout=5):
    n = name.decode() if isinstance(name, bytes) else name
    try:
        a = res.resolve(n, 'TXT', lifetime=timeout)
    except Exception:
        return None
    return b''.join(a[0].strings)
msg = sys.stdin.buffer.read()
if mode == 'verify':
    try:
        ok = dkim.DKIM(msg).verify(dnsfunc=txt)
    except Exception as e:
        sys.stdout.write('error: %s' % e)
        sys.exit(2)
    sys.stdout.write('pass' if ok else 'fail')
    sys.exit(0 if ok else 1)
sel, dom, alg, keyfile = sys.argv[3:7]
key = open(keyfile, 'rb').read()
if mode == 'arc':
    sys.stdout.buffer.write(b''.join(dkim.arc_sign(msg, sel.encode(), dom.encode(), key, b'relay.example.net')) + msg)
    sys.exit(0)
sig = dkim.sign(msg, sel.encode(), dom.encode(), key, canonicalize=(b'relaxed', b'relaxed'), signature_algorithm=alg.encode())
sys.stdout.buffer.write(sig + msg)
`;

export function dkimpy(args: string[], input: Buffer): Promise<{ code: number; out: Buffer }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ['-c', DKIMPY, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? 1, out: Buffer.concat(chunks) }));
    child.stdin.end(input);
  });
}

/** dkimpy's verdict on a message, keys from the DNS server on 127.0.0.1:port: "pass" or "fail …". */
export async function dkimpyVerify(raw: Buffer, dnsPort: number): Promise<string> {
  const r = await dkimpy(['verify', String(dnsPort)], raw);
  return r.code === 0 ? 'pass' : `fail ${r.out.toString()}`;
}
