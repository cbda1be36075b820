/**
 * One wording of a backoff verdict, for the CLI, the HTML report and the panel alike,
 * so that the three say the same thing about the same fit.
 */
import type { Backoff, BackoffResetRule, JitterKind } from './report-types.ts';
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
      return `exponential ×${Number(b.factor.toFixed(2))} from ${formatMs(b.initialMs)}${cap}`;
    case 'schedule':
      return `list ${b.delaysMs.filter((d): d is number => d !== null).map(formatMs).join(', ')}`;
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
  const parts = [shape, b.jitter ? `${JITTER_WORDS[b.jitterKind]}${b.jitterAtCap === false ? ', none at the cap' : ''}` : 'no jitter'];
  const reset = RESET_WORDS[b.resetRule];
  if (reset) parts.push(b.resetRule === 'uptime' && b.resetUptimeMs ? `${reset} ${formatMs(b.resetUptimeMs.resetAfter)}` : reset);
  const confidence = b.confidence === 'medium' ? ` (medium confidence: ${b.confidenceReason ?? 'few delays'})` : '';
  return `${parts.join(', ')}${confidence}`;
}
