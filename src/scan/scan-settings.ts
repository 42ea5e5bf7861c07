// The "scan" section of the settings document: the limits of the message parser (MIME walk,
// archive expansion, text kept for rules). Every limit fails closed: going over one adds a scan
// exception to the facts, so the message takes the exception's action instead of passing
// unscanned. Deliberately independent of src/config/settings.ts (which imports this file).
import { z } from 'zod';
import { parseDuration, parseSize } from '../config/units.js';
import { count, duration, size } from '../config/schema-fields.js';

export const scanSettingsSchema = z
  .strictObject({
    /** Messages bigger than this are not parsed beyond their headers (exception "too-large"). */
    maxMessageSizeToScan: size('30MB'),
    /** More envelope recipients than this is a scan exception ("too-large"). */
    maxRecipientsToScan: count(1000),
    /** Header fields read per header block; more is "malformed". */
    maxHeaderCount: count(1000),
    /** Bytes of one header block (all fields of one entity); more is "malformed". */
    maxHeaderSize: size('1MB'),
    /** MIME entities in the whole message (every reading counted); more is "malformed". */
    maxMimeParts: count(1000),
    /** Nesting of multiparts and attached messages; deeper is "malformed". */
    maxMimeDepth: count(50),
    /** Archive layers opened (a zip in a zip is 2); deeper is "too-deep". */
    maxArchiveDepth: count(10),
    /** Archive members listed in the whole message; more is "too-many-files". */
    maxArchiveFiles: count(1000),
    /** Bytes decompressed from archives in the whole message; more is "too-large". */
    maxExpandedSize: size('100MB'),
    /** Bytes of one decompressed file; more is "too-large". */
    maxFileSize: size('50MB'),
    /** Decompressed/compressed size of one member (checked above 1 MB); more is "ratio". */
    maxCompressionRatio: z.number().min(1).default(100),
    /** Bytes of one part (or attached text file) kept as text for rules. */
    maxTextBytes: size('1MB'),
    /** Bytes of text kept for the whole message (text, rendered HTML, raw HTML, each). */
    maxTotalTextBytes: size('8MB'),
    /** URLs kept per message (the first ones found, de-duplicated). */
    maxUrls: count(1000),
    /** Time budget of one parse; past it the facts so far are returned with "timeout". */
    timeout: duration('30s'),
  })
  .prefault({});

export type ScanSettingsDocument = z.output<typeof scanSettingsSchema>;

/** Runtime form: sizes in bytes, durations in milliseconds. */
export interface ScanSettings {
  maxMessageSizeToScan: number;
  maxRecipientsToScan: number;
  maxHeaderCount: number;
  maxHeaderSize: number;
  maxMimeParts: number;
  maxMimeDepth: number;
  maxArchiveDepth: number;
  maxArchiveFiles: number;
  maxExpandedSize: number;
  maxFileSize: number;
  maxCompressionRatio: number;
  maxTextBytes: number;
  maxTotalTextBytes: number;
  maxUrls: number;
  timeout: number;
}

export function resolveScanSettings(doc: ScanSettingsDocument): ScanSettings {
  const sz = (v: string | number) => parseSize(v) ?? 0;
  const ms = (v: string | number) => parseDuration(v) ?? 0;
  return {
    maxMessageSizeToScan: sz(doc.maxMessageSizeToScan),
    maxRecipientsToScan: doc.maxRecipientsToScan,
    maxHeaderCount: doc.maxHeaderCount,
    maxHeaderSize: sz(doc.maxHeaderSize),
    maxMimeParts: doc.maxMimeParts,
    maxMimeDepth: doc.maxMimeDepth,
    maxArchiveDepth: doc.maxArchiveDepth,
    maxArchiveFiles: doc.maxArchiveFiles,
    maxExpandedSize: sz(doc.maxExpandedSize),
    maxFileSize: sz(doc.maxFileSize),
    maxCompressionRatio: doc.maxCompressionRatio,
    maxTextBytes: sz(doc.maxTextBytes),
    maxTotalTextBytes: sz(doc.maxTotalTextBytes),
    maxUrls: doc.maxUrls,
    timeout: ms(doc.timeout),
  };
}

/** The defaults as runtime settings (tests, tools). */
export function defaultScanSettings(): ScanSettings {
  return resolveScanSettings(scanSettingsSchema.parse(undefined));
}
