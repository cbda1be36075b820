/**
 * The waste rule as properties over open-ended JSON (fast-check): in any body, clocks
 * that move on every poll in step with the time between polls are never news, and a
 * change to any other scalar always is. Bodies are arbitrary JSON objects; clocks are
 * put at arbitrary paths, under arbitrary names, in every form a server writes one,
 * stamped when the request arrives or when the answer leaves, on a server clock that
 * may be off by up to a day; polls are a few seconds apart with 10% jitter and a
 * latency that varies from 5 ms to 900 ms. Clocks are required to be seen moving (CLOCK_MIN_MOVES).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { T0 } from './core-builders.ts';
import { judge, type Poll } from './core-waste-polls.ts';
import { CLOCK_MIN_MOVES } from '../../src/core/metrics/json-clocks.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = Array<string | number>;

/** How a server writes its clock, from epoch ms. */
const CLOCK_FORMS: Record<string, (ms: number) => Json> = {
  'epoch ms': (ms) => Math.round(ms),
  'epoch s': (ms) => Math.floor(ms / 1000),
  'epoch s, fraction': (ms) => Math.round(ms) / 1000,
  'epoch µs': (ms) => Math.round(ms * 1000),
  'epoch ns string': (ms) => `${Math.round(ms)}000000`,
  'epoch s string': (ms) => String(Math.floor(ms / 1000)),
  'ISO ms': (ms) => new Date(ms).toISOString(),
  'ISO s, offset': (ms) => `${new Date(ms - 5 * 3_600_000).toISOString().slice(0, 19)}-05:00`,
  'ISO µs, no zone': (ms) => `${new Date(ms).toISOString().slice(0, 23)}917`,
  'HTTP-date': (ms) => new Date(ms).toUTCString(),
};

/** Set an own property (a key may be `__proto__`), or an array element. */
function setAt(target: Json, key: string | number, value: Json): void {
  if (Array.isArray(target) && typeof key === 'number') target[key] = value;
  else Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function isContainer(v: Json): v is Json[] | { [key: string]: Json } {
  return typeof v === 'object' && v !== null;
}

/** Put `value` at `path` in `root`, making objects on the way (replacing what is there). */
function putPath(root: { [key: string]: Json }, path: Path, value: Json): void {
  let node: Json = root;
  for (const key of path.slice(0, -1)) {
    const next: Json | undefined = isContainer(node) ? (node as Record<string, Json>)[key as string] : undefined;
    if (next === undefined || !isContainer(next) || Array.isArray(next) !== (typeof key === 'number')) setAt(node, key, {});
    node = (node as Record<string, Json>)[key as string]!;
  }
  setAt(node, path.at(-1)!, value);
}

/** Every scalar leaf's path. */
function scalarPaths(v: Json, path: Path = [], out: Path[] = []): Path[] {
  if (Array.isArray(v)) v.forEach((x, i) => scalarPaths(x, [...path, i], out));
  else if (isContainer(v)) for (const key of Object.keys(v)) scalarPaths(v[key]!, [...path, key], out);
  else out.push(path);
  return out;
}

const samePath = (a: Path, b: Path) => a.length === b.length && a.every((k, i) => k === b[i]);

/** Object keys: any string, `#` left for the clocks' own names so that no clock sits on another's path. */
const keyArb = fc.string({ maxLength: 6 }).filter((k) => !k.includes('#'));

const scenarioArb = fc.record({
  base: fc.dictionary(keyArb, fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>, { maxKeys: 6 }),
  clocks: fc.array(
    fc.record({
      parent: fc.array(keyArb, { maxLength: 2 }),
      name: keyArb,
      form: fc.constantFrom(...Object.keys(CLOCK_FORMS)),
      stampedOnArrival: fc.boolean(),
      skewMs: fc.integer({ min: -86_400_000, max: 86_400_000 }),
    }),
    { minLength: 1, maxLength: 3 },
  ),
  everyMs: fc.integer({ min: 1500, max: 20_000 }),
  polls: fc.integer({ min: 4, max: 9 }),
  jitter: fc.array(fc.double({ min: -0.1, max: 0.1, noNaN: true }), { minLength: 9, maxLength: 9 }),
  latencies: fc.array(fc.integer({ min: 5, max: 900 }), { minLength: 9, maxLength: 9 }),
});

/**
 * New values for a scalar that is not a clock: counters, cursors, statuses, flags, nulls, and instants written the way
 * a clock is (an updatedAt that moved, a version that is a timestamp; one form per field): they change, but not in step
 * with the polls.
 */
const changedValuesArb: fc.Arbitrary<Json[]> = fc.constantFrom(...Object.keys(CLOCK_FORMS)).chain((form) =>
  fc.array(
    fc.oneof(
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.string({ maxLength: 8 }),
      fc.boolean(),
      fc.constant(null),
      fc.integer({ min: Date.UTC(2000, 0, 2), max: Date.UTC(2099, 11, 30) }).map((ms) => CLOCK_FORMS[form]!(ms)),
      fc.integer({ min: Date.UTC(2000, 0, 2), max: Date.UTC(2099, 11, 30) }).map((ms) => CLOCK_FORMS[form]!(ms)),
    ),
    { minLength: 9, maxLength: 9 },
  ),
);

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer S> ? S : never;

/** The polls of a scenario; `vary(i, body)` may change body i after its clocks are set. */
function pollsOf(s: Scenario, vary: (i: number, body: { [key: string]: Json }) => void = () => undefined): { polls: Poll[]; clockPaths: Path[] } {
  const base = JSON.parse(JSON.stringify(s.base)) as { [key: string]: Json };
  const clockPaths = s.clocks.map((c, k): Path => [...c.parent, `${c.name}#${k}`]);
  const polls: Poll[] = [];
  let at = T0;
  for (let i = 0; i < s.polls; i++) {
    if (i > 0) at += Math.round(s.everyMs * (1 + s.jitter[i]!));
    const ttfbMs = s.latencies[i]!;
    const body = JSON.parse(JSON.stringify(base)) as { [key: string]: Json };
    s.clocks.forEach((c, k) => {
      const serverNow = (c.stampedOnArrival ? at + ttfbMs / 2 : at + ttfbMs - 2) + c.skewMs;
      putPath(body, clockPaths[k]!, CLOCK_FORMS[c.form]!(serverNow));
    });
    vary(i, body);
    polls.push({ at, ttfbMs, body: JSON.stringify(body) });
  }
  return { polls, clockPaths };
}

/**
 * Each clock, as rendered, changes on at least CLOCK_MIN_MOVES polls: a clock of one-second
 * resolution stepping 0.8 s (polls 1.5 s apart, latency 704 ms then 5 ms) can read the same
 * twice in four polls, and one move alone is a single change to the rule, which is right.
 */
function clocksMoveEnough(s: Scenario): boolean {
  const { polls, clockPaths } = pollsOf(s);
  return clockPaths.every((path) => {
    const values = polls.map((p) => JSON.stringify(scalarAt(JSON.parse(p.body) as Json, path)));
    return values.filter((v, i) => i > 0 && v !== values[i - 1]).length >= CLOCK_MIN_MOVES;
  });
}

describe('waste rule properties over open-ended JSON', () => {
  it('a body that differs from the last one only in clocks that move on every poll is never news', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        fc.pre(clocksMoveEnough(s));
        const { polls } = pollsOf(s);
        const r = judge(polls);
        expect(r.clocks).toHaveLength(s.clocks.length);
        expect(r.reasons.slice(1).filter((x) => x === null)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('a change to any other scalar is always news, with the clocks moving beside it', () => {
    fc.assert(
      fc.property(
        scenarioArb,
        fc.nat(),
        fc.array(fc.boolean(), { minLength: 9, maxLength: 9 }),
        changedValuesArb,
        (s, pick, changeAt, values) => {
          fc.pre(clocksMoveEnough(s));
          // The scalars of the body as polled, clocks aside.
          const { polls: plain, clockPaths } = pollsOf(s);
          const scalars = scalarPaths(JSON.parse(plain[0]!.body) as Json).filter((p) => !clockPaths.some((c) => samePath(c, p)));
          fc.pre(scalars.length > 0);
          const path = scalars[pick % scalars.length]!;
          // Poll i > 0 changes it when changeAt[i]; one change at least.
          const changed = changeAt.map((c, i) => i > 0 && i < s.polls && c);
          if (!changed.some(Boolean)) changed[s.polls - 1] = true;
          let current: Json = null;
          let ok = true;
          const { polls } = pollsOf(s, (i, body) => {
            if (i === 0) current = scalarAt(body, path);
            else if (changed[i]) {
              if (JSON.stringify(values[i]) === JSON.stringify(current)) ok = false;
              current = values[i]!;
            }
            putPath(body, path, current);
          });
          fc.pre(ok);
          const r = judge(polls);
          r.reasons.forEach((reason, i) => {
            if (i === 0) return;
            if (changed[i]) expect(reason, `poll ${i} changed ${JSON.stringify(path)}`).toBeNull();
            else expect(reason, `poll ${i} only moved clocks`).not.toBeNull();
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});

function scalarAt(root: Json, path: Path): Json {
  let node: Json = root;
  for (const key of path) node = (node as Record<string, Json>)[key as string]!;
  return node;
}
