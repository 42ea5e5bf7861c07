// parseMessage: one parse of a message into the facts every engine and rule reads, and the
// files (attachments, archive members) the content engines scan. Never throws: whatever cannot
// be read becomes a scan exception, and the facts read so far are returned.
import { emptyFacts, type Facts, type ParsedMessage } from '../facts.js';
import type { ScanSettings } from '../scan-settings.js';
import { parseAddressList } from './addresses.js';
import { Budget } from './budget.js';
import { decodeText } from './charset.js';
import { messageDirection } from './direction.js';
import { decodeWords } from './encoded-words.js';
import { headerValues, readHeaderBlock, type RawHeader } from './headers.js';
import { htmlToText } from './html.js';
import { Inspector } from './inspect.js';
import { walkMime, type MimeLeaf } from './mime.js';
import { decodeTransfer, findUuencoded } from './transfer.js';
import { messageHead } from './message-head.js';
import { UrlCollector } from './urls.js';

export interface ParseContext {
  sender: string;
  recipients: string[];
  clientIp: string;
  helo: string;
  queueId?: string;
  /** Accepted (internal) domains: "example.com" or "*.example.com". */
  acceptedDomains: string[];
}

/** Text kept for one fact, capped in total. */
class TextSink {
  private readonly parts: string[] = [];
  private length = 0;
  constructor(private readonly max: number) {}
  add(text: string): void {
    if (text === '' || this.length >= this.max) return;
    const take = text.length > this.max - this.length ? text.slice(0, this.max - this.length) : text;
    this.parts.push(take);
    this.length += take.length;
  }
  get text(): string {
    return this.parts.join('\n');
  }
}

const BODY_TYPES = new Set(['text/plain', 'text/html', 'text/enriched', 'text/richtext']);

function headerFacts(facts: Facts, headers: RawHeader[]): void {
  facts.headers = headers.map((h) => ({ name: h.name, value: decodeWords(h.raw) }));
  const first = (name: string) => facts.headers.find((h) => h.name === name)?.value;
  facts.subject = first('subject') ?? '';
  // Every From/To/Cc/Reply-To field counts: several From fields show up as several addresses.
  const addresses = (name: string) => headerValues(headers, name).flatMap((raw) => parseAddressList(raw));
  facts.from = addresses('from');
  facts.to = addresses('to');
  facts.cc = addresses('cc');
  facts.replyTo = addresses('reply-to');
  const id = headerValues(headers, 'message-id')[0]?.trim();
  if (id) facts.messageId = id;
}

interface Sinks {
  text: TextSink;
  htmlText: TextSink;
  html: TextSink;
}

async function readLeaf(
  leaf: MimeLeaf,
  budget: Budget,
  inspector: Inspector,
  urls: UrlCollector,
  sinks: Sinks,
) {
  const limits = budget.limits;
  const decoded = new Map<string, Buffer>();
  const decode = (encoding: string) => {
    let d = decoded.get(encoding);
    if (!d) decoded.set(encoding, (d = decodeTransfer(leaf.body, encoding)));
    return d;
  };
  const named = leaf.names.length > 0 || leaf.disposition === 'attachment';
  const bodyType = named ? undefined : leaf.types.find((t) => BODY_TYPES.has(t));
  // A leaf is read as an attachment when any reading makes it one: a name, a disposition, or a
  // content type that is not a body type.
  const asAttachment = named || leaf.types.some((t) => !BODY_TYPES.has(t));

  if (bodyType !== undefined) {
    const bytes = decode(leaf.encodings[0] as string);
    const text = decodeText(bytes.subarray(0, limits.maxTextBytes), leaf.charset);
    if (bodyType === 'text/html') {
      sinks.html.add(text);
      const rendered = htmlToText(text, limits.maxTextBytes);
      sinks.htmlText.add(rendered);
      urls.fromHtml(text);
      urls.fromText(rendered);
    } else {
      sinks.text.add(text);
      urls.fromText(text);
      // Old clients still send files uuencoded inside the text; clients that decode them show
      // an attachment, so it is scanned as one.
      let n = 0;
      for (const uu of findUuencoded(bytes, limits.maxMimeParts)) {
        await inspector.inspect({
          id: inspector.uniqueId(`${leaf.id}:uu${++n}`),
          names: [uu.name],
          declaredType: 'application/x-uuencode',
          content: uu.data,
          depth: 0,
          ...(leaf.inMessage !== undefined ? { parent: leaf.inMessage } : {}),
        });
      }
    }
  }
  if (!asAttachment) return;
  const declaredType = leaf.types.find((t) => !BODY_TYPES.has(t)) ?? (leaf.types[0] as string);
  let previous: Buffer | undefined;
  for (const encoding of leaf.encodings.slice(0, 3)) {
    const content = decode(encoding);
    if (previous && previous.equals(content)) continue;
    const id = inspector.uniqueId(previous ? `${leaf.id}~${encoding}` : leaf.id);
    previous = content;
    await inspector.inspect({
      id,
      names: leaf.names,
      declaredType,
      content,
      depth: 0,
      ...(leaf.charset !== undefined ? { charset: leaf.charset } : {}),
      ...(leaf.inMessage !== undefined ? { parent: leaf.inMessage } : {}),
    });
  }
}

async function fill(
  raw: Buffer,
  ctx: ParseContext,
  budget: Budget,
  facts: Facts,
  inspector: Inspector,
  urls: UrlCollector,
) {
  const limits = budget.limits;
  if (ctx.recipients.length > limits.maxRecipientsToScan) {
    budget.raise(
      'too-large',
      `${ctx.recipients.length} envelope recipients (limit ${limits.maxRecipientsToScan})`,
    );
  }
  if (raw.length > limits.maxMessageSizeToScan) {
    budget.raise('too-large', `message of ${raw.length} bytes (limit ${limits.maxMessageSizeToScan})`);
    headerFacts(facts, readHeaderBlock(raw, limits.maxHeaderCount, limits.maxHeaderSize).headers);
    return;
  }
  const walk = walkMime(raw, budget);
  headerFacts(facts, walk.headers);
  const sinks: Sinks = {
    text: new TextSink(limits.maxTotalTextBytes),
    htmlText: new TextSink(limits.maxTotalTextBytes),
    html: new TextSink(limits.maxTotalTextBytes),
  };
  for (const leaf of walk.leaves) {
    if (budget.expired()) break;
    await readLeaf(leaf, budget, inspector, urls, sinks);
  }
  facts.textBody = sinks.text.text;
  facts.htmlText = sinks.htmlText.text;
  facts.html = sinks.html.text;
  // Parts of an attached message are that message's children.
  const byId = new Map(inspector.attachments.map((a) => [a.id, a]));
  for (const a of inspector.attachments) {
    if (a.depth !== 0 || a.parent === undefined) continue;
    const parent = byId.get(a.parent);
    if (parent) (parent.children ??= []).push(a.id);
  }
}

export async function parseMessage(
  raw: Buffer,
  ctx: ParseContext,
  limits: ScanSettings,
): Promise<ParsedMessage> {
  const budget = new Budget(limits);
  const urls = new UrlCollector(limits.maxUrls);
  const inspector = new Inspector(budget, urls);
  const facts = emptyFacts({
    envelope: { sender: ctx.sender, recipients: ctx.recipients, clientIp: ctx.clientIp, helo: ctx.helo },
    direction: messageDirection(ctx.sender, ctx.recipients, ctx.acceptedDomains),
    size: raw.length,
  });
  if (ctx.queueId !== undefined) facts.queueId = ctx.queueId;
  let timer: NodeJS.Timeout | undefined;
  try {
    // The checks inside the parse stop it at the deadline; the race is the backstop that
    // returns on time even if one step (a huge decompression) is still running.
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, limits.timeout + 50);
      timer.unref();
    });
    await Promise.race([fill(raw, ctx, budget, facts, inspector, urls), deadline]);
  } catch (err) {
    budget.raise('unscannable', `parser failure: ${(err as Error).message ?? String(err)}`);
  } finally {
    clearTimeout(timer);
  }
  budget.expired();
  facts.attachments = [...inspector.attachments];
  facts.urls = [...urls.urls];
  facts.exceptions = [...budget.exceptions];
  return { facts, files: [...inspector.files], head: messageHead(raw) };
}
