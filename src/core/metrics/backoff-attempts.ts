/**
 * Attempt numbering: where does a client's backoff sequence restart?
 *
 * A retry after a connection that never opened continues the sequence: no client
 * resets without a successful open. After a connection that opened, clients differ,
 * and no single rule holds:
 * - socket.io-client 4.8 build/esm/manager.js resets on every close of an engine that
 *   opened (`onclose` → `backoff.reset()`) and again in `onreconnect`;
 * - reconnecting-websocket 4.4 dist/reconnecting-websocket-mjs.js resets only after the
 *   socket stayed open `minUptime` (5000 ms by default, `_acceptOpen` → `_retryCount = 0`);
 * - hand-written clients often never reset at all.
 * So the numbering is read from the delays themselves: several restart rules are tried
 * (every open, never, after an uptime threshold seen in the capture, wherever the delay
 * falls back to where the sequence started after a connection that stayed up at least as
 * long as the wait before it) and the one whose numbering the backoff
 * fitter explains best is kept. A rule that needs a parameter pays a small premium, so
 * that "every open resets" wins a tie.
 */
import { fitBackoffScored, fitBackoffUnsettled, settleFit, TIMER_NOISE_MS, type BackoffFit, type BackoffPoint } from './backoff.ts';
import type { Backoff, BackoffResetRule } from '../report-types.ts';

/** One reconnect as the numbering sees it. */
export interface DelaySample {
  delayMs: number;
  /** The connection before this attempt opened (WebSocket open, EventSource open, an HTTP response). */
  afterOpen: boolean;
  /** How long that connection stayed open; null when it never opened. */
  uptimeMs: number | null;
  /** Attempts before this one are unknown (recording paused): the sequence restarts here, whatever the rule. */
  restart: boolean;
  /** Left out of the fit (the page closed the previous connection itself), numbered all the same. */
  excluded: boolean;
}

/** A fit with the restart rule the numbering read; `deterministic` comes from the numbered delays (reconnects.ts). */
export type NumberedBackoff = Omit<Backoff, 'deterministic'>;

export interface NumberedDelays {
  attempts: number[];
  backoff: NumberedBackoff | null;
}

type Resets = Pick<Backoff, 'resetRule' | 'resetUptimeMs'>;

function withResets(fit: BackoffFit | null, resets: Resets): NumberedBackoff | null {
  if (fit === null) return null;
  // A constant delay is the same whatever the numbering: nothing to say about restarts.
  return fit.model === 'fixed' ? { ...fit, resetRule: 'unknown', resetUptimeMs: null } : { ...fit, ...resets };
}

type Rule = (s: DelaySample, i: number, state: { streakStart: number; prevDelay: number | null }) => boolean;

/** A delay this close to the sequence's first one (or below it) is the sequence starting over. */
const FALLBACK_RATIO = 1.6;
/** ... and it must fall clearly below the previous delay: a growing sequence with ±50% jitter can dip to 2/3 of its last step. */
const FALLBACK_DROP = 0.6;
/** Premium on rules with a free parameter (uptime threshold, fall-back), in units of the fitter's cost. */
const PARAMETER_COST = 0.01;
/** Uptimes on either side of a restart threshold differ at least this much (ms-long accepted-then-closed connections against healthy ones of seconds). */
const UPTIME_GAP = 4;

function numberWith(samples: readonly DelaySample[], resetAt: Rule): number[] {
  const attempts: number[] = [];
  let attempt = -1;
  let streakStart = Number.NaN;
  let prevDelay: number | null = null;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i]!;
    const reset = attempt < 0 || s.restart || (s.afterOpen && resetAt(s, i, { streakStart, prevDelay }));
    attempt = reset ? 0 : attempt + 1;
    if (reset) streakStart = s.delayMs;
    prevDelay = s.delayMs;
    attempts.push(attempt);
  }
  return attempts;
}

function pointsOf(samples: readonly DelaySample[], attempts: readonly number[]): BackoffPoint[] {
  const points: BackoffPoint[] = [];
  for (let i = 0; i < samples.length; i++) if (!samples[i]!.excluded) points.push({ attempt: attempts[i]!, delayMs: samples[i]!.delayMs });
  return points;
}

/**
 * The shortest uptime tried as a reset threshold: reconnecting-websocket 4.4's minUptime defaults
 * to 5 s (dist/reconnecting-websocket-mjs.js DEFAULT); the other clients read here restart on an
 * open or on their protocol's acknowledgement, never after a few ms.
 */
const MIN_RESET_UPTIME_MS = 1000;

/**
 * An uptime threshold worth trying: the widest gap (as a ratio) between the uptimes of
 * connections that retries followed, when it is wide (UPTIME_GAP). Trying every uptime
 * would let the fitter pick whichever split of random delays happens to look like growth.
 */
function uptimeGap(samples: readonly DelaySample[]): number | null {
  const uptimes = [...new Set(samples.filter((s, i) => i > 0 && s.afterOpen && !s.restart && s.uptimeMs !== null).map((s) => Math.max(1, s.uptimeMs!)))].sort((a, b) => a - b);
  let best: { ratio: number; at: number } | null = null;
  for (let i = 1; i < uptimes.length; i++) {
    // A connection up for less than a second did not stay up in any client's sense (a server
    // that accepts and closes takes 1-120 ms: graphql-ws's first retry waited for ConnectionInit).
    if (uptimes[i]! < MIN_RESET_UPTIME_MS) continue;
    const ratio = uptimes[i]! / uptimes[i - 1]!;
    if (best === null || ratio > best.ratio) best = { ratio, at: uptimes[i]! };
  }
  return best !== null && best.ratio >= UPTIME_GAP ? best.at : null;
}

/**
 * Series short enough for the fit's leave-one-out check, remembered: a live capture reports
 * the same reconnects of a channel again and again until a new one comes, and the check refits
 * a dozen times (several ms per channel).
 */
const MEMO_MAX_SAMPLES = 32;
const MEMO_ENTRIES = 256;
const memo = new Map<string, NumberedDelays>();

function copyOf(n: NumberedDelays): NumberedDelays {
  return { attempts: [...n.attempts], backoff: n.backoff && { ...n.backoff, delaysMs: [...n.backoff.delaysMs], factorRange: n.backoff.factorRange && [...n.backoff.factorRange], resetUptimeMs: n.backoff.resetUptimeMs && { ...n.backoff.resetUptimeMs } } };
}

/** Number the attempts and fit the backoff under the restart rule that explains the delays best. */
export function numberAttempts(samples: readonly DelaySample[]): NumberedDelays {
  if (samples.length > MEMO_MAX_SAMPLES) return numberAttemptsOnce(samples);
  let key = '';
  for (const s of samples) key += `${s.delayMs},${s.afterOpen ? 1 : 0},${s.uptimeMs},${s.restart ? 1 : 0},${s.excluded ? 1 : 0};`;
  const known = memo.get(key);
  if (known) return copyOf(known);
  const result = numberAttemptsOnce(samples);
  if (memo.size >= MEMO_ENTRIES) memo.delete(memo.keys().next().value!);
  memo.set(key, copyOf(result));
  return result;
}

function numberAttemptsOnce(samples: readonly DelaySample[]): NumberedDelays {
  const ambiguous = samples.some((s, i) => i > 0 && s.afterOpen && !s.restart);
  const everyOpen = numberWith(samples, () => true);
  if (!ambiguous) {
    return { attempts: everyOpen, backoff: withResets(fitBackoffScored(pointsOf(samples, everyOpen))?.fit ?? null, { resetRule: 'unknown', resetUptimeMs: null }) };
  }
  const rules: Array<{ rule: BackoffResetRule; attempts: number[]; premium: number }> = [
    { rule: 'every-open', attempts: everyOpen, premium: 0 },
    { rule: 'never', attempts: numberWith(samples, () => false), premium: 0 },
    {
      rule: 'fallback',
      attempts: numberWith(
        samples,
        (s, _i, st) =>
          st.prevDelay !== null &&
          (s.uptimeMs ?? 0) >= st.prevDelay &&
          s.delayMs <= Math.max(FALLBACK_RATIO * st.streakStart, st.streakStart + 2 * TIMER_NOISE_MS) &&
          s.delayMs < FALLBACK_DROP * st.prevDelay,
      ),
      premium: PARAMETER_COST,
    },
  ];
  const threshold = uptimeGap(samples);
  if (threshold !== null) rules.push({ rule: 'uptime', attempts: numberWith(samples, (s) => (s.uptimeMs ?? 0) >= threshold), premium: PARAMETER_COST });
  let best: { rule: (typeof rules)[number]; fit: BackoffFit | null; cost: number } | null = null;
  for (const rule of rules) {
    const scored = fitBackoffUnsettled(pointsOf(samples, rule.attempts));
    const cost = (scored?.cost ?? Number.POSITIVE_INFINITY) + rule.premium;
    if (best === null || cost < best.cost - 1e-9) best = { rule, fit: scored?.fit ?? null, cost };
  }
  const chosen = best!;
  const attempts = chosen.rule.attempts;
  const fit = chosen.fit === null ? null : settleFit(pointsOf(samples, attempts), chosen.fit);
  return { attempts, backoff: withResets(fit, describeResets(samples, attempts)) };
}

/** What the chosen numbering says about when the client restarts its sequence. */
function describeResets(samples: readonly DelaySample[], attempts: readonly number[]): Resets {
  let resetAfter = Number.POSITIVE_INFINITY;
  let continuedAfter = Number.NEGATIVE_INFINITY;
  let resets = 0;
  let continued = 0;
  for (let i = 1; i < samples.length; i++) {
    const s = samples[i]!;
    if (!s.afterOpen || s.restart) continue;
    const uptime = s.uptimeMs ?? 0;
    if (attempts[i] === 0) {
      resets++;
      resetAfter = Math.min(resetAfter, uptime);
    } else {
      continued++;
      continuedAfter = Math.max(continuedAfter, uptime);
    }
  }
  if (resets === 0 && continued === 0) return { resetRule: 'unknown', resetUptimeMs: null };
  if (continued === 0) return { resetRule: 'every-open', resetUptimeMs: null };
  if (resets === 0) return { resetRule: 'never', resetUptimeMs: null };
  if (resetAfter > continuedAfter) return { resetRule: 'uptime', resetUptimeMs: { resetAfter, continuedAfter } };
  return { resetRule: 'fallback', resetUptimeMs: null };
}
