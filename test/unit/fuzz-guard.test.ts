/**
 * Fuzz of the one guard (src/core/guard.ts) and of the page→background wire that
 * applies it (src/shared/page-events.ts parsePageEvents), issue 14 "Also
 * expected". guard-bounds-property.test.ts shows that whatever the guard
 * accepts, the tool handles; here the input is hostile: any JSON value, and
 * real events and page messages mutated (fields dropped, retyped, given huge,
 * fractional or deeply nested values, duplicated, wrapped). The guard never
 * throws and its reason is one short line; what it accepts has exactly its
 * schema's fields and analyses; and the wire counts every event a page message
 * claims: accepted plus rejected is always the claim.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CaptureEvent } from '../../src/core/events.ts';
import { explainInvalidEvent, isCaptureEvent } from '../../src/core/guard.ts';
import { analyzeCapture } from '../../src/core/index.ts';
import { encodePageEvents, pageEventsCount, pageEventsMessage } from '../../src/shared/page-bridge.ts';
import { isPageEvent, parsePageEvents } from '../../src/shared/page-events.ts';
import { realisticSession } from '../fixtures/har/realistic-session.ts';
import { captureArb } from './core-arbitraries.ts';
import { hostileJsonValue, mutate, treeEdit } from './fuzz-json.ts';
import { fuzz } from './fuzz-runs.ts';

/** Real events: every type the realistic session has, and random captures' events. */
const SESSION = realisticSession();
const realEvent = fc.oneof(fc.constantFrom(...SESSION), captureArb.chain((events) => fc.constantFrom(...events)));
/** A real event with 1-4 edits. */
const mutatedEvent = fc.tuple(realEvent, fc.array(treeEdit, { minLength: 1, maxLength: 4 })).map(([e, edits]) => mutate(e, edits));

/** The guard's verdict on `value`: null, or a reason on one short line (checked without `expect` per call). */
function verdict(value: unknown): string | null {
  const reason = explainInvalidEvent(value);
  if (reason !== null && (/[\r\n\u2028\u2029]/.test(reason) || reason.length > 300)) expect.fail(`reason not one short line: ${JSON.stringify(reason.slice(0, 400))}`);
  if (isCaptureEvent(value) !== (reason === null)) expect.fail('isCaptureEvent disagrees with explainInvalidEvent');
  return reason;
}

describe('the guard on hostile values (node)', () => {
  it('any JSON value: a verdict, never a throw', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue({ maxDepth: 4 }), hostileJsonValue, fc.dictionary(fc.string(), hostileJsonValue, { maxKeys: 6 }).map((d) => ({ type: 'ws.message', ...d }))), (value) => {
        verdict(value);
      }),
      fuzz(800),
    );
  });

  it('real events mutated: refused with a reason, or accepted with exactly its schema, and what is accepted analyses', () => {
    fc.assert(
      fc.property(fc.array(mutatedEvent, { minLength: 1, maxLength: 12 }), (values) => {
        const accepted: CaptureEvent[] = [];
        for (const value of values) {
          if (verdict(value) !== null) continue;
          const event = value as CaptureEvent;
          // Accepted: every field of the original type is there (mutations that kept it valid), no other.
          const original = SESSION.find((e) => e.type === event.type);
          if (original) for (const key of Object.keys(event)) if (!(key in original) && key !== 'sync' && key !== 'parentDoc') expect.fail(`accepted an unknown field ${key}`);
          accepted.push(event);
        }
        analyzeCapture(accepted);
      }),
      fuzz(300),
    );
  });

  it('found by the fuzz: a value nested 100,000 deep anywhere in an event gets a reason, not a RangeError', () => {
    const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`) as unknown;
    const message = SESSION.find((e) => e.type === 'ws.message')!;
    expect(verdict({ ...message, type: deep })).toBe('unknown event type an array of 1');
    expect(verdict({ ...message, data: deep })).toBe('ws.message: bad field "data"');
    expect(verdict({ ...message, [`x${'\n'.repeat(3)}`]: deep })).toBe('ws.message: unexpected field "x\\n\\n\\n"');
    const fault = SESSION.find((e) => e.type === 'fault')!;
    expect(verdict({ ...fault, params: { [`p\n${'q'.repeat(500)}`]: 1e300 } })).toMatch(/^fault \(seq \d+\): bad field "params\.p\\nq+…": 1e\+300 is not a number from/);
  });
});

describe('the page→background wire counts every event a message claims (node)', () => {
  /** What the page hooks send: unsequenced events. */
  const pageEvents = SESSION.filter((e) => isPageEvent(e)).map((e) => ({ ...e, seq: 0, pseq: 0 }));
  const message = fc.array(fc.constantFrom(...pageEvents), { minLength: 1, maxLength: 20 }).map((events) => pageEventsMessage(events) as unknown);

  /** accepted + rejected = the count the header claims (1 for a message without a readable header). */
  function expectCounted(json: string): void {
    const { events, rejected } = parsePageEvents(json);
    expect(events.length + rejected).toBe(pageEventsCount(json) ?? 1);
    expect(rejected).toBeGreaterThanOrEqual(0);
    for (const e of events) if (!isPageEvent(e)) expect.fail(`accepted a non-page event: ${JSON.stringify(e).slice(0, 200)}`);
  }

  it('any text, and text that starts like an events message', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.tuple(fc.nat(2000), fc.string({ maxLength: 200 })).map(([n, rest]) => `{"v":1,"kind":"events","n":${n},"events":[${rest}`)), (json) => {
        expectCounted(json);
      }),
      fuzz(200),
    );
  });

  it('real page messages mutated as JSON (events dropped, duplicated, retyped, the count changed) or cut as text', () => {
    fc.assert(
      fc.property(message, fc.array(treeEdit, { maxLength: 5 }), fc.option(fc.nat()), (m, edits, cut) => {
        const json = JSON.stringify(mutate(m, edits)) ?? '';
        expectCounted(cut === null ? json : json.slice(0, cut % (json.length + 1)));
      }),
      fuzz(500),
    );
  });

  it('messages as the hooks encode them (texts after the envelope), cut or extended as text', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pageEvents), { minLength: 1, maxLength: 20 }), fc.nat(), fc.string({ maxLength: 3 }), (events, cut, extra) => {
        const encoded = encodePageEvents(events as CaptureEvent[]);
        expect(parsePageEvents(encoded).rejected).toBe(0);
        expectCounted(encoded.slice(0, cut % (encoded.length + 1)) + extra);
      }),
      fuzz(300),
    );
  });

  it('an event message nested 100,000 deep is refused and counted, never thrown', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    expect(parsePageEvents(`{"v":1,"kind":"events","n":2,"events":[{"type":${deep}},${JSON.stringify(pageEvents[0])}]}`)).toEqual({ events: [pageEvents[0]], rejected: 1 });
  });
});
