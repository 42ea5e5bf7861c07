// Looks at one file (an attachment or an archive member): true type, hash, names, macros, PDF
// JavaScript, text for rules, and for archives their members, recursively. Every decompression
// goes through one capped helper that charges the message's budget, so nesting, file count,
// total and single-file size and ratio limits hold however the archives are built.
import { createHash } from 'node:crypto';
import type { AttachmentFact, ExtractedFile, TrueType } from '../facts.js';
import type { Budget } from './budget.js';
import { decodeText } from './charset.js';
import { detectType, isTextLike } from './filetype.js';
import { htmlToText } from './html.js';
import { extensionOf, hasDoubleExtension } from './names.js';
import { inspectOle, isOoxmlEmbedding, isOoxmlTextPart, ooxmlHasMacros, ooxmlXmlText } from './office.js';
import { namesJavascript, objectStreams } from './pdf.js';
import type { UrlCollector } from './urls.js';
import { inflateCapped } from './archive/inflate.js';
import { listZip, type ZipEntry } from './archive/zip.js';
import { listTar } from './archive/tar.js';
import { gunzippedName, gzipName } from './archive/gzip.js';
import { listCab, listRar } from './archive/listing.js';

/** Below this a high compression ratio is normal (small text, padding) and not a bomb sign. */
const RATIO_FLOOR = 1024 * 1024;

export interface FileInput {
  id: string;
  /** Every plausible name, the primary first. */
  names: string[];
  declaredType: string;
  /** The bytes; undefined when they could not be read (encrypted, unsupported method). */
  content: Buffer | undefined;
  /** Size when known otherwise (declared size of an unreadable member). */
  size?: number;
  depth: number;
  parent?: string;
  charset?: string;
  encrypted?: boolean;
  /** The content is only the head of the file (a limit stopped decompression). */
  truncated?: boolean;
}

const ARCHIVE_TYPES = new Set<TrueType>(['zip', 'gzip', 'tar']);
const UNLISTED_TYPES = new Set<TrueType>(['7z', 'bzip2', 'xz']);

export class Inspector {
  readonly attachments: AttachmentFact[] = [];
  readonly files: ExtractedFile[] = [];
  private readonly ids = new Set<string>();
  private inspected = 0;

  constructor(
    private readonly budget: Budget,
    private readonly urls: UrlCollector,
  ) {}

  /** A fresh id: member names can repeat inside an archive. */
  uniqueId(id: string): string {
    let out = id;
    for (let n = 2; this.ids.has(out); n++) out = `${id}#${n}`;
    this.ids.add(out);
    return out;
  }

  async inspect(input: FileInput): Promise<AttachmentFact> {
    // Let other messages and timers run between files of a big archive.
    if (++this.inspected % 64 === 0) await new Promise((r) => setImmediate(r));
    const content = input.content;
    const name = input.names[0];
    const trueType = content ? detectType(content, name) : 'unknown';
    const complete = content !== undefined && !input.truncated;
    const fact: AttachmentFact = {
      id: input.id,
      extension: extensionOf(name),
      declaredType: input.declaredType,
      trueType,
      size: input.size ?? content?.length ?? 0,
      sha256: complete ? createHash('sha256').update(content).digest('hex') : '',
      depth: input.depth,
      encrypted: input.encrypted === true,
      hasMacros: false,
      pdfJavascript: false,
      doubleExtension: input.names.some((n) => hasDoubleExtension(n)),
    };
    if (name !== undefined) fact.name = name;
    if (input.names.length > 1) fact.altNames = input.names.slice(1);
    if (input.parent !== undefined) fact.parent = input.parent;
    this.attachments.push(fact);
    if (!complete || this.budget.expired()) return fact;

    const file: ExtractedFile = { attachmentId: fact.id, content };
    this.files.push(file);
    const limits = this.budget.limits;
    if (isTextLike(trueType)) {
      const head = content.subarray(0, limits.maxTextBytes);
      const text = decodeText(head, input.charset);
      file.text = trueType === 'html' ? htmlToText(text, limits.maxTextBytes) : text;
      if (trueType === 'html') this.urls.fromHtml(text);
      this.urls.fromText(file.text);
    }
    switch (trueType) {
      case 'ole': {
        const ole = inspectOle(content);
        fact.hasMacros = ole.hasMacros;
        if (ole.encrypted) {
          fact.encrypted = true;
          this.budget.raise('encrypted', 'password-protected Office document', fact.id);
        }
        break;
      }
      case 'pdf':
        fact.pdfJavascript = await this.pdfJavascript(content, fact.id);
        break;
      case 'ooxml':
        await this.openOoxml(fact, content, file);
        break;
      default:
        if (ARCHIVE_TYPES.has(trueType)) await this.openArchive(fact, content, trueType);
        else if (trueType === 'rar' || trueType === 'cab') await this.listOnly(fact, content, trueType);
        else if (UNLISTED_TYPES.has(trueType)) {
          this.budget.raise('unscannable', `${trueType} archive: its members cannot be listed here`, fact.id);
        }
    }
    return fact;
  }

  /** Decompresses within the limits; raises the exception of the limit that stopped it. */
  private async decompress(
    data: Buffer,
    mode: 'raw' | 'gzip' | 'zlib',
    id: string,
  ): Promise<{ data: Buffer; complete: boolean }> {
    const limits = this.budget.limits;
    const remaining = limits.maxExpandedSize - this.budget.expandedBytes;
    if (remaining <= 0) {
      this.budget.raise('too-large', `archives expand to more than ${limits.maxExpandedSize} bytes`, id);
      return { data: Buffer.alloc(0), complete: false };
    }
    const ratioCap = Math.max(RATIO_FLOOR, data.length * limits.maxCompressionRatio);
    const cap = Math.min(limits.maxFileSize, remaining, ratioCap);
    const r = await inflateCapped(data, mode, cap);
    this.budget.expandedBytes += r.data.length;
    if (r.overflow) {
      if (cap === ratioCap && ratioCap < limits.maxFileSize && ratioCap < remaining) {
        this.budget.raise('ratio', `expands more than ${limits.maxCompressionRatio} times`, id);
      } else if (cap === limits.maxFileSize) {
        this.budget.raise('too-large', `decompressed file over ${limits.maxFileSize} bytes`, id);
      } else {
        this.budget.raise('too-large', `archives expand to more than ${limits.maxExpandedSize} bytes`, id);
      }
    } else if (r.error !== undefined) {
      this.budget.raise('unscannable', `damaged compressed data (${r.error})`, id);
    }
    return { data: r.data, complete: !r.overflow && r.error === undefined };
  }

  /** Whether one more archive member may be listed (else too-many-files on the archive). */
  private takeFile(archiveId: string): boolean {
    if (this.budget.archiveFiles >= this.budget.limits.maxArchiveFiles) {
      this.budget.raise(
        'too-many-files',
        `more than ${this.budget.limits.maxArchiveFiles} archive members`,
        archiveId,
      );
      return false;
    }
    this.budget.archiveFiles++;
    return true;
  }

  private tooDeep(fact: AttachmentFact): boolean {
    if (fact.depth + 1 <= this.budget.limits.maxArchiveDepth) return false;
    this.budget.raise(
      'too-deep',
      `archives nested more than ${this.budget.limits.maxArchiveDepth} levels`,
      fact.id,
    );
    return true;
  }

  /** Allocates the id of a member of `parent` and lists it among the parent's children. */
  private childId(parent: AttachmentFact, name: string): string {
    const id = this.uniqueId(`${parent.id}!${name}`);
    (parent.children ??= []).push(id);
    return id;
  }

  private async member(
    parent: AttachmentFact,
    id: string,
    names: string[],
    content: Buffer | undefined,
    extra: Partial<FileInput> = {},
  ): Promise<void> {
    await this.inspect({
      id,
      names,
      declaredType: '',
      content,
      depth: parent.depth + 1,
      parent: parent.id,
      ...extra,
    });
  }

  private async openArchive(fact: AttachmentFact, content: Buffer, type: TrueType): Promise<void> {
    if (this.tooDeep(fact)) return;
    fact.children = [];
    if (type === 'zip') {
      const { entries, problems } = listZip(content, this.budget.limits.maxArchiveFiles + 1);
      if (problems.length > 0)
        this.budget.raise('unscannable', `damaged zip: ${problems.join('; ')}`, fact.id);
      for (const e of entries) {
        if (e.isDirectory) continue;
        if (this.budget.expired() || !this.takeFile(fact.id)) break;
        await this.zipMember(fact, content, e);
      }
    } else if (type === 'gzip') {
      if (!this.takeFile(fact.id)) return;
      const name = gzipName(content) ?? gunzippedName(fact.name);
      const id = this.childId(fact, name);
      const out = await this.decompress(content, 'gzip', id);
      await this.member(fact, id, [name], out.data, out.complete ? {} : { truncated: true });
    } else if (type === 'tar') {
      const { entries, problems } = listTar(content, this.budget.limits.maxArchiveFiles + 1);
      if (problems.length > 0)
        this.budget.raise('unscannable', `damaged tar: ${problems.join('; ')}`, fact.id);
      for (const e of entries) {
        if (this.budget.expired() || !this.takeFile(fact.id)) break;
        await this.member(fact, this.childId(fact, e.name), [e.name], e.data);
      }
    }
  }

  private async zipMember(fact: AttachmentFact, zip: Buffer, e: ZipEntry): Promise<void> {
    const names = e.altName !== undefined ? [e.name, e.altName] : [e.name];
    const raw = zip.subarray(e.dataStart, e.dataEnd);
    const id = this.childId(fact, e.name);
    if (e.encrypted) {
      this.budget.raise('encrypted', `encrypted archive member "${e.name}"`, id);
      return this.member(fact, id, names, undefined, { encrypted: true, size: e.size });
    }
    if (e.method === 0) return this.member(fact, id, names, raw);
    if (e.method === 8) {
      const out = await this.decompress(raw, 'raw', id);
      return this.member(fact, id, names, out.data, out.complete ? {} : { truncated: true, size: e.size });
    }
    this.budget.raise('unscannable', `zip member "${e.name}" uses compression method ${e.method}`, id);
    return this.member(fact, id, names, undefined, { size: e.size });
  }

  /** RAR and CAB: members listed by name and size (no content), encryption flagged. */
  private async listOnly(fact: AttachmentFact, content: Buffer, type: 'rar' | 'cab'): Promise<void> {
    if (this.tooDeep(fact)) return;
    const listing = (type === 'rar' ? listRar : listCab)(content, this.budget.limits.maxArchiveFiles + 1);
    if (listing.encrypted) {
      fact.encrypted = true;
      this.budget.raise('encrypted', `${type} archive with encrypted file names`, fact.id);
    }
    if (listing.problem !== undefined) this.budget.raise('unscannable', listing.problem, fact.id);
    fact.children = [];
    for (const e of listing.entries) {
      if (this.budget.expired() || !this.takeFile(fact.id)) break;
      const id = this.childId(fact, e.name);
      if (e.encrypted) this.budget.raise('encrypted', `encrypted archive member "${e.name}"`, id);
      await this.member(fact, id, [e.name], undefined, { size: e.size, encrypted: e.encrypted });
    }
  }

  /** OOXML: macros from the part names; text of the document parts; embedded objects opened. */
  private async openOoxml(fact: AttachmentFact, content: Buffer, file: ExtractedFile): Promise<void> {
    const limits = this.budget.limits;
    const { entries } = listZip(content, limits.maxArchiveFiles + 1);
    fact.hasMacros = ooxmlHasMacros(
      entries.map((e) => e.name),
      fact.extension,
    );
    const texts: string[] = [];
    let textLength = 0;
    for (const e of entries) {
      if (this.budget.expired()) return;
      if (e.encrypted || (e.method !== 0 && e.method !== 8)) continue;
      const isText = isOoxmlTextPart(e.name) && textLength < limits.maxTextBytes;
      const isEmbedding = isOoxmlEmbedding(e.name) && !e.name.endsWith('/');
      if (!isText && !isEmbedding) continue;
      if (isEmbedding && (this.tooDeep(fact) || !this.takeFile(fact.id))) continue;
      const raw = content.subarray(e.dataStart, e.dataEnd);
      const out = e.method === 0 ? { data: raw, complete: true } : await this.decompress(raw, 'raw', fact.id);
      if (isText) {
        const t = ooxmlXmlText(out.data.toString('utf8'));
        texts.push(t);
        textLength += t.length;
      } else {
        const id = this.childId(fact, e.name);
        await this.member(
          fact,
          id,
          [e.name],
          out.data,
          out.complete ? {} : { truncated: true, size: e.size },
        );
      }
    }
    if (texts.length > 0) {
      file.text = texts.join('\n').slice(0, limits.maxTextBytes);
      this.urls.fromText(file.text);
    }
  }

  private async pdfJavascript(content: Buffer, id: string): Promise<boolean> {
    const text = content.toString('latin1');
    if (namesJavascript(text)) return true;
    // Object streams: decompressed within the message's budget; damage here is not an exception
    // (viewers skip broken streams too), and the PDF itself still goes to the virus engines.
    for (const stream of objectStreams(content, text, 1000)) {
      const remaining = this.budget.limits.maxExpandedSize - this.budget.expandedBytes;
      if (this.budget.expired() || remaining <= 0) {
        this.budget.raise('too-large', `PDF object streams expand to more than the limit`, id);
        return false;
      }
      const out = await inflateCapped(stream, 'zlib', Math.min(remaining, this.budget.limits.maxFileSize));
      this.budget.expandedBytes += out.data.length;
      if (namesJavascript(out.data.toString('latin1'))) return true;
    }
    return false;
  }
}
