/**
 * HAR import: any HAR 1.2 into capture events. Chrome DevTools', Firefox's and
 * Playwright's HARs are read by what each tool's fields mean (source.ts), and
 * our own export back to the exact events it was made from.
 */
import type { CaptureEvent, EventOf } from '../../events.ts';
import { explainInvalidEvent, isCaptureEvent } from '../../guard.ts';
import { CaptureFormatError, describeSkipped, parseJsonText, type SkippedEvent } from '../capture-file.ts';
import { readEntryFacts, type Draft } from './entry.ts';
import { forEachItem, HarEntryError, isObj, seqPair, str, type SeqPair } from './fields.ts';
import { httpDrafts } from './http.ts';
import { chromeMonotonicOffset, harSourceOf, MONOTONIC_BEFORE_MS, type HarSource } from './source.ts';
import { endSupersededSockets, isWebSocketEntry, placeMonotonicAttempts, readWebSocketEntry, webSocketDrafts, type WebSocketReading } from './websocket.ts';
import { oneLine } from '../../message-text.ts';
import { minOf } from '../../stats.ts';

/** The result of a HAR import. */
export interface HarImport {
  events: CaptureEvent[];
  page: { url: string; title: string };
  /** The tool that wrote the HAR (`log.creator.name`). */
  source: HarSource;
  /**
   * What could not be read: entries by their index in log.entries; with index -1, a part
   * of an entry (a frame, an event-stream message), a page, an event our export kept
   * outside the entries, or an event the guard refused after conversion, each named in
   * its reason.
   */
  skipped: SkippedEvent[];
  /** Entries left out because they are page assets (scripts, images...). */
  ignored: number;
  /** What the import had to estimate, in words (e.g. attempts Chrome timed on its monotonic clock). */
  notes: string[];
}

interface Ordered extends Draft {
  order: number;
}

/** Our export's pages carry the doc.start event's exact facts; other HARs a start time and a title (Chrome: the URL). */
function pageDrafts(pages: unknown, leaveOut: (what: string) => void): Draft[] {
  const out: Draft[] = [];
  let read = 0;
  forEachItem(pages, 'log.pages', leaveOut, (p, j) => {
    const first = read++ === 0;
    if (isObj(p._realtimeInspector)) {
      const { seq, ...exact } = p._realtimeInspector;
      const candidate = { type: 'doc.start', doc: str(p.id) ?? 'har', ...exact, seq: 0, pseq: 0 };
      if (isCaptureEvent(candidate)) {
        const { seq: _seq, pseq: _pseq, ...event } = candidate;
        out.push({ event, origSeq: seqPair(seq) });
        return;
      }
    }
    const t = Date.parse(str(p.startedDateTime) ?? '');
    if (!Number.isFinite(t)) return leaveOut(`log.pages[${j}]: startedDateTime is not a date`);
    const title = str(p.title) ?? '';
    out.push({ event: { type: 'doc.start', t, frameId: -1, doc: str(p.id) ?? 'har', url: /^[a-z]+:\/\//i.test(title) ? title : '', title, top: first, parentDoc: null } });
  });
  return out;
}

/** Events our export kept outside any entry (faults, drop counts, chunks...); one the guard refuses is left out by its index. */
function loggedDrafts(log: Record<string, unknown>, leaveOut: (what: string) => void): Draft[] {
  const ours = log._realtimeInspector;
  if ((ours ?? null) !== null && !isObj(ours)) leaveOut('log._realtimeInspector is not an object');
  const out: Draft[] = [];
  forEachItem(isObj(ours) ? ours.events : null, 'log._realtimeInspector.events', leaveOut, (e, j) => {
    const reason = explainInvalidEvent(e);
    if (reason !== null) return leaveOut(`log._realtimeInspector.events[${j}]: ${reason}`);
    const { seq, pseq, ...event } = e as unknown as CaptureEvent;
    out.push({ event, origSeq: [seq, pseq] });
  });
  return out;
}

/** Read a HAR (parsed JSON or its text) into capture events; throws CaptureFormatError when it is not a HAR. */
export function importHar(input: unknown): HarImport {
  const json = typeof input === 'string' ? parseJsonText(input, 'HAR file') : input;
  if (!isObj(json) || !isObj(json.log)) throw new CaptureFormatError('Not a HAR file: expected a JSON object with a "log" object.');
  const log = json.log;
  if (!Array.isArray(log.entries)) throw new CaptureFormatError('Invalid HAR file: "log.entries" is not an array.');
  const source = harSourceOf(log);
  const drafts: Ordered[] = [];
  let order = 0;
  const push = (d: Draft) => drafts.push({ ...d, order: order++ });
  const skipped: SkippedEvent[] = [];
  /** A part of the file outside the entries (a page, an event of ours) that could not be read. */
  const leaveOut = (what: string) => skipped.push({ index: -1, reason: what });
  const pages = pageDrafts(log.pages, leaveOut);
  const notes: string[] = [];
  let ignored = 0;
  // WebSocket entries are read first and placed together: their lifetimes depend on each other (websocket.ts).
  const sockets: Array<{ reading: WebSocketReading; slot: number }> = [];
  const slots: Array<Draft[] | WebSocketReading> = [];
  log.entries.forEach((entry: unknown, index: number) => {
    try {
      const facts = readEntryFacts(entry, index);
      const raw = isObj(entry) ? entry : {};
      if (isWebSocketEntry(facts, raw)) {
        const reading = readWebSocketEntry(facts, raw, source);
        sockets.push({ reading, slot: slots.length });
        slots.push(reading);
      } else {
        const events = httpDrafts(facts, raw, source);
        if (events === 'ignored') ignored++;
        else slots.push(events);
      }
      // The parts of a read entry that were not (a frame without a time...), each named.
      for (const reason of facts.unread) skipped.push({ index: -1, reason });
    } catch (error) {
      // A reader names what it found wrong; anything else an entry's odd content made fail is named here.
      const named = error instanceof HarEntryError ? error : new HarEntryError(index, oneLine(error instanceof Error ? error.message : String(error), 200));
      skipped.push({ index, reason: named.message });
    }
  });
  const readings = sockets.map((s) => s.reading);
  const offset = source === 'chrome' ? chromeMonotonicOffset(log) : null;
  // A page Chrome timed on its monotonic clock (see chromeMonotonicOffset) starts where its main request did.
  const earliestWall = Math.min(
    minOf(readings.filter((r) => r.clock === 'wall').map((r) => r.create)),
    minOf(slots.flatMap((s) => (Array.isArray(s) ? s.map((d) => d.event.t) : []))),
  );
  for (const p of pages) {
    if (p.event.t < MONOTONIC_BEFORE_MS) p.event.t = offset !== null ? p.event.t + offset : Number.isFinite(earliestWall) ? earliestWall : p.event.t;
  }
  const pageStart = pages.length > 0 ? minOf(pages.map((p) => p.event.t)) : null;
  const placed = placeMonotonicAttempts(readings, offset, pageStart);
  if (placed) notes.push(placed);
  endSupersededSockets(readings);
  pages.forEach(push);
  for (const slot of slots) (Array.isArray(slot) ? slot : webSocketDrafts(slot)).forEach(push);
  loggedDrafts(log, leaveOut).forEach(push);

  if (drafts.length === 0 && skipped.length > 0) {
    const problems = describeSkipped(skipped);
    throw new CaptureFormatError(`No readable entries in the HAR file (${skipped.length} unreadable): ${problems.join('; ')}`, problems);
  }
  // Our own export carries the original sequence numbers: keep them, and let them order simultaneous events.
  const kept = drafts.every((d) => d.origSeq !== undefined);
  const seqOf = (d: Ordered): SeqPair => d.origSeq ?? [0, 0];
  drafts.sort((a, b) => a.event.t - b.event.t || (kept ? seqOf(a)[0] - seqOf(b)[0] : 0) || a.order - b.order);
  const events: CaptureEvent[] = [];
  drafts.forEach((d, i) => {
    const [seq, pseq] = kept ? seqOf(d) : [i + 1, i + 1];
    const event = { ...d.event, seq, pseq };
    if (isCaptureEvent(event)) events.push(event);
    else skipped.push({ index: -1, reason: `converted event ${d.event.type}: ${explainInvalidEvent(event)}` });
  });
  const top = events.find((e): e is EventOf<'doc.start'> => e.type === 'doc.start' && e.top);
  const firstUrl = events.map((e) => ('url' in e && typeof e.url === 'string' ? e.url : '')).find(Boolean) ?? '';
  return { events, page: { url: top?.url || firstUrl, title: top?.title ?? '' }, source, skipped, ignored, notes };
}

/** Capture events from a HAR (Chrome DevTools', Firefox's, Playwright's or any HAR 1.2). */
export function harToEvents(har: unknown): CaptureEvent[] {
  return importHar(har).events;
}
