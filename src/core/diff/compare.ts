/**
 * What changed between two reports of one page: per channel matched across them (matchChannels),
 * its kind, protocol, request and message rates, waste, heartbeat, backoff and findings; and the
 * channels found on one side only. Pure: two reports in, plain JSON out (docs in README,
 * "Baselines and diff").
 */
import type { Backoff, ChannelKind, ChannelReport, Finding, Report, Severity } from '../report-types.ts';
import type { Transport } from '../events.ts';
import { round1, round3 } from '../stats.ts';
import { matchChannels } from './match.ts';

export const DIFF_VERSION = 1;

/** A channel as the diff names it. */
export interface ChannelRef {
  id: string;
  url: string;
  sampleUrl: string;
  kind: ChannelKind;
  transport: Transport;
  protocol: string | null;
}

/** A finding as the diff lists it. */
export interface FindingRef {
  severity: Severity;
  code: string;
  message: string;
}

/** A rate on both sides, per second of capture. */
export interface RateChange {
  before: number;
  after: number;
  /** What it was counted from (requests or messages) on each side: small counts make noisy rates. */
  countBefore: number;
  countAfter: number;
  /** (after − before) / before, in percent; null when before is 0. */
  percent: number | null;
}

export interface ChannelDiff {
  before: ChannelRef;
  after: ChannelRef;
  /** How surely the two are one channel (src/core/diff/match.ts). */
  score: number;
  kind: { before: ChannelKind; after: ChannelKind; changed: boolean };
  protocol: { before: string | null; after: string | null; changed: boolean };
  /** HTTP requests per second of capture. */
  requestRate: RateChange;
  /** Messages (both directions) per second of capture. */
  messageRate: RateChange;
  /** Reconnects counted in each capture. */
  reconnects: { before: number; after: number };
  /** Wasted share of polls, 0..1, and the change in percentage points; null where not measured. */
  waste: { before: number | null; after: number | null; points: number | null };
  /** Median heartbeat interval (ms) and its change in percent; null where none was seen. */
  heartbeat: { before: number | null; after: number | null; percent: number | null };
  backoff: {
    before: Backoff | null;
    after: Backoff | null;
    /** True when both sides have a fit of medium or high confidence and the models differ; null when a side has no such fit. */
    modelChanged: boolean | null;
    /** Parameters that changed between two such fits (`initial`, `factor`, `cap`, `jitter`, `reset`). */
    changedParameters: string[];
  };
  findings: { added: FindingRef[]; removed: FindingRef[] };
}

/** A channel seen on one side only. */
export interface LoneChannel {
  channel: ChannelRef;
  findings: FindingRef[];
}

export interface ReportSide {
  page: { url: string; title: string };
  capturedAt: string;
  durationMs: number;
  channels: number;
}

export interface ReportDiff {
  version: typeof DIFF_VERSION;
  before: ReportSide;
  after: ReportSide;
  /** Matched channels, in the order of the `before` report. */
  channels: ChannelDiff[];
  onlyBefore: LoneChannel[];
  onlyAfter: LoneChannel[];
}

/** A backoff parameter counts as changed beyond this relative difference (timer noise moves a fit by a few percent). */
const PARAMETER_TOLERANCE = 0.2;

function refOf(c: ChannelReport): ChannelRef {
  return { id: c.id, url: c.url, sampleUrl: c.sampleUrl, kind: c.kind, transport: c.transport, protocol: c.protocol };
}

function findingRef(f: Finding): FindingRef {
  return { severity: f.severity, code: f.code, message: f.message };
}

function percentChange(before: number, after: number): number | null {
  return before === 0 ? null : round1(((after - before) / before) * 100);
}

function rateChange(countBefore: number, secondsBefore: number, countAfter: number, secondsAfter: number): RateChange {
  const before = secondsBefore > 0 ? round3(countBefore / secondsBefore) : 0;
  const after = secondsAfter > 0 ? round3(countAfter / secondsAfter) : 0;
  return { before, after, countBefore, countAfter, percent: percentChange(before, after) };
}

/** A fit good enough to name a model (a low-confidence one is no verdict, as for `audit --assert backoff=`). */
function verdictOf(b: Backoff | null): Backoff | null {
  return b !== null && b.confidence !== 'low' ? b : null;
}

function differs(a: number | null, b: number | null): boolean {
  if (a === null || b === null) return a !== b;
  const scale = Math.max(Math.abs(a), Math.abs(b));
  return scale > 0 && Math.abs(a - b) / scale > PARAMETER_TOLERANCE;
}

function backoffParameters(a: Backoff, b: Backoff): string[] {
  const changed: string[] = [];
  if (differs(a.initialMs, b.initialMs)) changed.push('initial');
  if (a.model === b.model && differs(a.factor, b.factor)) changed.push('factor');
  if (differs(a.maxMs, b.maxMs)) changed.push('cap');
  if (a.jitter !== b.jitter) changed.push('jitter');
  if (a.resetRule !== b.resetRule && a.resetRule !== 'unknown' && b.resetRule !== 'unknown') changed.push('reset');
  return changed;
}

/** Findings of `a` whose code `b` does not have. */
function findingsMissingFrom(a: readonly Finding[], b: readonly Finding[]): FindingRef[] {
  const codes = new Set(b.map((f) => f.code));
  return a.filter((f) => !codes.has(f.code)).map(findingRef);
}

function diffChannel(before: ChannelReport, after: ChannelReport, score: number, secondsBefore: number, secondsAfter: number): ChannelDiff {
  const hbBefore = before.heartbeat?.intervalMs ?? null;
  const hbAfter = after.heartbeat?.intervalMs ?? null;
  const fitBefore = verdictOf(before.backoff);
  const fitAfter = verdictOf(after.backoff);
  return {
    before: refOf(before),
    after: refOf(after),
    score,
    kind: { before: before.kind, after: after.kind, changed: before.kind !== after.kind },
    protocol: { before: before.protocol, after: after.protocol, changed: before.protocol !== after.protocol },
    requestRate: rateChange(before.requests, secondsBefore, after.requests, secondsAfter),
    messageRate: rateChange(before.messages.in + before.messages.out, secondsBefore, after.messages.in + after.messages.out, secondsAfter),
    reconnects: { before: before.reconnects.length, after: after.reconnects.length },
    waste: {
      before: before.wasteRatio,
      after: after.wasteRatio,
      points: before.wasteRatio === null || after.wasteRatio === null ? null : round1((after.wasteRatio - before.wasteRatio) * 100),
    },
    heartbeat: { before: hbBefore, after: hbAfter, percent: hbBefore === null || hbAfter === null ? null : percentChange(hbBefore, hbAfter) },
    backoff: {
      before: before.backoff,
      after: after.backoff,
      modelChanged: fitBefore && fitAfter ? fitBefore.model !== fitAfter.model : null,
      changedParameters: fitBefore && fitAfter ? backoffParameters(fitBefore, fitAfter) : [],
    },
    findings: { added: findingsMissingFrom(after.findings, before.findings), removed: findingsMissingFrom(before.findings, after.findings) },
  };
}

function sideOf(r: Report): ReportSide {
  return { page: r.page, capturedAt: r.capturedAt, durationMs: r.durationMs, channels: r.channels.length };
}

/** Compare two reports of one page (a baseline and a new run). */
export function diffReports(before: Report, after: Report): ReportDiff {
  const matching = matchChannels(before.channels, after.channels);
  const secondsBefore = before.durationMs / 1000;
  const secondsAfter = after.durationMs / 1000;
  const lone = (c: ChannelReport): LoneChannel => ({ channel: refOf(c), findings: c.findings.map(findingRef) });
  return {
    version: DIFF_VERSION,
    before: sideOf(before),
    after: sideOf(after),
    channels: matching.pairs.map((p) => diffChannel(before.channels[p.before]!, after.channels[p.after]!, p.score, secondsBefore, secondsAfter)),
    onlyBefore: matching.onlyBefore.map((i) => lone(before.channels[i]!)),
    onlyAfter: matching.onlyAfter.map((j) => lone(after.channels[j]!)),
  };
}
