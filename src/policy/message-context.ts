// What conditions read from one message, computed once per evaluation and only when a
// condition asks: the texts of each area, and the results of work already done. Conditions
// do not depend on the recipient, so with many recipients each runs once; and rules that
// test the same keyword list or DLP template over the same areas share one search.
import type { Facts, ParsedMessage } from '../scan/facts.js';
import type { Evidence } from './decision.js';
import type { TextArea } from './types.js';

/** A piece of text and where it came from, for evidence. */
export interface TextSource {
  area: TextArea;
  /** subject, body, header:x-mailer, attachment:2!a.zip!b.txt */
  where: string;
  text: string;
  attachment?: string;
}

export class MessageContext {
  readonly facts: Facts;
  private readonly areas = new Map<TextArea, TextSource[]>();
  private readonly results = new Map<unknown, unknown>();

  constructor(readonly parsed: ParsedMessage) {
    this.facts = parsed.facts;
  }

  /** The texts of the given areas, in a stable order (subject, body, headers, names, files). */
  sources(areas: readonly TextArea[]): TextSource[] {
    return areas.flatMap((a) => this.area(a));
  }

  private area(area: TextArea): TextSource[] {
    let list = this.areas.get(area);
    if (!list) {
      list = this.collect(area);
      this.areas.set(area, list);
    }
    return list;
  }

  private collect(area: TextArea): TextSource[] {
    const f = this.facts;
    switch (area) {
      case 'subject':
        return [{ area, where: 'subject', text: f.subject }];
      case 'body':
        return [f.textBody, f.htmlText]
          .filter((t) => t !== '')
          .map((text) => ({ area, where: 'body', text }));
      case 'headers':
        return f.headers.map((h) => ({ area, where: `header:${h.name}`, text: h.value }));
      case 'attachmentNames':
        return f.attachments
          .filter((a) => a.name !== undefined && a.name !== '')
          .map((a) => ({ area, where: `attachment:${a.id}`, text: a.name ?? '', attachment: a.id }));
      case 'attachmentText':
        return this.parsed.files
          .filter((file) => file.text !== undefined && file.text !== '')
          .map((file) => ({
            area,
            where: `attachment:${file.attachmentId}`,
            text: file.text ?? '',
            attachment: file.attachmentId,
          }));
    }
  }

  /** Computes something at most once per message: `key` is a compiled condition or a string. */
  memo<T>(key: object | string, compute: () => T): T {
    if (this.results.has(key)) return this.results.get(key) as T;
    const value = compute();
    this.results.set(key, value);
    return value;
  }

  /** A condition's evidence, evaluated at most once per message. */
  once(key: object, evaluate: () => Evidence[]): Evidence[] {
    return this.memo(key, evaluate);
  }

  attachmentName(id: string): string | undefined {
    return this.facts.attachments.find((a) => a.id === id)?.name;
  }
}
