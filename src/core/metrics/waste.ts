/**
 * Waste: a polling or long-polling response that carries no new information
 * (the primer: "Most responses return 'no change.' The server does work for nothing").
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
import { CLOCK_MIN_MOVES, clockPaths, findClocks, readInstant, type ClockNode, type ClockSample } from './json-clocks.ts';

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
  json: unknown;
  isJson: boolean;
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

/** What differs between a body and the one held before it. */
const SAME = 0;
const CLOCKS = 1;
const NEWS = 2;

/** True when both scalars are instants on a clock path: the clock moved, nothing happened. */
function clockMoved(now: unknown, before: unknown, node: ClockNode | undefined): boolean {
  return node !== undefined && node.clock && readInstant(now) !== null && readInstant(before) !== null;
}

/**
 * Compare a JSON value with the one held before, path by path: NEWS as soon as a scalar changed
 * (or appeared or vanished) or a non-empty collection changed, CLOCKS when only clocks moved, SAME
 * otherwise. Collections empty now (or gone) are not news: a poll answering "nothing since" empties them.
 */
function compare(now: unknown, before: unknown, node: ClockNode | undefined): number {
  if (Array.isArray(now)) {
    if (now.length === 0) return SAME;
    if (!Array.isArray(before) || before.length !== now.length) return NEWS;
    let diff = SAME;
    for (let i = 0; i < now.length; i++) {
      diff |= compare(now[i], before[i], node?.children.get(i));
      if (diff & NEWS) return NEWS;
    }
    return diff;
  }
  if (isObject(now)) {
    const previous = isObject(before) ? before : undefined;
    let diff = SAME;
    let keys = 0;
    for (const key in now) {
      if (!Object.hasOwn(now, key)) continue;
      keys++;
      const child = node?.children.get(key);
      const held = previous !== undefined && Object.hasOwn(previous, key) ? previous[key] : undefined;
      if (held === undefined && !isContainer(now[key])) return NEWS;
      diff |= compare(now[key], held, child);
      if (diff & NEWS) return NEWS;
    }
    if (keys === 0 || previous === undefined) return diff;
    for (const key in previous) {
      if (Object.hasOwn(previous, key) && !Object.hasOwn(now, key) && !isContainer(previous[key])) return NEWS;
    }
    return diff;
  }
  if (now === before) return SAME;
  if (isContainer(before)) return NEWS;
  return clockMoved(now, before, node) ? CLOCKS : NEWS;
}

function isContainer(v: unknown): boolean {
  return typeof v === 'object' && v !== null;
}

/** Why a response was wasted, given the body held before it (null: none yet); null when it carried news. */
function judge(r: ConnRecord, body: Held, held: Held | null, clocks: ClockNode | null): WasteReason | null {
  if (r.status === 204) return 'status-204';
  if (r.status === 304) return 'status-304';
  if (r.size === 0) return 'empty-body';
  if (body.isJson) {
    const diff = held === null ? null : body.key !== null && body.key === held.key ? SAME : held.isJson ? compare(body.json, held.json, clocks ?? undefined) : null;
    // Nothing to compare with (the first body, or one that is not JSON): an answer that holds no items is still no news.
    if (diff === null) return holdsNoItems(body.json) ? 'empty-collection' : null;
    if (diff === NEWS) return null;
    if (holdsNoItems(body.json)) return 'empty-collection';
    return diff === CLOCKS ? 'clocks-only' : 'unchanged';
  }
  return held !== null && body.key !== null && body.key === held.key ? 'unchanged' : null;
}

/** Measure waste on a polling or long-polling channel (others: nothing judged). */
export function measureWaste(ctx: ChannelContext, kind: ChannelKind): WasteResult {
  if (!isPolled(kind)) return { judged: [], reasons: [], wasted: 0, wasteRatio: null, wastedBytes: 0, clocks: [] };
  const judged = httpCycles(ctx).requests.filter((r) => r.endKind === 'end');
  const bodies: Held[] = [];
  const samples: ClockSample[] = [];
  for (const r of judged) {
    if (keepsHeldBody(r)) {
      bodies.push({ key: null, json: undefined, isJson: false });
      continue;
    }
    const parsed = parseJsonBody(r);
    bodies.push({ key: bodyKey(r), json: parsed?.value, isJson: parsed !== undefined });
    if (parsed !== undefined) samples.push({ value: parsed.value, start: r.start, response: r.responseAt ?? r.end ?? r.start });
  }
  const clocks = samples.length > CLOCK_MIN_MOVES ? findClocks(samples) : null;
  const reasons: Array<WasteReason | null> = [];
  let held: Held | null = null;
  let wasted = 0;
  let wastedBytes = 0;
  for (let i = 0; i < judged.length; i++) {
    const r = judged[i]!;
    const body = bodies[i]!;
    const reason = judge(r, body, held, clocks);
    reasons.push(reason);
    if (reason !== null) {
      wasted++;
      wastedBytes += r.size;
    }
    if (!keepsHeldBody(r)) held = body;
  }
  return { judged, reasons, wasted, wasteRatio: judged.length > 0 ? wasted / judged.length : null, wastedBytes, clocks: clockPaths(clocks) };
}
