// A queue filter from what an administrator typed (CLI options, console query or JSON): the
// queue name checked, durations parsed. Errors name the field, for the caller to word.
import { parseDuration } from '../config/units.js';
import type { QueueFilter } from './filter.js';
import { QUEUE_NAMES, type QueueName } from './types.js';

export interface QueueFilterInput {
  queue?: string;
  sender?: string;
  recipient?: string;
  /** Durations as typed: "2h", "30m". */
  olderThan?: string;
  newerThan?: string;
}

export class FilterInputError extends Error {
  constructor(
    readonly field: keyof QueueFilterInput,
    message: string,
  ) {
    super(message);
    this.name = 'FilterInputError';
  }
}

export function queueFilterFrom(input: QueueFilterInput, ids: string[] = []): QueueFilter {
  const filter: QueueFilter = {};
  if (ids.length) filter.ids = ids;
  if (input.queue !== undefined) {
    if (!QUEUE_NAMES.includes(input.queue as QueueName))
      throw new FilterInputError('queue', `"${input.queue}" is not one of ${QUEUE_NAMES.join(', ')}`);
    filter.queue = input.queue as QueueName;
  }
  if (input.sender !== undefined) filter.sender = input.sender;
  if (input.recipient !== undefined) filter.recipient = input.recipient;
  for (const key of ['olderThan', 'newerThan'] as const) {
    const text = input[key];
    if (text === undefined) continue;
    const ms = parseDuration(text);
    if (ms === undefined)
      throw new FilterInputError(key, `"${text}" is not a duration (e.g. 90s, 10m, 2h, 3d)`);
    filter[key] = ms;
  }
  return filter;
}
