// The reputation found at connect travels with the message on its envelope, for the scanning
// stage's spam score. Declared here so src/queue/types.ts stays untouched for now; the lead
// may move `reputation?: EnvelopeReputation` into the Envelope interface and delete this file.
import type { EnvelopeReputation } from './dnsbl.js';

declare module '../queue/types.js' {
  interface Envelope {
    /** DNSBL/DNSWL findings about the client (src/reputation), when there are any. */
    reputation?: EnvelopeReputation;
  }
}
