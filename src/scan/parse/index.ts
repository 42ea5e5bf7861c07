// The message parser: one parse per message gives the facts (headers, text, URLs, attachments,
// archive members, scan exceptions) and the files the content engines scan.
export { parseMessage, type ParseContext } from './parse-message.js';
export { directionFor, messageDirection, domainOf, isAcceptedDomain } from './direction.js';
export { detectType } from './filetype.js';
export { extensionOf, hasDoubleExtension } from './names.js';
export { htmlToText, decodeEntities } from './html.js';
export { decodeWords } from './encoded-words.js';
export { decodeText } from './charset.js';
