import type { SpamVerdict } from '../spam/types.js';
import type { GraymailVerdict } from '../spam/graymail.js';
import type { SocialIndicator } from '../spam/social.js';
import type { CncMatch } from '../spam/cnc.js';
import type { AuthResults } from '../auth/types.js';

// The facts of one message: parsed once, read by every engine and every rule. Everything
// here is plain data (JSON-serialisable) so it can be stored with a quarantined message and
// shown in the console; file contents travel separately (ExtractedFile).

export type Direction = 'inbound' | 'outbound' | 'internal';

/** Why part of a message could not be scanned; each kind has its own default action. */
export type ScanExceptionKind =
  | 'encrypted'
  | 'too-large'
  | 'too-deep'
  | 'too-many-files'
  | 'ratio'
  | 'unscannable'
  | 'malformed'
  | 'engine-unavailable'
  | 'timeout';

export interface ScanException {
  kind: ScanExceptionKind;
  detail: string;
  /** The attachment concerned, when there is one. */
  attachment?: string;
}

/** What a file really is, from its magic bytes. */
export type TrueType =
  | 'exe' // PE / MZ
  | 'elf'
  | 'macho'
  | 'script' // shebang, .js/.vbs/.ps1 detected by content where possible
  | 'zip'
  | 'gzip'
  | 'tar'
  | '7z'
  | 'rar'
  | 'bzip2'
  | 'xz'
  | 'cab'
  | 'ooxml' // docx/xlsx/pptx (a zip with [Content_Types].xml)
  | 'ole' // legacy Office and other compound files
  | 'pdf'
  | 'rtf'
  | 'html'
  | 'image'
  | 'audio'
  | 'video'
  | 'text'
  | 'unknown';

export interface AttachmentFact {
  /** Stable path in the message: MIME part path, then archive members: "2", "2/1", "3!a.zip!b.exe". */
  id: string;
  /** Decoded file name (RFC 2047/2231), or the member name inside an archive. */
  name?: string;
  /**
   * Other names that other readings give the same file (Content-Disposition filename vs
   * Content-Type name, zip local vs central header); rules on names should check them too.
   */
  altNames?: string[];
  /** Lower-case extension of the name without the dot ("exe"); "" when none. */
  extension: string;
  /** Content-Type as declared (MIME part), or "" for archive members. */
  declaredType: string;
  trueType: TrueType;
  size: number;
  sha256: string;
  /** 0 for a MIME part, 1 for a member of an archive attached to the message, and so on. */
  depth: number;
  /** The archive this file came out of. */
  parent?: string;
  encrypted: boolean;
  /** OOXML vbaProject / OLE macro streams. */
  hasMacros: boolean;
  /** PDF with /JavaScript or /JS actions. */
  pdfJavascript: boolean;
  /** True when the name has two extensions and the last is executable ("invoice.pdf.exe"). */
  doubleExtension: boolean;
  /** Members of this archive, when it is one and could be opened. */
  children?: string[];
}

export interface HeaderFact {
  /** Lower-case name. */
  name: string;
  /** Decoded value (RFC 2047), unfolded. */
  value: string;
}

export interface AddressFact {
  name: string;
  address: string;
}

export interface VirusFinding {
  /** Signature or heuristic name, e.g. "Eicar-Test-Signature" or "Heuristic.DoubleExtension". */
  name: string;
  category: VirusCategory;
  engine: string;
  /** The attachment it was found in; undefined for the message as a whole. */
  attachment?: string;
}

/** Every category a virus finding can fall in; rules and local category overrides name them. */
export const VIRUS_CATEGORIES = [
  'virus',
  'mass-mailing',
  'spyware',
  'adware',
  'dialer',
  'joke',
  'hacking-tool',
  'remote-access',
  'password-cracker',
  'grayware-other',
] as const;

export type VirusCategory = (typeof VIRUS_CATEGORIES)[number];

export interface Facts {
  queueId?: string;
  envelope: {
    sender: string;
    recipients: string[];
    clientIp: string;
    helo: string;
  };
  /** For the message as a whole: outbound when the sender is internal and any recipient is outside, etc. */
  direction: Direction;
  size: number;
  headers: HeaderFact[];
  subject: string;
  from: AddressFact[];
  to: AddressFact[];
  cc: AddressFact[];
  replyTo: AddressFact[];
  messageId?: string;
  /** Text of every text/plain part, joined. */
  textBody: string;
  /** Text rendered from every text/html part, joined. */
  htmlText: string;
  /** Raw HTML of the html parts (for URL and script checks). */
  html: string;
  urls: string[];
  attachments: AttachmentFact[];
  exceptions: ScanException[];
  /** Filled by the virus engines. */
  virus: VirusFinding[];
  /** Sender authentication done while the message was received (outside mail only). */
  auth?: AuthResults;
  /** The spam stage's verdicts (absent when the stage did not run). */
  spam?: SpamVerdict;
  graymail?: GraymailVerdict;
  social?: SocialIndicator[];
  cnc?: CncMatch[];
  /** Engines that ran and their versions/states, e.g. { clamd: "ClamAV 1.0.7/…", builtin: "1" }. */
  engines: Record<string, string>;
}

/** The facts of a message with nothing found in it yet, with `overrides` set on top. */
export function emptyFacts(overrides: Partial<Facts> = {}): Facts {
  return {
    envelope: { sender: '', recipients: [], clientIp: '', helo: '' },
    direction: 'inbound',
    size: 0,
    headers: [],
    subject: '',
    from: [],
    to: [],
    cc: [],
    replyTo: [],
    textBody: '',
    htmlText: '',
    html: '',
    urls: [],
    attachments: [],
    exceptions: [],
    virus: [],
    engines: {},
    ...overrides,
  };
}

/** A file's bytes, kept beside the facts for engines that need content (virus, DLP on attachment text). */
export interface ExtractedFile {
  attachmentId: string;
  content: Buffer;
  /** Text extracted from the file when it is text-like (plain, HTML, CSV…), capped. */
  text?: string;
}

export interface ParsedMessage {
  facts: Facts;
  files: ExtractedFile[];
  /** The message's first bytes as it reached the gateway, for the spam text model (messageHead). */
  head?: string;
}
