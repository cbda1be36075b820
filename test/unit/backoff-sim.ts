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
