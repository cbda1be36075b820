/**
 * Which channel of one report is which channel of another. The two captures come from two
 * page loads, so every generated value in a URL differs between them: session ids, socket.io's
 * `sid`, SockJS server and session segments, cache-busters, UUIDs, numeric ids, tokens in the
 * query. Within a capture the endpoint grouper (src/core/channels.ts) already folds what it
 * recognised or saw change; what it left raw (a lone connection's token, an id of unusual
 * shape) is compared here position by position, as "the same generated value of another run"
 * or "another name". Every pair gets a score; pairs are then taken best first, each channel
 * at most once.
 */
import type { Transport } from '../events.ts';
import type { ChannelReport } from '../report-types.ts';
import { bitsPerChar, FOLDED_PLACEHOLDER, foldSegment, MIN_VARYING_CHARS } from '../channels.ts';
import { REDACTED } from '../formats/redact-names.ts';

/** One channel of `before` paired with one of `after`. */
export interface ChannelPair {
  /** Index into the `before` channels. */
  before: number;
  /** Index into the `after` channels. */
  after: number;
  /** 0..1: how surely the two are one channel (1: the same endpoint, kind and protocol). */
  score: number;
}

export interface ChannelMatching {
  /** In the order of the `before` channels. */
  pairs: ChannelPair[];
  /** Indices of `before` channels with no partner. */
  onlyBefore: number[];
  /** Indices of `after` channels with no partner. */
  onlyAfter: number[];
}

/** Below this score two channels are not paired (one name replaced by another, a different method...). */
export const MIN_MATCH_SCORE = 0.6;

/** How much each part of the identity weighs in the score (they add up to 1). */
const WEIGHTS = { origin: 0.25, path: 0.35, query: 0.2, kind: 0.1, protocol: 0.05, transport: 0.05 } as const;

/** A JSON Web Token (header.payload.signature, base64url), which the grouper's patterns do not fold: it has dots. */
const JWT = /^[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*$/;
/** Characters of generated ids: base64url, base36, hex, and the dots of a JWT. */
const ID_CHARS = /^[A-Za-z0-9_.~-]+={0,2}$/;
/**
 * A short raw value with letters and digits reads as generated from this length on: the demo
 * lab's client id is 10 base36 characters (`Math.random().toString(36).slice(2, 12)`).
 */
const MIN_MIXED_ID_CHARS = 6;

/** How alike two raw values of one position are. */
const SAME = 1;
/** Both generated values of one kind (two placeholders, a placeholder and a token, two JWTs). */
const BOTH_FOLDED = 0.9;
/** Both letters-and-digits ids of similar length. */
const BOTH_MIXED_IDS = 0.85;
/** Equal once digit runs are ignored (`v1.2.3`/`v1.2.4`, `room-12`/`room-13`). */
const SAME_BUT_DIGITS = 0.8;
/**
 * Two query values of letters only, of one length and at least MIN_VARYING_CHARS long: a random
 * token that happened to draw no digit (ASP.NET Core SignalR's `?id=` connection token, 22
 * base64url characters, has none once in about forty) or two names of one length. Weak: it
 * decides only where no better partner exists (README, Known limitations). Path segments of
 * letters are names (`/api/notifications`, `/api/subscriptions`) and never pair this way.
 */
const SAME_LENGTH_LETTERS = 0.5;
const DIFFERENT = 0;

/** The parts of a channel's identity that the score compares. */
interface Identity {
  /** Transport family: HTTP requests (fetch and XHR alike), or the push transport itself. */
  family: string;
  transport: Transport;
  /** HTTP method when the channel key has one. */
  method: string | null;
  /** Worker kind and script path ('' for the page's own traffic). */
  worker: string;
  scheme: string;
  host: string;
  port: string;
  segments: string[];
  query: Map<string, string>;
  kind: string;
  protocol: string | null;
}

function familyOf(transport: Transport): string {
  return transport === 'fetch' || transport === 'xhr' ? 'http' : transport;
}

/** The method in a channel id (`[<worker>] <transport> <METHOD> <endpoint>`, src/core/analyzer.ts), or null. */
function methodOf(c: ChannelReport): string | null {
  const tail = ` ${c.url}`;
  if (!c.id.endsWith(tail)) return null;
  const head = c.id.slice(0, -tail.length).replace(/^\[[^\]]*\] /, '');
  const method = head.split(' ')[1];
  return method !== undefined && /^[A-Z]+$/.test(method) ? method : null;
}

function identityOf(c: ChannelReport): Identity {
  const base = { family: familyOf(c.transport), transport: c.transport, method: methodOf(c), kind: c.kind, protocol: c.protocol };
  const worker = c.origin ? `${c.origin.kind} ${pathOf(c.origin.url)}` : '';
  try {
    const url = new URL(c.url);
    const query = new Map<string, string>();
    for (const [key, value] of url.searchParams) if (!query.has(key)) query.set(key, value);
    return {
      ...base,
      worker,
      scheme: url.protocol,
      host: url.hostname.toLowerCase(),
      port: url.port,
      segments: url.pathname.split('/').filter((s) => s !== ''),
      query,
    };
  } catch {
    return { ...base, worker, scheme: '', host: '', port: '', segments: c.url.split(/[/?#]/).filter((s) => s !== ''), query: new Map() };
  }
}

/** A worker script's path with its query and generated parts folded (the script URL can carry a build hash). */
function pathOf(rawUrl: string): string {
  try {
    return new URL(rawUrl).pathname.split('/').map(foldSegment).join('/');
  } catch {
    return rawUrl;
  }
}

function decoded(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Whether a raw value reads as generated: a JWT, or letters and digits in id characters. */
function looksGenerated(value: string): boolean {
  if (JWT.test(value)) return true;
  return value.length >= MIN_MIXED_ID_CHARS && ID_CHARS.test(value) && /\d/.test(value) && /[A-Za-z]/.test(value);
}

/** Could be a token the grouper folded in the other capture (it folds only values of MIN_VARYING_CHARS or more). */
function couldBeToken(value: string): boolean {
  return value.length >= MIN_VARYING_CHARS && ID_CHARS.test(value) && (looksGenerated(value) || bitsPerChar(value) >= 2.5);
}

/** How alike two values of one position (a path segment, one query key's value) are, 0..1; 0 means another name. */
export function valueSimilarity(rawA: string, rawB: string, position: 'path' | 'query'): number {
  if (rawA === rawB) return SAME;
  const a = decoded(rawA);
  const b = decoded(rawB);
  if (a === b) return SAME;
  // A credential removed from a redacted report stands for whatever the other run sent there.
  if (a === REDACTED || b === REDACTED) return BOTH_FOLDED;
  const placeholderA = FOLDED_PLACEHOLDER.test(a);
  const placeholderB = FOLDED_PLACEHOLDER.test(b);
  if (placeholderA && placeholderB) return BOTH_FOLDED;
  if (placeholderA || placeholderB) return couldBeToken(placeholderA ? b : a) ? BOTH_FOLDED : DIFFERENT;
  if (JWT.test(a) && JWT.test(b)) return BOTH_FOLDED;
  if (looksGenerated(a) && looksGenerated(b) && Math.min(a.length, b.length) * 2 >= Math.max(a.length, b.length)) return BOTH_MIXED_IDS;
  if (/\d/.test(a) && a.replace(/\d+/g, '#') === b.replace(/\d+/g, '#')) return SAME_BUT_DIGITS;
  if (position === 'query' && a.length === b.length && a.length >= MIN_VARYING_CHARS && ID_CHARS.test(a) && ID_CHARS.test(b)) return SAME_LENGTH_LETTERS;
  return DIFFERENT;
}

function originSimilarity(a: Identity, b: Identity): number {
  if (a.host !== b.host) return a.scheme === b.scheme ? 0.4 : 0.3;
  if (a.port !== b.port || a.scheme !== b.scheme) return 0.7;
  return 1;
}

/**
 * How surely two channels (of two captures) are one channel, 0..1; 0 when they cannot be
 * (another transport family, method, worker, path depth, or a name where the other has another).
 */
export function channelSimilarity(before: ChannelReport, after: ChannelReport): number {
  return identitySimilarity(identityOf(before), identityOf(after));
}

function identitySimilarity(a: Identity, b: Identity): number {
  if (a.family !== b.family || a.worker !== b.worker || a.segments.length !== b.segments.length) return 0;
  if (a.method !== null && b.method !== null && a.method !== b.method) return 0;
  let path = 0;
  for (let i = 0; i < a.segments.length; i++) {
    const s = valueSimilarity(a.segments[i]!, b.segments[i]!, 'path');
    if (s === DIFFERENT) return 0;
    path += s;
  }
  path = a.segments.length === 0 ? 1 : path / a.segments.length;
  let query = 0;
  const keys = new Set([...a.query.keys(), ...b.query.keys()]);
  for (const key of keys) {
    const va = a.query.get(key);
    const vb = b.query.get(key);
    if (va === undefined || vb === undefined) continue;
    const s = valueSimilarity(va, vb, 'query');
    if (s === DIFFERENT) return 0;
    query += s;
  }
  query = keys.size === 0 ? 1 : query / keys.size;
  const score =
    WEIGHTS.origin * originSimilarity(a, b) +
    WEIGHTS.path * path +
    WEIGHTS.query * query +
    WEIGHTS.kind * (a.kind === b.kind ? 1 : 0) +
    WEIGHTS.protocol * (a.protocol === b.protocol ? 1 : 0) +
    WEIGHTS.transport * (a.transport === b.transport ? 1 : 0);
  return Math.round(score * 1000) / 1000;
}

/**
 * Pair the channels of two reports. Every pair scoring at least MIN_MATCH_SCORE is a
 * candidate; candidates are taken best first (ties: the closer in report order, then the
 * earlier), skipping channels already taken. With one score for both sides this is a stable
 * matching: no two channels left apart would both rather be with each other than with their
 * partners (such a pair would have outscored both partners and been taken first). The
 * result does not depend on the order of equally scored candidates in memory.
 */
export function matchChannels(before: readonly ChannelReport[], after: readonly ChannelReport[]): ChannelMatching {
  const ids = { before: before.map(identityOf), after: after.map(identityOf) };
  const candidates: ChannelPair[] = [];
  ids.before.forEach((a, i) => {
    ids.after.forEach((b, j) => {
      const score = identitySimilarity(a, b);
      if (score >= MIN_MATCH_SCORE) candidates.push({ before: i, after: j, score });
    });
  });
  candidates.sort((x, y) => y.score - x.score || Math.abs(x.before - x.after) - Math.abs(y.before - y.after) || x.before - y.before || x.after - y.after);
  const takenBefore = new Set<number>();
  const takenAfter = new Set<number>();
  const pairs: ChannelPair[] = [];
  for (const c of candidates) {
    if (takenBefore.has(c.before) || takenAfter.has(c.after)) continue;
    takenBefore.add(c.before);
    takenAfter.add(c.after);
    pairs.push(c);
  }
  pairs.sort((x, y) => x.before - y.before);
  return {
    pairs,
    onlyBefore: before.map((_, i) => i).filter((i) => !takenBefore.has(i)),
    onlyAfter: after.map((_, j) => j).filter((j) => !takenAfter.has(j)),
  };
}
