/**
 * One wording of a verdict (backoff, stall check, heartbeat) and of a change between two runs
 * (the diff's percentages, points, rates), for the CLI, the HTML reports and the panel alike,
 * so that they say the same thing about the same result.
 */
import type { Backoff, BackoffResetRule, Heartbeat, HeartbeatDirection, JitterKind, StallCheck } from './report-types.ts';
import { formatMs } from './stats.ts';

const JITTER_WORDS: Record<JitterKind, string> = {
  none: 'no jitter',
  proportional: 'proportional jitter',
  full: 'full jitter',
  decorrelated: 'decorrelated jitter',
  additive: 'additive jitter',
  unknown: 'jitter',
};

const RESET_WORDS: Record<BackoffResetRule, string | null> = {
  'every-open': 'restarts after every open',
  uptime: 'restarts once a connection stays up',
  never: 'never restarts',
  fallback: 'restarts now and then',
  unknown: null,
};

/** The policy's shape alone: "exponential ×2 from 1.0 s to 5.0 s", "constant 3.0 s", "list 0 ms, 2.0 s, 10.0 s, 30.0 s". */
export function describeBackoffShape(b: Backoff): string {
  const cap = b.maxMs !== null ? ` to ${formatMs(b.maxMs)}` : ', no cap';
  switch (b.model) {
    case 'fixed':
      return `constant ${formatMs(b.initialMs)}`;
    case 'linear':
      return `linear +${formatMs(b.factor)} per attempt from ${formatMs(b.initialMs)}${cap}`;
    case 'exponential':
      return `exponential ×${Number(b.factor.toFixed(2))}${b.factorRange ? ` (×${Number(b.factorRange[0].toFixed(2))}–${Number(b.factorRange[1].toFixed(2))} leaving one delay out)` : ''} from ${formatMs(b.initialMs)}${cap}`;
    case 'schedule':
      return `list ${b.delaysMs.filter((d): d is number => d !== null).map((d) => formatMs(d)).join(', ')}`;
  }
}

/**
 * The whole verdict in one line: shape, jitter (and whether it survives at the cap),
 * where the sequence restarts, and the confidence when it is not high. A low-confidence
 * fit is worded as no verdict, with the closest shape for reference.
 */
export function describeBackoff(b: Backoff): string {
  const shape = describeBackoffShape(b);
  if (b.confidence === 'low') return `no verdict: ${b.confidenceReason ?? 'too little evidence'} (closest: ${shape})`;
  // "no jitter" only where the delays show it; a few delays that merely did not show jitter cannot rule it out.
  const jitter = b.jitter ? `${JITTER_WORDS[b.jitterKind]}${b.jitterAtCap === false ? ', none at the cap' : ''}` : b.deterministic ? 'no jitter' : 'jitter not seen';
  const parts = [shape, jitter];
  const reset = RESET_WORDS[b.resetRule];
  if (reset) parts.push(b.resetRule === 'uptime' && b.resetUptimeMs ? `${reset} ${formatMs(b.resetUptimeMs.resetAfter)}` : reset);
  const confidence = b.confidence === 'medium' ? ` (medium confidence: ${b.confidenceReason ?? 'few delays'})` : '';
  return `${parts.join(', ')}${confidence}`;
}

/** One injected stall and the client's reaction: "stall 60.0 s: closed the silent connection after 41.0 s". */
export function describeStall(s: StallCheck): string {
  const head = `stall ${formatMs(s.durationMs)}`;
  if (s.detectedAfterMs !== null) return `${head}: ${s.reaction === 'closed' ? 'closed the silent connection' : 'opened a new connection'} after ${formatMs(s.detectedAfterMs)}`;
  if (s.reaction === 'server-closed') return `${head}: the server closed the connection after ${formatMs(s.serverClosedAfterMs ?? s.durationMs)}, before the client reacted (inconclusive)`;
  return `${head}: not detected (no close, no reconnect before it ended)`;
}

const DIRECTION_WORDS: Record<HeartbeatDirection, string> = {
  client: 'sent by the client',
  server: 'sent by the server',
  both: 'both ways',
};

/**
 * A connection's heartbeat: "every 25.0 s, sent by the server (protocol)", "seen, interval
 * unclear (pattern)", "none seen". The longest idle gap is a separate fact (`maxIdleMs`).
 */
export function describeHeartbeat(hb: Heartbeat): string {
  const source = hb.source ? ` (${hb.source})` : '';
  if (hb.intervalMs !== null) return `every ${formatMs(hb.intervalMs)}${hb.direction ? `, ${DIRECTION_WORDS[hb.direction]}` : ''}${source}`;
  return hb.source ? `seen, interval unclear${source}` : 'none seen';
}

/** A signed percentage: "+100%", "−20%", "0%". */
export function formatPercent(percent: number): string {
  const rounded = Math.round(percent);
  return rounded > 0 ? `+${rounded}%` : rounded < 0 ? `−${-rounded}%` : '0%';
}

/** A signed change in percentage points: "+12 points", "−3.5 points". */
export function formatPoints(points: number): string {
  const abs = Math.abs(points);
  const n = Number.isInteger(abs) ? String(abs) : abs.toFixed(1);
  return `${points > 0 ? '+' : points < 0 ? '−' : ''}${n} point${abs === 1 ? '' : 's'}`;
}

/** A waste ratio as a percentage; "—" when not measured. */
export function wastePercent(ratio: number | null): string {
  return ratio === null ? '—' : `${Math.round(ratio * 100)}%`;
}

/** A heartbeat interval; "none seen" when null. */
export function heartbeatText(ms: number | null): string {
  return ms === null ? 'none seen' : formatMs(ms);
}

/** A rate per second: two decimals below 10, one above. */
export function formatRate(perSecond: number, unit: string): string {
  return `${perSecond < 10 ? perSecond.toFixed(2) : perSecond.toFixed(1)} ${unit}/s`;
}

function backoffText(b: Backoff | null): string {
  return b === null ? 'none fitted' : describeBackoff(b);
}

/** Both backoff verdicts: "exponential ×2 from 500 ms to 10.0 s, … → constant 100 ms, …". */
export function describeBackoffChange(before: Backoff | null, after: Backoff | null): string {
  return `${backoffText(before)} → ${backoffText(after)}`;
}
