/**
 * The capture file: the events of a session as versioned JSON (CaptureFile in
 * ../events.ts; documented in docs/capture-format.md). Reading is strict about
 * the envelope and forgiving about events: an invalid event is skipped and
 * reported by index with the guard's reason, every valid one is kept.
 */
import { CAPTURE_SCHEMA_VERSION, type CaptureEvent, type CaptureFile } from '../events.ts';
import { explainInvalidEvent } from '../guard.ts';
import { oneLine, quoteValue } from '../message-text.ts';
import { Redactor } from './redact.ts';

export const CAPTURE_FORMAT = 'realtime-inspector-capture';

/** A capture file or HAR that cannot be read, with a message a user can act on. */
export class CaptureFormatError extends Error {
  constructor(
    message: string,
    /** Individual problems (e.g. invalid events by index), when there are several. */
    readonly problems: string[] = [],
  ) {
    super(message);
    this.name = 'CaptureFormatError';
  }
}

/** An event that was left out on import, and why. */
export interface SkippedEvent {
  /**
   * Its index in the file's events (a HAR: in log.entries); -1 for a part of a HAR that is
   * not a whole entry (a frame, an event-stream message, a page, an event our export kept
   * outside the entries, an event an entry was converted to): the reason names it.
   */
  index: number;
  /** The guard's reason: the event's type, its seq when it has one, the field, and the bound a number broke. */
  reason: string;
}

/** A parsed capture file plus the events that were skipped as invalid. */
export interface ParsedCaptureFile extends CaptureFile {
  skipped: SkippedEvent[];
}

/** How many skipped-event reasons an error message lists before summarising. */
const LISTED_PROBLEMS = 10;

/** Where a JSON.parse error points, as "line L, column C" when the engine says. */
function jsonErrorLocation(text: string, message: string): string {
  const m = /position (\d+)/.exec(message);
  if (!m) return '';
  const pos = Number(m[1]);
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n');
  return ` at line ${line}, column ${column}`;
}

/** JSON.parse with an error that says where and why; shared by capture and HAR import. */
export function parseJsonText(text: string, what: string): unknown {
  if (text.trim() === '') throw new CaptureFormatError(`The ${what} is empty.`);
  try {
    return JSON.parse(text);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // The engine's message quotes the text around the error, line breaks and all.
    throw new CaptureFormatError(`The ${what} is not valid JSON${jsonErrorLocation(text, message)}: ${oneLine(message)}`);
  }
}

/** Skipped-event reasons as a readable list, one line each (first few, then a count). */
export function describeSkipped(skipped: readonly SkippedEvent[]): string[] {
  const lines = skipped.slice(0, LISTED_PROBLEMS).map((s) => (s.index >= 0 ? `event ${s.index}: ${s.reason}` : s.reason));
  if (skipped.length > LISTED_PROBLEMS) lines.push(`… and ${skipped.length - LISTED_PROBLEMS} more`);
  return lines;
}

/** Parse a capture file's text; throws CaptureFormatError for anything but a readable capture. */
export function parseCaptureFile(text: string): ParsedCaptureFile {
  return captureFromJson(parseJsonText(text, 'capture file'));
}

/** Read an already-parsed capture file; throws CaptureFormatError for anything but a readable capture. */
export function captureFromJson(json: unknown): ParsedCaptureFile {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new CaptureFormatError(`Not a capture file: expected a JSON object with "format": "${CAPTURE_FORMAT}".`);
  }
  const obj = json as Record<string, unknown>;
  if (typeof obj.log === 'object' && obj.log !== null) {
    throw new CaptureFormatError('This is a HAR file, not a capture file: import it as HAR.');
  }
  if (obj.format !== CAPTURE_FORMAT) {
    throw new CaptureFormatError(
      `Not a capture file: "format" is ${quoteValue(obj.format)}, expected "${CAPTURE_FORMAT}".`,
    );
  }
  if (typeof obj.version !== 'number' || !Number.isInteger(obj.version) || obj.version < 1) {
    throw new CaptureFormatError(`Invalid capture file: "version" is ${quoteValue(obj.version)}.`);
  }
  if (obj.version > CAPTURE_SCHEMA_VERSION) {
    throw new CaptureFormatError(
      `This capture file is version ${obj.version}, written by a newer Realtime Inspector; this build reads version ${CAPTURE_SCHEMA_VERSION}.`,
    );
  }
  if (!Array.isArray(obj.events)) throw new CaptureFormatError('Invalid capture file: "events" is not an array.');
  const events: CaptureEvent[] = [];
  const skipped: SkippedEvent[] = [];
  obj.events.forEach((e: unknown, index: number) => {
    const reason = explainInvalidEvent(e);
    if (reason === null) events.push(e as CaptureEvent);
    else skipped.push({ index, reason });
  });
  if (events.length === 0 && skipped.length > 0) {
    const problems = describeSkipped(skipped);
    throw new CaptureFormatError(`No valid events in the capture file (${skipped.length} invalid): ${problems.join('; ')}`, problems);
  }
  const page = typeof obj.page === 'object' && obj.page !== null ? (obj.page as Record<string, unknown>) : {};
  return {
    format: CAPTURE_FORMAT,
    version: CAPTURE_SCHEMA_VERSION,
    createdAt: typeof obj.createdAt === 'string' ? obj.createdAt : '',
    page: { url: typeof page.url === 'string' ? page.url : '', title: typeof page.title === 'string' ? page.title : '' },
    redacted: obj.redacted === true,
    events,
    skipped,
  };
}

/** Options of an export. */
export interface ExportOptions {
  /** Replace credentials (redact.ts: headers, URL tokens, payload credentials, and each secret wherever else it appears); default true. */
  redact?: boolean;
  /** ISO time written as createdAt; default now. */
  createdAt?: string;
}

/** The capture file text for a session: one event per line, so that files diff well. */
export function serializeCaptureFile(
  events: readonly CaptureEvent[],
  page: { url: string; title: string },
  options: ExportOptions = {},
): string {
  const redactor = (options.redact ?? true) ? new Redactor() : null;
  const out = redactor ? redactor.events(events) : events;
  const header: Omit<CaptureFile, 'events'> = {
    format: CAPTURE_FORMAT,
    version: CAPTURE_SCHEMA_VERSION,
    createdAt: options.createdAt ?? new Date().toISOString(),
    page: redactor ? { url: redactor.text(page.url), title: redactor.text(page.title) } : page,
    redacted: redactor !== null,
  };
  const head = JSON.stringify(header).slice(0, -1);
  if (out.length === 0) return `${head},"events":[]}\n`;
  return `${head},"events":[\n${out.map((e) => JSON.stringify(e)).join(',\n')}\n]}\n`;
}
