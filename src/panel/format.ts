/**
 * Display formatting for the panel (numbers from the report; never page markup).
 */
import { formatMs as formatDuration } from '../core/index.ts';
import type { ChannelReport, Severity } from '../core/index.ts';

export { formatBytes } from '../core/index.ts';

/** A duration in a panel column (the core's formatter, DevTools' precision); '—' when missing. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  return formatDuration(ms, 'table');
}

/** A ratio 0..1 as a percentage. */
export function formatPercent(ratio: number | null): string {
  if (ratio === null || !Number.isFinite(ratio)) return '—';
  return `${Math.round(ratio * 100)}%`;
}

/** A count with thousands separators. */
export function formatCount(n: number): string {
  return COUNT_FORMAT.format(Math.round(n));
}

/** One formatter for every count (toLocaleString builds one per call). */
const COUNT_FORMAT = new Intl.NumberFormat('en-US');

/** Requests per second, compact. */
export function formatRate(perSecond: number): string {
  if (perSecond === 0) return '0/s';
  if (perSecond >= 100) return `${formatCount(perSecond)}/s`;
  if (perSecond >= 1) return `${perSecond.toFixed(1)}/s`;
  return `${perSecond.toFixed(3)}/s`;
}

export const SEVERITY_RANK: Record<Severity, number> = { error: 3, warning: 2, info: 1 };

/** The most severe finding of a channel, or null. */
export function worstFinding(ch: ChannelReport) {
  let worst: ChannelReport['findings'][number] | null = null;
  for (const f of ch.findings) if (!worst || SEVERITY_RANK[f.severity] > SEVERITY_RANK[worst.severity]) worst = f;
  return worst;
}

/** The timing that matters for this kind: polling interval, long-poll hold, push gap. */
export function channelTiming(ch: ChannelReport): { label: string; ms: number | null } {
  switch (ch.kind) {
    case 'polling':
      return { label: 'every', ms: ch.intervalMs?.median ?? null };
    case 'long-polling':
      return { label: 'held', ms: ch.durationMs?.median ?? null };
    case 'one-off':
      return { label: 'took', ms: ch.durationMs?.median ?? null };
    default:
      return { label: 'gap', ms: ch.gapMs?.median ?? null };
  }
}

/** Total traffic units: requests for HTTP kinds, messages for push. */
export function channelTraffic(ch: ChannelReport): number {
  return ch.requests + ch.messages.in + ch.messages.out;
}

/** Endpoint without the scheme, for dense tables. */
export function shortUrl(url: string): string {
  return url.replace(/^[a-z]+:\/\//i, '');
}
