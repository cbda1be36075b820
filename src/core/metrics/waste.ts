/**
 * Waste: a polling or long-polling response that carries no new information
 * (the primer: "Most responses return 'no change.' The server does work for nothing").
 */
import type { ChannelContext } from '../context.ts';
import { isPolled, type ChannelKind } from '../report-types.ts';
import type { ConnRecord } from '../model.ts';
import { httpCycles } from '../classify/http-cycles.ts';

export type WasteReason = 'status-204' | 'status-304' | 'empty-body' | 'empty-collection' | 'unchanged';

export interface WasteResult {
  /** Judged requests (completed responses of the polling loop). */
  judged: ConnRecord[];
  /** Reason per judged request; null when it carried news. */
  reasons: Array<WasteReason | null>;
  wasted: number;
  wasteRatio: number | null;
  wastedBytes: number;
}

/** True for JSON that is an empty collection: [], {}, or an object whose collections are all empty ({"items":[],"ts":1}). */
export function isEmptyJsonCollection(text: string): boolean {
  const trimmed = text.trim();
  if (trimmed === '' || (trimmed[0] !== '[' && trimmed[0] !== '{')) return false;
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    return false;
  }
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value !== 'object' || value === null) return false;
  const entries = Object.values(value as Record<string, unknown>);
  if (entries.length === 0) return true;
  let collections = 0;
  for (const v of entries) {
    if (Array.isArray(v)) {
      if (v.length > 0) return false;
      collections++;
    } else if (typeof v === 'object' && v !== null) {
      if (Object.keys(v).length > 0) return false;
      collections++;
    }
  }
  return collections > 0;
}

function bodyKey(r: ConnRecord): string | null {
  if (r.bodyHash !== null) return r.bodyHash;
  if (r.body !== null && !r.body.truncated) return `body:${r.body.data}`;
  return null;
}

/** Why a response was wasted, given the previous response's body key. */
export function wasteReason(r: ConnRecord, previousKey: string | null): WasteReason | null {
  if (r.status === 204) return 'status-204';
  if (r.status === 304) return 'status-304';
  if (r.size === 0) return 'empty-body';
  if (r.body !== null && r.body.encoding === 'text' && !r.body.truncated && isEmptyJsonCollection(r.body.data)) return 'empty-collection';
  const key = bodyKey(r);
  if (key !== null && key === previousKey) return 'unchanged';
  return null;
}

/** Measure waste on a polling or long-polling channel (others: nothing judged). */
export function measureWaste(ctx: ChannelContext, kind: ChannelKind): WasteResult {
  if (!isPolled(kind)) return { judged: [], reasons: [], wasted: 0, wasteRatio: null, wastedBytes: 0 };
  const judged = httpCycles(ctx).requests.filter((r) => r.endKind === 'end');
  const reasons: Array<WasteReason | null> = [];
  let previousKey: string | null = null;
  let wasted = 0;
  let wastedBytes = 0;
  for (const r of judged) {
    const reason = wasteReason(r, previousKey);
    reasons.push(reason);
    if (reason !== null) {
      wasted++;
      wastedBytes += r.size;
    }
    previousKey = bodyKey(r);
  }
  return { judged, reasons, wasted, wasteRatio: judged.length > 0 ? wasted / judged.length : null, wastedBytes };
}
