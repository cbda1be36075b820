/**
 * What every entry reader starts from: the entry's request, response, timings
 * and identity (doc, conn, frame), our own exact facts when the HAR is our
 * export, and a collector for the events the entry stands for.
 */
import type { CaptureEvent, WorkerOrigin } from '../../events.ts';
import { HarEntryError, isObj, mediaType, num, objOf, seqPair, str, type Json, type SeqPair } from './fields.ts';
import type { EntryExtras } from './types.ts';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A capture event before it is numbered. */
export type Unsequenced = DistributiveOmit<CaptureEvent, 'seq' | 'pseq'>;

/** An event of an entry, with the sequence numbers our export kept (if any) and its order within the entry. */
export interface Draft {
  event: Unsequenced;
  origSeq?: SeqPair;
}

/** The lifecycle events whose exact time and sequence numbers our export keeps per entry. */
const LIFECYCLE_TYPES: ReadonlySet<string> = new Set<CaptureEvent['type']>([
  'http.request',
  'http.response',
  'http.end',
  'http.error',
  'sse.create',
  'sse.open',
  'ws.create',
  'ws.open',
  'ws.close',
]);

function isLifecycleType(k: string): k is CaptureEvent['type'] {
  return LIFECYCLE_TYPES.has(k);
}

/** Our export's exact facts, each field kept only when it has its type. */
export function readExtras(v: unknown): EntryExtras | null {
  if (!isObj(v)) return null;
  const conn = str(v.conn);
  const doc = str(v.doc);
  const frameId = num(v.frameId);
  if (conn === null || doc === null || frameId === null) return null;
  const times: EntryExtras['times'] = {};
  for (const [k, value] of Object.entries(objOf(v.times))) {
    const t = num(value);
    if (t !== null && isLifecycleType(k)) times[k] = t;
  }
  const seqs: NonNullable<EntryExtras['seqs']> = {};
  for (const [k, value] of Object.entries(objOf(v.seqs))) {
    const pair = seqPair(value);
    if (pair && isLifecycleType(k)) seqs[k] = pair;
  }
  const out: EntryExtras = { conn, doc, frameId, times, seqs };
  if (typeof v.hasBody === 'boolean') out.hasBody = v.hasBody;
  if (typeof v.transport === 'string') out.transport = v.transport;
  if (typeof v.sync === 'boolean') out.sync = v.sync;
  if (typeof v.withCredentials === 'boolean') out.withCredentials = v.withCredentials;
  if ('bodyHash' in v) out.bodyHash = str(v.bodyHash);
  if (typeof v.bodyTruncated === 'boolean') out.bodyTruncated = v.bodyTruncated;
  if ('bodySize' in v) out.bodySize = num(v.bodySize);
  if (typeof v.hasEnd === 'boolean') out.hasEnd = v.hasEnd;
  if (v.errorReason === 'abort' || v.errorReason === 'network' || v.errorReason === 'timeout') out.errorReason = v.errorReason;
  if (typeof v.finalUrl === 'string') out.finalUrl = v.finalUrl;
  const origin = objOf(v.origin);
  if ((origin.kind === 'dedicated' || origin.kind === 'shared' || origin.kind === 'service') && typeof origin.url === 'string') out.origin = { kind: origin.kind, url: origin.url };
  return out;
}

/** The parts of an entry every reader uses. */
export interface EntryFacts {
  index: number;
  url: string;
  method: string;
  request: Json;
  response: Json;
  /** Epoch ms of `startedDateTime` (or Chrome's monotonic ms, see source.ts). */
  started: number;
  /** `time`, or the sum of the timings when absent. */
  total: number;
  /** Time to the first byte: blocked + dns + connect + send + wait. */
  ttfb: number;
  timings: Json;
  status: number;
  mime: string;
  resourceType: string;
  extras: EntryExtras | null;
  ids: { frameId: number; doc: string; conn: string; origin?: WorkerOrigin };
  /** The parts of this entry its readers could not read (a frame, an event-stream message), each in words naming the entry. */
  unread: string[];
}

/** Count a part of the entry that could not be read: `what` names it and says why. */
export function leaveOut(facts: EntryFacts, what: string): void {
  facts.unread.push(`entry ${facts.index}: ${what}`);
}

/** A timing phase in ms; absent or -1 counts as 0. */
export function phase(timings: Json, name: string): number {
  return Math.max(0, num(timings[name]) ?? 0);
}

/** Read what every entry has; throws HarEntryError when the entry is unreadable. */
export function readEntryFacts(entry: unknown, index: number): EntryFacts {
  if (!isObj(entry)) throw new HarEntryError(index, 'not an object');
  const request = entry.request;
  if (!isObj(request) || typeof request.url !== 'string') throw new HarEntryError(index, 'request.url missing');
  const url = request.url;
  const started = Date.parse(str(entry.startedDateTime) ?? '');
  if (!Number.isFinite(started)) throw new HarEntryError(index, 'startedDateTime is not a date', url);
  const response = objOf(entry.response);
  const timings = objOf(entry.timings);
  const ttfb = phase(timings, 'blocked') + phase(timings, 'dns') + phase(timings, 'connect') + phase(timings, 'send') + phase(timings, 'wait');
  const extras = readExtras(entry._realtimeInspector);
  return {
    index,
    url,
    method: str(request.method) ?? 'GET',
    request,
    response,
    started,
    total: num(entry.time) ?? ttfb + phase(timings, 'receive'),
    ttfb,
    timings,
    status: num(response.status) ?? 0,
    mime: mediaType(str(objOf(response.content).mimeType) ?? ''),
    resourceType: (str(entry._resourceType) ?? '').toLowerCase(),
    extras,
    ids: {
      frameId: extras?.frameId ?? -1,
      doc: extras?.doc ?? str(entry.pageref) ?? 'har',
      conn: extras?.conn ?? `har:${index}`,
      ...(extras?.origin ? { origin: extras.origin } : {}),
    },
    unread: [],
  };
}

/** The exact epoch-ms time our export kept for a lifecycle event, or null. */
export function exactTime(facts: EntryFacts, type: CaptureEvent['type']): number | null {
  return facts.extras?.times[type] ?? null;
}

/** Our export's sequence numbers for a lifecycle event. */
export function exactSeq(facts: EntryFacts, type: CaptureEvent['type']): SeqPair | undefined {
  return facts.extras?.seqs?.[type];
}
