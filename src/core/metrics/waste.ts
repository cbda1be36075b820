/**
 * Waste: a polling or long-polling response that carries no new information
 * (docs/domain.md, "Polling": most polls find nothing new, and the server works for nothing).
 *
 * Each response with a body is compared with the last body the client holds (a 304
 * or a 204 leaves it as it was). A JSON body carries news when a scalar changed, or
 * a collection that is not empty changed; clocks (json-clocks.ts: scalars that move
 * in step with the time between polls) and collections that are empty now are not
 * news. Other bodies compare by their hash.
 */
import type { ChannelContext } from '../context.ts';
import { isPolled, type ChannelKind } from '../report-types.ts';
import type { ConnRecord } from '../model.ts';
import { httpCycles } from '../classify/http-cycles.ts';
import { ClockFinder, clockPaths, readInstant, type ClockNode } from './json-clocks.ts';

/**
 * - `empty-collection`: a JSON body that holds no items: `[]`, `{}`, or only empty
 *   collections beside scalars, none of which changed;
 * - `unchanged`: the same body as the last one (apart from collections emptied since);
 * - `clocks-only`: only clocks moved.
 */
export type WasteReason = 'status-204' | 'status-304' | 'empty-body' | 'empty-collection' | 'unchanged' | 'clocks-only';

export interface WasteResult {
  /** Judged requests (completed responses of the polling loop). */
  judged: ConnRecord[];
  /** Reason per judged request; null when it carried news. */
  reasons: Array<WasteReason | null>;
  wasted: number;
  wasteRatio: number | null;
  wastedBytes: number;
  /** The clocks found in the channel's JSON bodies (`ts`, `meta.generatedAt`), whose moves are not news. */
  clocks: string[];
}

/** A body the client holds: its hash (or text) and, when it is JSON, its parsed value. */
interface Held {
  key: string | null;
  json: { value: unknown } | undefined;
  /** A JSON body that holds no items (holdsNoItems). */
  empty: boolean;
}

function bodyKey(r: ConnRecord): string | null {
  if (r.bodyHash !== null) return r.bodyHash;
  if (r.body !== null && !r.body.truncated) return `body:${r.body.data}`;
  return null;
}

/** The body parsed when it is a whole JSON object or array, else undefined. */
function parseJsonBody(r: ConnRecord): { value: unknown } | undefined {
  const body = r.body;
  if (body === null || body.encoding !== 'text' || body.truncated) return undefined;
  const text = body.data.trim();
  if (text[0] !== '[' && text[0] !== '{') return undefined;
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

/** True for a response that leaves the client's body as it was: 204, 304, an empty body. */
function keepsHeldBody(r: ConnRecord): boolean {
  return r.status === 204 || r.status === 304 || r.size === 0;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** True when the value holds a non-empty array anywhere. */
function holdsItems(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (isObject(v)) for (const key in v) if (Object.hasOwn(v, key) && holdsItems(v[key])) return true;
  return false;
}

/** True when the value is or holds an empty collection. */
function holdsEmptyCollection(v: unknown): boolean {
  if (Array.isArray(v)) return v.length === 0;
  if (!isObject(v)) return false;
  let keys = 0;
  for (const key in v) {
    if (!Object.hasOwn(v, key)) continue;
    keys++;
    if (holdsEmptyCollection(v[key])) return true;
  }
  return keys === 0;
}

/**
 * True for JSON that holds no items: `[]`, `{}`, or an object whose collections, at any depth, are all
 * empty, beside any scalars (`{"items":[],"ts":1}`, `{"data":[],"meta":{"total":0}}`); an object with no
 * collection at all (`{"status":"ok"}`) is state, not an empty answer.
 */
export function holdsNoItems(value: unknown): boolean {
  return (Array.isArray(value) || isObject(value)) && !holdsItems(value) && holdsEmptyCollection(value);
}

/**
 * Compare a JSON value with the one held before, path by path. Returns NEWS as soon as a scalar changed
 * (or appeared or vanished) or a non-empty collection changed, unless both sides of a changed scalar read
 * as instants: those paths go into `moved`, to be judged once the clocks are known. Collections empty now
 * (or gone) are not news: a poll answering "nothing since" empties them.
 */
const NEWS = 'news';

function compare(now: unknown, before: unknown, node: ClockNode | undefined, moved: ClockNode[]): typeof NEWS | null {
  if (Array.isArray(now)) {
    if (now.length === 0) return null;
    if (!Array.isArray(before) || before.length !== now.length) return NEWS;
    for (let i = 0; i < now.length; i++) if (compare(now[i], before[i], node?.children.get(i), moved) === NEWS) return NEWS;
    return null;
  }
  if (isObject(now)) {
    const previous = isObject(before) ? before : undefined;
    let keys = 0;
    for (const key in now) {
      if (!Object.hasOwn(now, key)) continue;
      keys++;
      const held = previous !== undefined && Object.hasOwn(previous, key) ? previous[key] : undefined;
      if (held === undefined && !isContainer(now[key])) return NEWS;
      if (compare(now[key], held, node?.children.get(key), moved) === NEWS) return NEWS;
    }
    if (keys === 0 || previous === undefined) return null;
    for (const key in previous) {
      if (Object.hasOwn(previous, key) && !Object.hasOwn(now, key) && !isContainer(previous[key])) return NEWS;
    }
    return null;
  }
  if (now === before) return null;
  if (isContainer(before) || node === undefined || readInstant(now) === null || readInstant(before) === null) return NEWS;
  moved.push(node);
  return null;
}

function isContainer(v: unknown): boolean {
  return typeof v === 'object' && v !== null;
}

/** The verdict on one response: final, or waiting for the clocks (a JSON body whose only changes were instants). */
type Verdict = { reason: WasteReason | null } | { empty: boolean; moved: ClockNode[] };

/** Judge a JSON body that differs from the one held before it (null: none yet). */
function judgeJson(body: Held & { json: { value: unknown } }, held: Held | null, clocks: ClockFinder): Verdict {
  // Nothing to compare with (the first body, or one that is not JSON): an answer that holds no items is still no news.
  if (held?.json === undefined) return { reason: body.empty ? 'empty-collection' : null };
  const moved: ClockNode[] = [];
  if (compare(body.json.value, held.json.value, clocks.root, moved) === NEWS) return { reason: null };
  return { empty: body.empty, moved };
}

/** The reason of a verdict once the clocks are known: changes only to clocks are no news. */
function settle(verdict: Verdict): WasteReason | null {
  if ('reason' in verdict) return verdict.reason;
  if (!verdict.moved.every((node) => node.clock)) return null;
  return verdict.empty ? 'empty-collection' : verdict.moved.length > 0 ? 'clocks-only' : 'unchanged';
}

/**
 * Measure waste on a polling or long-polling channel (others: nothing judged). One pass, one body parsed at a
 * time: each body is compared with the one held before it while the clocks are being found, and changes to
 * instants are settled at the end, when the clocks are known.
 */
export function measureWaste(ctx: ChannelContext, kind: ChannelKind): WasteResult {
  if (!isPolled(kind)) return { judged: [], reasons: [], wasted: 0, wasteRatio: null, wastedBytes: 0, clocks: [] };
  const judged = httpCycles(ctx).requests.filter((r) => r.endKind === 'end');
  const clocks = new ClockFinder();
  const verdicts: Verdict[] = [];
  let held: Held | null = null;
  for (const r of judged) {
    if (keepsHeldBody(r)) {
      verdicts.push({ reason: r.status === 204 ? 'status-204' : r.status === 304 ? 'status-304' : 'empty-body' });
      continue;
    }
    const response = r.responseAt ?? r.end ?? r.start;
    const key = bodyKey(r);
    if (held !== null && key !== null && key === held.key) {
      // The same bytes again: nothing to parse, and its instants stood still.
      if (held.json !== undefined) clocks.repeat(r.start, response);
      verdicts.push({ reason: held.empty ? 'empty-collection' : 'unchanged' });
      continue;
    }
    const json = parseJsonBody(r);
    if (json === undefined) {
      held = { key, json, empty: false };
      verdicts.push({ reason: null });
      continue;
    }
    clocks.add(json.value, r.start, response);
    const body: Held & { json: { value: unknown } } = { key, json, empty: holdsNoItems(json.value) };
    verdicts.push(judgeJson(body, held, clocks));
    held = body;
  }
  const found = clocks.finish();
  const reasons = verdicts.map(settle);
  let wasted = 0;
  let wastedBytes = 0;
  reasons.forEach((reason, i) => {
    if (reason === null) return;
    wasted++;
    wastedBytes += judged[i]!.size;
  });
  return { judged, reasons, wasted, wasteRatio: judged.length > 0 ? wasted / judged.length : null, wastedBytes, clocks: clockPaths(found) };
}
