// The TLS certificate of the SMTP listener: the configured one, or a self-signed one made
// on first start and kept in the data directory so it stays the same across restarts.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface TlsMaterial {
  key: string;
  cert: string;
}

export async function loadOrCreateCertificate(o: {
  dataDir: string;
  hostname: string;
  certFile?: string;
  keyFile?: string;
}): Promise<TlsMaterial> {
  if (o.certFile && o.keyFile) {
    return { cert: await readFile(o.certFile, 'utf8'), key: await readFile(o.keyFile, 'utf8') };
  }
  const dir = join(o.dataDir, 'tls');
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  try {
    return { cert: await readFile(certPath, 'utf8'), key: await readFile(keyPath, 'utf8') };
  } catch {
    // none yet: make one
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const made = await makeSelfSignedCertificate(o.hostname);
  await writeFile(keyPath, made.key, { mode: 0o600 });
  await writeFile(certPath, made.cert);
  return made;
}

/** A self-signed certificate for the host name (and 127.0.0.1), valid ten years. */
export async function makeSelfSignedCertificate(hostname: string): Promise<TlsMaterial> {
  const notAfter = new Date();
  notAfter.setFullYear(notAfter.getFullYear() + 10);
  const pems = await generate([{ name: 'commonName', value: hostname }], {
    keySize: 2048,
    algorithm: 'sha256',
    notAfterDate: notAfter,
    extensions: [
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: hostname },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}
