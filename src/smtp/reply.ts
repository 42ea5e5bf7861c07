// An SMTP refusal handed back to smtp-server from a hook: it writes `responseCode message`, and
// our message starts with the enhanced status code so the reply carries exactly that code.

export class SmtpReply extends Error {
  constructor(
    readonly responseCode: number,
    readonly status: string,
    readonly text: string,
  ) {
    super(`${status} ${text}`);
    this.name = 'SmtpReply';
  }
}

/** True for "2.0.0 ..." style text, i.e. the text already carries its enhanced status code. */
export const HAS_STATUS = /^[245]\.\d{1,3}\.\d{1,3} /;
