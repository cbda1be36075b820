/**
 * Fuzz of the importers (src/core/formats: importCaptureOrHar, importHar,
 * parseCaptureFile), issue 14 "Also expected": on arbitrary text and JSON, and
 * on real files mutated (the browsers' HARs in test/fixtures/har, our own HAR
 * export and capture file of the realistic session and of random captures):
 * fields dropped, replaced by values of the wrong type, huge or fractional
 * numbers, deep nesting, long strings, elements duplicated, a node replaced by
 * a copy of its own ancestor (what a cycle looks like once written as JSON).
 *
 * Nothing may throw past the boundary: an import returns events, or throws the
 * typed CaptureFormatError with a one-line message; whatever it returns passes
 * the guard, and analysis, the HTML report and the exports take it without
 * throwing. Every rejection is counted; what that means for each format is
 * stated by `captureAccounting` and `harAccounting` below.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CaptureEvent } from '../../src/core/events.ts';
import { CaptureFormatError, eventsToHar, importCaptureOrHar, importHar, parseCaptureFile, serializeCaptureFile, type HarImport, type SkippedEvent } from '../../src/core/formats/index.ts';
import { isCaptureEvent } from '../../src/core/guard.ts';
import { analyzeCapture, renderHtmlReport } from '../../src/core/index.ts';
import { realisticSession } from '../fixtures/har/realistic-session.ts';
import { captureArb } from './core-arbitraries.ts';
import { hostileJsonValue, mutate, treeEdit } from './fuzz-json.ts';
import { fuzz } from './fuzz-runs.ts';

const harFixture = (name: string): unknown => JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'har', name), 'utf8'));
const page = { url: 'https://shop.example.test/orders', title: 'Orders' };
/** A fixed export time, so that a seed replays the same files. */
const CREATED_AT = '2026-11-24T12:00:00.000Z';

/** A value as a file holds it: written and read back (no undefined fields). */
const asJson = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

/** Real files to mutate: each browser's HAR, and ours. */
const BASES: ReadonlyArray<{ name: string; json: unknown }> = [
  { name: 'chrome-realtime.har', json: harFixture('chrome-realtime.har') },
  { name: 'chrome-devtools-reconnects.har', json: harFixture('chrome-devtools-reconnects.har') },
  { name: 'firefox-reconnects.har', json: harFixture('firefox-reconnects.har') },
  { name: 'playwright-reconnects.har', json: harFixture('playwright-reconnects.har') },
  { name: 'our HAR export', json: asJson(eventsToHar(realisticSession(), page, { redact: false })) },
  { name: 'our capture file', json: JSON.parse(serializeCaptureFile(realisticSession(), page, { redact: false, createdAt: CREATED_AT })) },
];

/** A real file, or one of a random capture, with 0-6 edits. */
const mutatedFile = fc
  .tuple(
    fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...BASES).map((b) => b.json) },
      { weight: 1, arbitrary: captureArb.map((events) => asJson(eventsToHar(events, page, { redact: false }))) },
      { weight: 1, arbitrary: captureArb.map((events) => JSON.parse(serializeCaptureFile(events, page, { redact: false, createdAt: CREATED_AT })) as unknown) },
    ),
    fc.array(treeEdit, { maxLength: 6 }),
  )
  .map(([json, edits]) => mutate(json, edits));

/** Arbitrary input: any text, any JSON, and JSON values where a file's parts go. */
const arbitraryText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.json({ maxDepth: 4 }),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify({ log: v })),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify({ log: { entries: v } })),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify({ log: { creator: { name: 'WebInspector' }, entries: [v] } })),
  fc.tuple(fc.jsonValue({ maxDepth: 3 }), fc.jsonValue({ maxDepth: 3 })).map(([format, version]) => JSON.stringify({ format, version, events: [] })),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify({ format: 'realtime-inspector-capture', version: 1, events: v })),
  fc.array(hostileJsonValue, { maxLength: 4 }).map((events) => JSON.stringify({ format: 'realtime-inspector-capture', version: 1, events })),
  hostileJsonValue.map((v) => JSON.stringify(v)),
);

/** The result of an import, or the CaptureFormatError it threw (anything else fails the test). */
function importOrError<T>(run: () => T): T | CaptureFormatError {
  try {
    return run();
  } catch (error) {
    if (!(error instanceof CaptureFormatError)) throw new Error(`threw past the boundary: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`, { cause: error });
    return error;
  }
}

/** The longest reason a skipped part may have: one short line. */
const MAX_REASON = 300;

/** A user-facing error: one line, short enough to read (its first ten reasons at the most), whatever the file held. */
function expectOneLine(error: CaptureFormatError): void {
  expect(error.message).not.toMatch(/[\r\n\u2028\u2029]/);
  expect(error.message.length, error.message.slice(0, 200)).toBeLessThanOrEqual(10 * MAX_REASON + 300);
  for (const p of error.problems) expect(p).not.toMatch(/[\r\n\u2028\u2029]/);
}

/** A reason in a skipped list: one line, short. */
function expectReadable(skipped: readonly SkippedEvent[]): void {
  for (const s of skipped) {
    expect(s.reason).not.toMatch(/[\r\n\u2028\u2029]/);
    expect(s.reason.length, s.reason.slice(0, 200)).toBeLessThanOrEqual(MAX_REASON);
  }
}

/** What every import result must be good for: each event passes the guard; analysis, the HTML report and both exports work. */
function expectUsable(events: readonly CaptureEvent[], full = true): void {
  for (const e of events) expect(isCaptureEvent(e), JSON.stringify(e).slice(0, 300)).toBe(true);
  if (events.length === 0) return;
  const report = analyzeCapture([...events]);
  if (!full) return;
  expect(renderHtmlReport(report)).toContain('</html>');
  JSON.stringify(eventsToHar([...events], page));
  serializeCaptureFile(events, page);
}

/**
 * Counted, for a capture file: every element of `events` is either imported,
 * unchanged and in order, or listed in `skipped` by its index with the guard's
 * reason; nothing else is dropped. (A file whose elements are all invalid is a
 * CaptureFormatError that says how many.)
 */
function captureAccounting(input: unknown, imported: { events: CaptureEvent[]; skipped: SkippedEvent[] }): void {
  const elements = (input as { events: unknown[] }).events;
  const skippedAt = new Set(imported.skipped.map((s) => s.index));
  expect(skippedAt.size).toBe(imported.skipped.length);
  for (const i of skippedAt) expect(Number.isInteger(i) && i >= 0 && i < elements.length).toBe(true);
  expect(imported.events).toEqual(elements.filter((_, i) => !skippedAt.has(i)));
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const ofType = (events: readonly CaptureEvent[], type: CaptureEvent['type']) => events.filter((e) => e.type === type).length;
/** Skipped parts whose reason matches `pattern`. */
const skippedMatching = (skipped: readonly SkippedEvent[], pattern: RegExp) => skipped.filter((s) => pattern.test(s.reason)).length;
/** Events of `type` converted from a part of the HAR that the guard refused. */
const refusedConversions = (skipped: readonly SkippedEvent[], type: CaptureEvent['type']) => skipped.filter((s) => s.reason.startsWith(`converted event ${type}: `)).length;
/** A list the HAR holds where `key` is, or null when the field is absent (undefined or null). */
function listAt(obj: Json, key: string): unknown[] | 'not a list' | null {
  const v = obj[key];
  if (v === undefined || v === null) return null;
  return Array.isArray(v) ? v : 'not a list';
}

/** importHar, or the count of unreadable parts its CaptureFormatError names ("No readable entries … (N unreadable)"). */
function importPart(log: Json): HarImport | { unreadable: number } {
  const result = importOrError(() => importHar({ log }));
  if (!(result instanceof CaptureFormatError)) return result;
  const m = /^No readable entries in the HAR file \((\d+) unreadable\)/.exec(result.message);
  expect(m, result.message).not.toBeNull();
  return { unreadable: Number(m![1]) };
}

/**
 * Counted, for a HAR (src/core/formats/har/import.ts), each part of the file
 * imported alone with the same `creator` to tell which events came from it:
 * - each element of `log.entries` is listed in `skipped` by its index
 *   (unreadable), counted in `ignored` (a page asset or the browser's own
 *   request), or read into events;
 * - of a read entry, each element of `_webSocketMessages` becomes a ws.message
 *   (a data frame: opcode 1 or 2), is an error frame (type 'error' or opcode -1,
 *   read as a ws.error), or is skipped with a reason naming
 *   `_webSocketMessages[j]`; each element of `_eventSourceMessages` becomes an
 *   sse.message or is skipped naming `_eventSourceMessages[j]`;
 * - each element of `log.pages` becomes a doc.start or is skipped naming
 *   `pages[j]`; each element of `log._realtimeInspector.events` (our export's
 *   events outside any entry) is imported or skipped naming `events[j]`;
 * - any of these lists that is present but not a list is skipped by name;
 * - an event made from any of them that the guard refuses is skipped as
 *   `converted event <type>`.
 * Fields inside an entry with the wrong type (headers, timings, our exact facts)
 * are read as absent, which loses no event: they are not counted. The SSE
 * events of a plain HAR are parsed from the response text by the standard's
 * rules (an unterminated last event is not an event), not counted either.
 */
function harAccounting(input: Json, full: HarImport): void {
  const log = input.log as Json;
  const entries = log.entries as unknown[];
  const alone: Json = { ...log, pages: null, entries: [], _realtimeInspector: null };
  const fullSkippedAt = full.skipped.filter((s) => s.index >= 0).map((s) => s.index);
  expect(new Set(fullSkippedAt).size).toBe(fullSkippedAt.length);
  const skippedAt: number[] = [];
  let ignored = 0;
  entries.forEach((entry, i) => {
    const one = importPart({ ...alone, entries: [entry] });
    if ('unreadable' in one) {
      skippedAt.push(i);
      expect(one.unreadable).toBeGreaterThanOrEqual(1);
      return;
    }
    if (one.ignored === 1) {
      ignored++;
      expect(one.events).toEqual([]);
      return;
    }
    expect(one.skipped.filter((s) => s.index >= 0)).toEqual([]);
    if (!isObj(entry)) return;
    const frames = listAt(entry, '_webSocketMessages');
    if (frames === 'not a list') expect(skippedMatching(one.skipped, /_webSocketMessages is not a list/)).toBe(1);
    else if (frames !== null) {
      const errorFrames = frames.filter((f) => isObj(f) && typeof f.time === 'number' && Number.isFinite(f.time) && (f.type === 'error' || f.opcode === -1)).length;
      const messages = ofType(one.events, 'ws.message') + refusedConversions(one.skipped, 'ws.message');
      expect(messages + errorFrames + skippedMatching(one.skipped, /_webSocketMessages\[\d+\]/), `entry ${i}: frames`).toBe(frames.length);
    }
    const listed = listAt(entry, '_eventSourceMessages');
    if (listed === 'not a list') expect(skippedMatching(one.skipped, /_eventSourceMessages is not a list/)).toBe(1);
    else if (listed !== null) {
      const messages = ofType(one.events, 'sse.message') + refusedConversions(one.skipped, 'sse.message');
      expect(messages + skippedMatching(one.skipped, /_eventSourceMessages\[\d+\]/), `entry ${i}: event-stream messages`).toBe(listed.length);
    }
  });
  expect(fullSkippedAt.sort((a, b) => a - b)).toEqual(skippedAt);
  expect(full.ignored).toBe(ignored);

  const pages = listAt(log, 'pages');
  if (pages !== null) {
    const one = importPart({ ...alone, pages: log.pages });
    if (pages === 'not a list') expect('unreadable' in one ? one.unreadable : skippedMatching(one.skipped, /pages is not a list/)).toBe(1);
    else if ('unreadable' in one) expect(one.unreadable).toBe(pages.length);
    else expect(ofType(one.events, 'doc.start') + refusedConversions(one.skipped, 'doc.start') + skippedMatching(one.skipped, /pages\[\d+\]/)).toBe(pages.length);
  }
  const exported = isObj(log._realtimeInspector) ? listAt(log._realtimeInspector, 'events') : null;
  if (exported !== null) {
    const one = importPart({ ...alone, _realtimeInspector: log._realtimeInspector });
    if (exported === 'not a list') expect('unreadable' in one ? one.unreadable : skippedMatching(one.skipped, /events is not a list/)).toBe(1);
    else if ('unreadable' in one) expect(one.unreadable).toBe(exported.length);
    else expect(one.events.length + skippedMatching(one.skipped, /events\[\d+\]/)).toBe(exported.length);
  }
}

describe('importers fuzz: nothing but CaptureFormatError leaves an import (node)', () => {
  it('arbitrary text and JSON: importCaptureOrHar, importHar and parseCaptureFile', () => {
    fc.assert(
      fc.property(arbitraryText, (text) => {
        for (const run of [() => importCaptureOrHar(text).events, () => importHar(text).events, () => parseCaptureFile(text).events]) {
          const result = importOrError(run);
          if (result instanceof CaptureFormatError) expectOneLine(result);
          else expectUsable(result, false);
        }
      }),
      fuzz(600),
    );
  });

  it('mutated real files: a result that passes the guard and analyses, or a one-line CaptureFormatError', () => {
    fc.assert(
      fc.property(mutatedFile, (json) => {
        const text = JSON.stringify(json);
        const result = importOrError(() => importCaptureOrHar(text));
        if (result instanceof CaptureFormatError) return expectOneLine(result);
        expectReadable(result.skipped);
        expectUsable(result.events);
      }),
      fuzz(150),
    );
  });
});

describe('importers fuzz: every rejection counted (node)', () => {
  it('capture files: every element of events is imported or skipped by its index', () => {
    const captureBases = fc.oneof(
      fc.constant(BASES.find((b) => b.name === 'our capture file')!.json),
      captureArb.map((events) => JSON.parse(serializeCaptureFile(events, page, { redact: false, createdAt: CREATED_AT })) as unknown),
    );
    // Edits aimed at the events: any node below `events`, the list itself excluded.
    const eventEdits = fc.array(treeEdit, { minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(captureBases, eventEdits, (base, edits) => {
        const file = base as { events: unknown[] };
        const events = mutate(file.events, edits);
        const text = JSON.stringify({ ...file, events: Array.isArray(events) ? events : [events] });
        // What the importer reads: the text parsed (no -0, no undefined).
        const input = JSON.parse(text) as { events: unknown[] };
        const result = importOrError(() => parseCaptureFile(text));
        if (result instanceof CaptureFormatError) {
          expectOneLine(result);
          expect(result.message).toMatch(/^No valid events in the capture file \(\d+ invalid\)/);
          expect(result.message).toContain(`(${input.events.length} invalid)`);
          return;
        }
        expectReadable(result.skipped);
        captureAccounting(input, result);
      }),
      fuzz(200),
    );
  });

  it('HARs: every entry, frame, event-stream message, page and exported event is imported, ignored or skipped', () => {
    const harBases = fc.oneof(
      { weight: 5, arbitrary: fc.constantFrom(...BASES.filter((b) => b.name.endsWith('.har') || b.name === 'our HAR export').map((b) => b.json)) },
      { weight: 1, arbitrary: captureArb.map((events) => asJson(eventsToHar(events, page, { redact: false }))) },
    );
    fc.assert(
      fc.property(harBases, fc.array(treeEdit, { minLength: 1, maxLength: 8 }), (base, edits) => {
        const har = base as { log: Json };
        // Edits inside the log, its entries list kept a list (a HAR without one is refused whole).
        const log = mutate(har.log, edits);
        if (!isObj(log) || !Array.isArray(log.entries)) return;
        const text = JSON.stringify({ log });
        const input = JSON.parse(text) as Json;
        const result = importOrError(() => importHar(text));
        if (result instanceof CaptureFormatError) {
          expectOneLine(result);
          expect(result.message).toMatch(/^No readable entries in the HAR file/);
          return;
        }
        expectReadable(result.skipped);
        harAccounting(input, result);
      }),
      fuzz(150),
    );
  });
});

describe('importers: what the fuzz found, as regression tests (node)', () => {
  const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
  const capture = (events: string) => `{"format":"realtime-inspector-capture","version":1,"events":[${events}]}`;
  const valid = JSON.stringify(realisticSession()[0]);
  const errorOf = (run: () => unknown): CaptureFormatError => {
    const result = importOrError(run);
    if (!(result instanceof CaptureFormatError)) throw new Error('expected a CaptureFormatError');
    expectOneLine(result);
    return result;
  };

  it('a JSON error quoting text with a line break is one line', () => {
    // Node 20's message quotes the text: Unexpected token '\0', "\n\0" is not valid JSON.
    expect(errorOf(() => importCaptureOrHar('\n\u0000')).message).toBe('The file is not valid JSON: Unexpected token \'\\u0000\', "\\n\\u0000" is not valid JSON');
  });

  it('values nested 100,000 deep where the format, the version or an event type goes: a CaptureFormatError or a skipped event, never a RangeError', () => {
    expect(errorOf(() => importCaptureOrHar(`{"format":${deep}}`)).message).toBe('Not a capture file: "format" is an array of 1, expected "realtime-inspector-capture".');
    expect(errorOf(() => importCaptureOrHar(`{"format":"realtime-inspector-capture","version":${deep},"events":[]}`)).message).toBe('Invalid capture file: "version" is an array of 1.');
    expect(parseCaptureFile(capture(`{"type":${deep}},${valid}`)).skipped).toEqual([{ index: 0, reason: 'unknown event type an array of 1' }]);
    expect(errorOf(() => importHar(`{"log":{"entries":[],"_realtimeInspector":{"events":[{"type":${deep}}]}}}`)).message).toBe(
      'No readable entries in the HAR file (1 unreadable): log._realtimeInspector.events[0]: unknown event type an array of 1',
    );
  });

  it('a long or multi-line type or field name is quoted on one line, cut short', () => {
    const { skipped } = parseCaptureFile(capture(`{"type":"${'x'.repeat(5000)}"},${JSON.stringify({ ...realisticSession()[0], [`evil\n${'k'.repeat(5000)}`]: 1 })},${valid}`));
    expect(skipped.map((s) => s.index)).toEqual([0, 1]);
    expectReadable(skipped);
    expect(skipped[1]!.reason).toMatch(/^doc\.start: unexpected field "evil\\nk+…"$/);
  });
});

describe('HAR import: every part read or counted, as regression tests (node)', () => {
  const T = '2026-11-24T12:00:00.000Z';
  const t = Date.parse(T) / 1000;
  const entry = (over: Json): Json => ({ startedDateTime: T, time: 10, request: { method: 'GET', url: 'wss://rt.example/live', headers: [] }, response: { status: 101, headers: [], content: {} }, timings: {}, _resourceType: 'websocket', ...over });
  const har = (log: Json) => importHar({ log: { creator: { name: 'test' }, entries: [], ...log } });
  const reasons = (r: HarImport) => r.skipped.map((s) => `${s.index} ${s.reason}`);

  it('WebSocket frames that are not objects, have no time, are not data frames or have no data are skipped by name; data and error frames are read', () => {
    const frames = [{ type: 'receive', time: t, opcode: 1, data: 'hi' }, 42, { type: 'send', opcode: 1, data: 'no time' }, { type: 'receive', time: t, opcode: 9, data: '' }, { type: 'send', time: t, opcode: 2 }, { type: 'error', time: t, opcode: -1, data: 'boom' }];
    const r = har({ entries: [entry({ _webSocketMessages: frames })] });
    expect(r.events.filter((e) => e.type === 'ws.message')).toHaveLength(1);
    expect(r.events.filter((e) => e.type === 'ws.error')).toHaveLength(1);
    expect(reasons(r)).toEqual([
      '-1 entry 0: _webSocketMessages[1]: not an object',
      '-1 entry 0: _webSocketMessages[2]: no time',
      '-1 entry 0: _webSocketMessages[3]: opcode 9 is not a data frame',
      '-1 entry 0: _webSocketMessages[4]: no data',
    ]);
  });

  it('a frames or event-stream messages field that is not a list is counted', () => {
    expect(reasons(har({ entries: [entry({ _webSocketMessages: { 0: { type: 'receive', time: t, opcode: 1, data: 'x' } } })] }))).toEqual(['-1 entry 0: _webSocketMessages is not a list']);
    const sse = entry({ request: { method: 'GET', url: 'https://rt.example/sse' }, response: { status: 200, content: { mimeType: 'text/event-stream' } }, _resourceType: 'eventsource', _eventSourceMessages: 'data: x' });
    expect(reasons(har({ entries: [sse] }))).toEqual(['-1 entry 0: _eventSourceMessages is not a list']);
  });

  it('event-stream messages that are not objects, or of a request that got no response, are counted', () => {
    const message = { time: t, eventName: 'message', eventId: '1', data: 'x' };
    const eventSource = entry({ request: { method: 'GET', url: 'https://rt.example/sse' }, response: { status: 200, content: { mimeType: 'text/event-stream' } }, _resourceType: 'eventsource', _eventSourceMessages: [message, 7] });
    const unanswered = entry({ request: { method: 'GET', url: 'https://rt.example/stream' }, response: { status: 0, content: { mimeType: 'text/event-stream' } }, _resourceType: 'fetch', _eventSourceMessages: [message] });
    const r = har({ entries: [eventSource, unanswered] });
    expect(r.events.filter((e) => e.type === 'sse.message')).toHaveLength(1);
    expect(reasons(r)).toEqual(['-1 entry 0: _eventSourceMessages[1]: not an object', '-1 entry 1: _eventSourceMessages[0]: the request got no response']);
  });

  it('a page without a date and an exported event the guard refuses are counted', () => {
    const r = har({
      pages: [{ id: 'p', startedDateTime: 'yesterday', title: 'x' }, 3],
      entries: [entry({ _webSocketMessages: [] })],
      _realtimeInspector: { events: [{ type: 'capture.dropped', seq: 1, pseq: 1, t: 1, frameId: 0, doc: 'p', count: -5, where: 'page' }] },
    });
    expect(reasons(r)).toEqual([
      '-1 log.pages[0]: startedDateTime is not a date',
      '-1 log.pages[1]: not an object',
      '-1 log._realtimeInspector.events[0]: capture.dropped (seq 1): bad field "count": -5 is not a count from 0 to 2^53 − 1',
    ]);
  });

  it('a socket with 200,000 error frames (Chrome) is read, not lost to a spread over its frames', () => {
    const frames = Array.from({ length: 200_000 }, (_, i) => ({ type: 'error', time: t + i / 1000, opcode: -1, data: 'x' }));
    const r = importHar({ log: { creator: { name: 'WebInspector' }, entries: [entry({ response: { status: 0, content: {} }, _webSocketMessages: frames })] } });
    expect(r.skipped).toEqual([]);
    expect(r.events.filter((e) => e.type === 'ws.error')).toHaveLength(200_000);
  });
});
