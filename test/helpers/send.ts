// Sends a raw message (bytes exactly as given) over SMTP with nodemailer, for end-to-end tests.
import nodemailer from 'nodemailer';

export interface SendResult {
  queueId?: string;
  response: string;
}

export async function sendRaw(
  server: { host: string; port: number },
  from: string,
  to: string[],
  raw: Buffer,
): Promise<SendResult> {
  const transport = nodemailer.createTransport({
    host: server.host,
    port: server.port,
    secure: false,
    ignoreTLS: true,
  });
  try {
    const info = await transport.sendMail({ envelope: { from, to }, raw });
    return { response: info.response, queueId: /queued as ([0-9A-Z]+)/.exec(info.response)?.[1] };
  } finally {
    transport.close();
  }
}
