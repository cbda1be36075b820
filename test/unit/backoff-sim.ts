/**
 * Reconnect delays as a page records them: a policy's delay, plus the lateness of
 * the close event and of the timer (tens of ms), plus now and then a stall of the
 * event loop on a busy machine (up to half a second). Seeded, so every test run
 * draws the same sequences.
 */
import type { BackoffPoint } from '../../src/core/metrics/backoff.ts';
import { rng as mulberry32 } from '../../bench/synth.ts';

export { mulberry32 };

export interface NoiseModel {
  /** Mean of the always-present lateness (exponentially distributed), ms. */
  lateMeanMs: number;
  /** Chance that one delay suffers a stall. */
  stallChance: number;
  /** Longest stall, ms (uniform). */
  stallMaxMs: number;
}

export const BUSY_MACHINE: NoiseModel = { lateMeanMs: 12, stallChance: 0.08, stallMaxMs: 500 };

/** Streaks of attempts: policy(attempt, random) gives the delay the client asked for. */
export function simulate(
  seed: number,
  streaks: number[],
  policy: (attempt: number, random: () => number) => number,
  noise: NoiseModel = BUSY_MACHINE,
): BackoffPoint[] {
  const random = mulberry32(seed);
  const points: BackoffPoint[] = [];
  for (const attempts of streaks) {
    for (let attempt = 0; attempt < attempts; attempt++) {
      let delayMs = policy(attempt, random) - noise.lateMeanMs * Math.log(1 - random());
      if (random() < noise.stallChance) delayMs += random() * noise.stallMaxMs;
      points.push({ attempt, delayMs: Math.round(delayMs * 10) / 10 });
    }
  }
  return points;
}

/** How a simulated client randomises each delay. */
export type SimJitter = 'none' | 'proportional' | 'full' | 'floored-full' | 'equal' | 'decorrelated' | 'additive';
/** When a simulated client restarts its attempt count after a connection opened. */
export type SimReset = { kind: 'every-open' } | { kind: 'uptime'; ms: number } | { kind: 'never' };
/** How the server fails: refusing (no open), accepting then closing at once (open for milliseconds), or the page offline (no open). */
export type SimFailure = 'down' | 'accept-close' | 'offline';

export interface SimClient {
  model: 'fixed' | 'linear' | 'exponential';
  initialMs: number;
  /** Factor (exponential) or step in ms (linear). */
  factor: number;
  capMs: number | null;
  jitter: SimJitter;
  /** Share for proportional jitter (0.5 = ±50%). */
  jitterShare: number;
  /** Clamp to the cap after randomising (socket.io-client), so the cap itself carries no jitter. */
  clampAfterJitter: boolean;
  reset: SimReset;
}

export interface SimSample {
  delayMs: number;
  afterOpen: boolean;
  uptimeMs: number | null;
  restart: boolean;
  excluded: boolean;
  /** The client's own attempt number (the truth the numbering must find). */
  attempt: number;
}

/** The delay the client asks for at an attempt (before timer noise). */
export function policyDelay(c: SimClient, attempt: number, previous: number | null, random: () => number): number {
  const raw = c.model === 'fixed' ? c.initialMs : c.model === 'linear' ? c.initialMs + c.factor * attempt : c.initialMs * c.factor ** attempt;
  const cap = c.capMs ?? Number.POSITIVE_INFINITY;
  const base = c.clampAfterJitter ? raw : Math.min(raw, cap);
  let d: number;
  switch (c.jitter) {
    case 'none':
      d = base;
      break;
    case 'proportional':
      d = base * (1 - c.jitterShare + 2 * c.jitterShare * random());
      break;
    case 'full':
      d = base * random();
      break;
    case 'floored-full':
      // Full jitter above a floor of the initial delay, clamped (centrifuge 5.8.0
      // build/index.js backoff(): min(max, min + randomInt(0, min(max, min·2^step)))).
      d = Math.min(cap, c.initialMs + base * random());
      break;
    case 'equal':
      d = base / 2 + (base / 2) * random();
      break;
    case 'additive':
      // graphql-ws 6.4 dist/client.js retryWait: + 300..3000 ms.
      d = base + 300 + 2700 * random();
      break;
    case 'decorrelated': {
      // AWS Architecture Blog, "Exponential Backoff And Jitter": sleep = min(cap, random_between(base, sleep * 3)).
      const prev = previous ?? c.initialMs;
      d = c.initialMs + (prev * 3 - c.initialMs) * random();
      break;
    }
  }
  // Decorrelated jitter clamps by its definition; otherwise only a client that clamps after
  // randomising keeps every delay under the cap (the others randomise the capped delay).
  return c.clampAfterJitter || c.jitter === 'decorrelated' ? Math.min(d, cap) : d;
}

/**
 * A client living through `outages` outages of `outageMs` each, with a healthy connection of
 * `healthyMs` between them: each attempt's delay as a page records it (policy + timer noise),
 * whether the connection before it opened and for how long. 'accept-close': during the outage
 * every attempt opens and is closed after `acceptedForMs`.
 */
export function simulateClient(
  seed: number,
  c: SimClient,
  failure: SimFailure,
  opts: { outages: number; outageMs: number; healthyMs: number; acceptedForMs?: number; noise?: NoiseModel },
): SimSample[] {
  const random = mulberry32(seed);
  const noise = opts.noise ?? BUSY_MACHINE;
  const accepted = opts.acceptedForMs ?? 15;
  const out: SimSample[] = [];
  let attempt = 0;
  let previous: number | null = null;
  // The first outage follows a healthy connection.
  let afterOpen = true;
  let uptime: number | null = opts.healthyMs;
  for (let o = 0; o < opts.outages; o++) {
    if (c.reset.kind === 'every-open' || (c.reset.kind === 'uptime' && (uptime ?? 0) >= c.reset.ms) || o === 0) {
      attempt = 0;
      previous = null;
    }
    let elapsed = 0;
    for (;;) {
      let delay: number = policyDelay(c, attempt, previous, random) - noise.lateMeanMs * Math.log(1 - random());
      if (random() < noise.stallChance) delay += random() * noise.stallMaxMs;
      delay = Math.round(delay * 10) / 10;
      out.push({ delayMs: delay, afterOpen, uptimeMs: afterOpen ? uptime : null, restart: false, excluded: false, attempt });
      previous = delay;
      elapsed += delay;
      if (elapsed >= opts.outageMs) break;
      // This attempt failed.
      if (failure === 'accept-close') {
        afterOpen = true;
        uptime = accepted;
        elapsed += accepted;
        if (c.reset.kind === 'every-open' || (c.reset.kind === 'uptime' && accepted >= c.reset.ms)) {
          attempt = 0;
          previous = null;
          continue;
        }
      } else {
        afterOpen = false;
        uptime = null;
      }
      attempt++;
    }
    afterOpen = true;
    uptime = opts.healthyMs;
    attempt++;
  }
  return out;
}
