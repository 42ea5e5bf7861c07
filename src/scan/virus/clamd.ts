// Signature scanning through ClamAV's clamd. The raw message is streamed once (clamd decodes
// MIME and opens archives itself) and every extracted file once more, so a finding names the
// attachment it is in and files our parser could open but clamd could not are still scanned.
import type { Socket } from 'node:net';
import type { ExtractedFile, Facts, ScanException, ScanExceptionKind, VirusFinding } from '../facts.js';
import { EngineUnavailableError, type VirusEngine, type VirusScanResult } from '../virus-engine.js';
import type { Logger } from '../../util/log.js';
import { formatClamdAddress, type CategoryRule, type ClamdAddress } from './antivirus-settings.js';
import { createCategorizer, normaliseSignatureName, type Categorize } from './categories.js';
import {
  clamdRequest,
  parseInstreamReply,
  StreamDroppedError,
  type ClamdTimeouts,
} from './clamd-protocol.js';
import { Limiter } from './limiter.js';

export interface ClamdEngineOptions {
  address: ClamdAddress;
  /** Milliseconds for one scan (connection to full reply). */
  timeout: number;
  connectTimeout: number;
  /** Scans in flight at once, each on its own connection. */
  connections: number;
  categories?: CategoryRule[];
  log?: Logger;
}

/** The engine string is asked again after this long, so a database reload shows up. */
const VERSION_TTL_MS = 60_000;

/** clamd reports its own limits as detections when AlertExceedsMax is on; they are exceptions. */
const LIMIT_EXCEPTIONS: [RegExp, ScanExceptionKind][] = [
  [/^Heuristics\.Limits\.Exceeded\.MaxRecursion/i, 'too-deep'],
  [/^Heuristics\.Limits\.Exceeded\.MaxFiles/i, 'too-many-files'],
  [/^Heuristics\.Limits\.Exceeded\.MaxScanTime/i, 'timeout'],
  [/^Heuristics\.Limits\.Exceeded\./i, 'too-large'],
  // AlertEncrypted: an encrypted archive or document is a scan exception, not a virus.
  [/^Heuristics\.Encrypted\./i, 'encrypted'],
];

/** What clamd says when a stream goes over StreamMaxLength. */
const SIZE_LIMIT_REPLY = 'INSTREAM size limit exceeded. ERROR';

interface Target {
  content: Buffer;
  /** Attachment id; undefined for the raw message. */
  attachment?: string;
  label: string;
}

export class ClamdEngine implements VirusEngine {
  readonly name = 'clamd';
  private readonly limiter: Limiter;
  private readonly categorize: Categorize;
  private readonly sockets = new Set<Socket>();
  private readonly timeouts: ClamdTimeouts;
  private cachedVersion?: { text: string; at: number };
  private closed = false;
  private lastFailure?: string;

  constructor(private readonly options: ClamdEngineOptions) {
    this.limiter = new Limiter(options.connections);
    this.categorize = createCategorizer(options.categories);
    this.timeouts = { connectTimeout: options.connectTimeout, timeout: options.timeout };
  }

  get address(): string {
    return formatClamdAddress(this.options.address);
  }

  async scan(raw: Buffer, facts: Facts, files: ExtractedFile[]): Promise<VirusScanResult> {
    const names = new Map(facts.attachments.map((a) => [a.id, a.name ?? a.id]));
    const targets: Target[] = [{ content: raw, label: 'the message' }];
    for (const f of files) {
      if (f.content.length === 0) continue; // nothing to match; saves a round trip
      const label = `attachment "${names.get(f.attachmentId) ?? f.attachmentId}"`;
      targets.push({ content: f.content, attachment: f.attachmentId, label });
    }
    try {
      const [version, ...replies] = await Promise.all([
        this.version(),
        ...targets.map((t) => this.limiter.run(() => this.instream(t.content))),
      ]);
      this.noteReachable();
      const result: VirusScanResult = { findings: [], exceptions: [], engines: { clamd: version } };
      targets.forEach((t, i) => this.interpret(t, replies[i] ?? '', result));
      result.findings = dropMessageLevelDuplicates(result.findings);
      return result;
    } catch (err) {
      if (err instanceof EngineUnavailableError) this.noteFailure(err.message);
      throw err;
    }
  }

  /** clamd's VERSION answer ("ClamAV 1.4.6/27450/…"), cached for a minute; throws when unreachable. */
  async version(): Promise<string> {
    const now = Date.now();
    if (this.cachedVersion && now - this.cachedVersion.at < VERSION_TTL_MS) return this.cachedVersion.text;
    const text = (await this.limiter.run(() => this.request('VERSION'))).trim();
    this.cachedVersion = { text, at: now };
    return text;
  }

  /** True when clamd answers PING with PONG (status pages, health checks). */
  async ping(): Promise<boolean> {
    try {
      return (await this.request('PING')).trim() === 'PONG';
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const s of this.sockets) s.destroy();
  }

  /** One INSTREAM; a stream cut short by a clamd that is still alive was over StreamMaxLength. */
  private async instream(content: Buffer): Promise<string> {
    try {
      return await this.request('INSTREAM', content);
    } catch (err) {
      if (err instanceof StreamDroppedError && (await this.ping())) return SIZE_LIMIT_REPLY;
      throw err;
    }
  }

  private request(command: string, content?: Buffer): Promise<string> {
    if (this.closed) return Promise.reject(new EngineUnavailableError(this.name, 'clamd engine closed'));
    return clamdRequest(this.options.address, command, this.timeouts, content, this.sockets);
  }

  private interpret(target: Target, replyText: string, result: VirusScanResult): void {
    const reply = parseInstreamReply(replyText);
    const exception = (kind: ScanExceptionKind, detail: string) => {
      const e: ScanException = { kind, detail };
      if (target.attachment !== undefined) e.attachment = target.attachment;
      result.exceptions.push(e);
    };
    if (!reply) {
      throw new EngineUnavailableError(
        this.name,
        `clamd at ${this.address}: unexpected reply "${replyText}"`,
      );
    }
    if (reply.kind === 'ok') return;
    if (reply.kind === 'error') {
      if (reply.sizeLimit) exception('too-large', `${target.label} is larger than clamd's StreamMaxLength`);
      else exception('unscannable', `clamd could not scan ${target.label}: ${reply.message}`);
      return;
    }
    const name = normaliseSignatureName(reply.name);
    const limit = LIMIT_EXCEPTIONS.find(([re]) => re.test(name));
    if (limit) {
      exception(limit[1], `clamd: ${name} in ${target.label}`);
      return;
    }
    const finding: VirusFinding = { name, category: this.categorize(name), engine: this.name };
    if (target.attachment !== undefined) finding.attachment = target.attachment;
    result.findings.push(finding);
  }

  private noteFailure(message: string): void {
    if (this.lastFailure === undefined) this.options.log?.warn({ clamd: this.address }, message);
    this.lastFailure = message;
  }

  private noteReachable(): void {
    if (this.lastFailure !== undefined) {
      this.options.log?.info({ clamd: this.address }, 'clamd answers again');
      this.lastFailure = undefined;
    }
  }
}

/** The same signature found in the message and in an attachment is reported once, on the attachment. */
function dropMessageLevelDuplicates(findings: VirusFinding[]): VirusFinding[] {
  const inFiles = new Set(findings.filter((f) => f.attachment !== undefined).map((f) => f.name));
  return findings.filter((f) => f.attachment !== undefined || !inFiles.has(f.name));
}
