/**
 * The persisted form of a tab's buffer (key `tab:<id>`; its chunks are stored under their
 * own keys, `chunk:…`), apart from the hub so that what is written and what is read back
 * after a service-worker restart are defined in one place, with a version.
 *
 * Reading back trusts nothing: storage written by an older or newer version, or damaged,
 * decodes to null (the hub then drops that tab's stored state and its chunks as stale,
 * and says so in the log) instead of throwing in the worker's start-up, where one bad
 * record would stop every tab's capture.
 */

/** Bump when the shape changes; older records are then dropped, not misread. */
export const TAB_META_VERSION = 1;

export const META_PREFIX = 'tab:';
export const CHUNK_PREFIX = 'chunk:';

export interface RelayMeta {
  durable: number;
  dropped: number;
  rejected: number;
}

export interface TabMeta {
  v: typeof TAB_META_VERSION;
  lastSeq: number;
  clearedAtSeq: number;
  nextChunk: number;
  /** `events`: how many the chunk holds, so that a chunk found damaged is counted as lost (absent in records written before it was kept). */
  chunks: Array<{ key: string; chars: number; events?: number }>;
  recording: boolean;
  relays: Array<[string, RelayMeta]>;
  dropped: { page: number; relay: number; background: number };
  rejected: number;
  url: string;
  title: string;
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A stored tab record, or null when it is not one this version wrote. */
export function decodeTabMeta(value: unknown): TabMeta | null {
  if (!isRecord(value) || value.v !== TAB_META_VERSION) return null;
  const { lastSeq, clearedAtSeq, nextChunk, chunks, recording, relays, dropped, rejected, url, title } = value;
  if (!isCount(lastSeq) || !isCount(clearedAtSeq) || !isCount(nextChunk) || !isCount(rejected)) return null;
  if (typeof recording !== 'boolean' || typeof url !== 'string' || typeof title !== 'string') return null;
  if (!isRecord(dropped) || !isCount(dropped.page) || !isCount(dropped.relay) || !isCount(dropped.background)) return null;
  if (!Array.isArray(chunks) || !chunks.every((c) => isRecord(c) && typeof c.key === 'string' && c.key.startsWith(CHUNK_PREFIX) && isCount(c.chars) && (c.events === undefined || isCount(c.events)))) return null;
  if (
    !Array.isArray(relays) ||
    !relays.every((r) => Array.isArray(r) && r.length === 2 && typeof r[0] === 'string' && isRecord(r[1]) && isCount(r[1].durable) && isCount(r[1].dropped) && isCount(r[1].rejected))
  ) {
    return null;
  }
  return {
    v: TAB_META_VERSION,
    lastSeq,
    clearedAtSeq,
    nextChunk,
    chunks: (chunks as Array<{ key: string; chars: number; events?: number }>).map(({ key, chars, events }) => (events === undefined ? { key, chars } : { key, chars, events })),
    recording,
    relays: (relays as Array<[string, RelayMeta]>).map(([id, r]) => [id, { durable: r.durable, dropped: r.dropped, rejected: r.rejected }]),
    dropped: { page: dropped.page, relay: dropped.relay, background: dropped.background },
    rejected,
    url,
    title,
  };
}
