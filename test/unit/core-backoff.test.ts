import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Centrifuge } from 'centrifuge';
import { Manager } from 'socket.io-client';
import ReconnectingWebSocket from 'reconnecting-websocket';
import { WebSocket as NodeWebSocket } from 'ws';
import { fitBackoff, predictBackoff, referenceBackoffMs, type BackoffFit, type BackoffPoint } from '../../src/core/metrics/backoff.ts';
import { mulberry32 } from './backoff-sim.ts';

/** Deterministic Math.random (mulberry32) so the real libraries' randomisation is reproducible. */
function seedRandom(seed: number): void {
  Math.random = mulberry32(seed);
}
const realRandom = Math.random;
afterEach(() => {
  Math.random = realRandom;
});

const points = (delays: number[]): BackoffPoint[] => delays.map((delayMs, attempt) => ({ attempt, delayMs }));

/**
 * socket.io-client 4.8.4 build/cjs/manager.js: reconnectionDelay 1000,
 * reconnectionDelayMax 5000, randomizationFactor 0.5, fed to
 * build/cjs/contrib/backo2.js (factor 2). We draw delays from a real Manager.
 */
function socketIoStreak(attempts: number, randomizationFactor?: number): number[] {
  const manager = new Manager('http://127.0.0.1:9', { autoConnect: false, ...(randomizationFactor === undefined ? {} : { randomizationFactor }) });
  const backoff = (manager as unknown as { backoff: { duration(): number } }).backoff;
  return Array.from({ length: attempts }, () => backoff.duration());
}

/**
 * reconnecting-websocket 4.4.0 dist/reconnecting-websocket-cjs.js: DEFAULT
 * minReconnectionDelay 1000 + Math.random() * 4000 (once per page load),
 * reconnectionDelayGrowFactor 1.3, maxReconnectionDelay 10000; _getNextDelay()
 * = min * 1.3^(retryCount - 1), capped. We call the real method.
 */
function reconnectingWebSocketStreak(attempts: number): number[] {
  const rws = new ReconnectingWebSocket('ws://127.0.0.1:9', [], { WebSocket: NodeWebSocket, startClosed: true });
  const internals = rws as unknown as { _retryCount: number; _getNextDelay(): number };
  return Array.from({ length: attempts }, (_, k) => {
    internals._retryCount = k + 1;
    return internals._getNextDelay();
  });
}

/** @microsoft/signalr src/DefaultReconnectPolicy.ts (not installed; looked up in its published source): DEFAULT_RETRY_DELAYS_IN_MILLISECONDS = [0, 2000, 10000, 30000, null]. */
const SIGNALR_DEFAULT = [0, 2000, 10000, 30000];

describe('backoff fitter', () => {
  it("fits the reference 1, 2, 4, 8 s as exponential ×2 from 1 s, without jitter", () => {
    const fit = fitBackoff(points([1000, 2000, 4000, 8000]))!;
    expect(fit.model).toBe('exponential');
    expect(fit.initialMs).toBeCloseTo(1000, -1);
    expect(fit.factor).toBeCloseTo(2, 2);
    expect(fit.maxMs).toBeNull();
    expect(fit.jitter).toBe(false);
  });

  it('tolerates millisecond timer noise without calling it jitter', () => {
    const fit = fitBackoff(points([1004, 2001, 4009, 8003, 16002]))!;
    expect(fit.model).toBe('exponential');
    expect(fit.factor).toBeCloseTo(2, 1);
    expect(fit.jitter).toBe(false);
  });

  it("fits socket.io-client's default policy without randomisation: exponential ×2 from 1 s, capped at 5 s", () => {
    const delays = socketIoStreak(8, 0);
    expect(delays).toEqual([1000, 2000, 4000, 5000, 5000, 5000, 5000, 5000]);
    const fit = fitBackoff(points(delays))!;
    expect(fit).toMatchObject({ model: 'exponential', initialMs: 1000, factor: 2, maxMs: 5000, jitter: false });
  });

  it("detects socket.io-client's default ±50% randomisation across reconnect streaks", () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      seedRandom(seed);
      const pts: BackoffPoint[] = [];
      for (let streak = 0; streak < 4; streak++) socketIoStreak(6).forEach((delayMs, attempt) => pts.push({ attempt, delayMs }));
      const fit = fitBackoff(pts)!;
      expect(fit.jitter, `seed ${seed}`).toBe(true);
      expect(fit.model, `seed ${seed}`).not.toBe('fixed');
      expect(fit.maxMs, `seed ${seed}`).toBe(5000);
    }
  });

  it("fits reconnecting-websocket's default policy (random initial once per load, ×1.3, cap 10 s) without jitter", () => {
    for (const seed of [7, 8, 9]) {
      seedRandom(seed);
      const delays = reconnectingWebSocketStreak(12);
      const fit = fitBackoff(points(delays))!;
      expect(fit.model).toBe('exponential');
      expect(fit.factor).toBeCloseTo(1.3, 2);
      expect(fit.initialMs).toBeGreaterThanOrEqual(1000);
      expect(fit.initialMs).toBeLessThan(5000);
      expect(fit.initialMs).toBeCloseTo(delays[0]!, 0);
      expect(fit.maxMs).toBe(10000);
      expect(fit.jitter).toBe(false);
    }
  });

  it("recognises SignalR's default [0, 2000, 10000, 30000] as a fixed list, not a formula", () => {
    const fit = fitBackoff(points(SIGNALR_DEFAULT))!;
    expect(fit.model).toBe('schedule');
    expect(fit.delaysMs).toEqual(SIGNALR_DEFAULT);
    expect(fit.maxMs).toBe(30000);
    expect(fit.jitter).toBe(false);
    expect(predictBackoff(fit, 2)).toBe(10000);
  });

  it('recognises the same list repeated over several streaks', () => {
    const pts: BackoffPoint[] = [];
    for (let s = 0; s < 3; s++) SIGNALR_DEFAULT.forEach((d, attempt) => pts.push({ attempt, delayMs: d + s * 3 }));
    expect(fitBackoff(pts)!.model).toBe('schedule');
  });

  it('calls a constant delay fixed, and tells jittered constant delays from exact ones', () => {
    expect(fitBackoff(points([3000, 3002, 2999, 3001, 3000]))).toMatchObject({ model: 'fixed', jitter: false });
    const jittered = fitBackoff(points([2500, 3300, 2800, 3600, 2200, 3100]))!;
    expect(jittered).toMatchObject({ model: 'fixed', jitter: true });
    expect(jittered.initialMs).toBeGreaterThan(2500);
    expect(jittered.initialMs).toBeLessThan(3300);
  });

  it('fits a linear policy', () => {
    const fit = fitBackoff(points([1000, 2000, 3000, 4000, 5000, 6000]))!;
    expect(fit.model).toBe('linear');
    expect(fit.factor).toBeCloseTo(1000, -1);
    expect(fit.initialMs).toBeCloseTo(1000, -1);
  });

  it('needs three delays', () => {
    expect(fitBackoff(points([1000, 2000]))).toBeNull();
  });

  it("the reference policy is 1, 2, 4, 8 s, capped at 30 s", () => {
    expect([0, 1, 2, 3, 4, 5, 6].map(referenceBackoffMs)).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });
});

describe('schedule predictions', () => {
  it('index the observed list by attempt, an attempt without a sample taking the nearest earlier one', () => {
    const pts: BackoffPoint[] = [];
    for (const s of [0, 1]) for (const [attempt, d] of [[0, 5], [2, 10005], [3, 30005]] as const) pts.push({ attempt, delayMs: d + s });
    const fit = fitBackoff(pts)!;
    expect(fit.model).toBe('schedule');
    expect(fit.delaysMs[1]).toBeNull();
    expect([0, 1, 2, 3, 4].map((k) => predictBackoff(fit, k))).toEqual([5.5, 5.5, 10005.5, 30005.5, 30005.5]);
  });
});

/**
 * centrifuge 5.8.0 build/index.js: _getReconnectDelay() = backoff(attempts, 500, 20000) =
 * min(20000, 500 + randomInt(0, min(20000, 500·2^attempts))). The real method, seeded.
 */
function centrifugeStreak(attempts: number): number[] {
  const client = new Centrifuge('ws://127.0.0.1:9/connection/websocket', {}) as unknown as { _getReconnectDelay(): number };
  return Array.from({ length: attempts }, () => client._getReconnectDelay());
}

/**
 * A library's own draws (`streak`, seeded per outage from `seedBase`) over `outages` outages of 5 to
 * 12 retries, each delay late by 2-22 ms (seeded from `lateBase`), and the fit of each.
 */
function seededFits(streak: (attempts: number) => number[], outages: number, seedBase: number, lateBase: number): Array<{ delays: number[]; fit: BackoffFit | null }> {
  const out: Array<{ delays: number[]; fit: BackoffFit | null }> = [];
  for (let seed = 1; seed <= outages; seed++) {
    seedRandom(seed + seedBase);
    const delays = streak(5 + (seed % 8));
    const late = mulberry32(seed + lateBase);
    out.push({ delays, fit: fitBackoff(points(delays.map((d) => d + 2 + 20 * late()))) });
  }
  return out;
}

/** The factor, or the range the report gives for it, overlaps [lo, hi]. */
const factorOverlaps = (fit: BackoffFit, lo: number, hi: number): boolean => {
  const [flo, fhi] = fit.factorRange ?? [fit.factor, fit.factor];
  return fhi >= lo && flo <= hi;
};

describe('a verdict does not rest on one delay (leave-one-out)', () => {
  it("centrifuge's own draws, 5-12 attempts: a confident verdict is exponential with a factor (or range) near the policy's", () => {
    // Its mean grows ×1.33 at first, ×2 later; a verdict at medium or high must overlap 1.2-3.
    // Measured 2026-12-07 over these 400 seeds: 1 of 186 confident verdicts misses (×1.19 on 604, 654,
    // 1041, 984, 1062 ms); before the leave-one-out check, 9 of 282.
    const missed: string[] = [];
    let confident = 0;
    for (const { delays, fit } of seededFits(centrifugeStreak, 400, 0, 1e6)) {
      if (fit === null || fit.confidence === 'low') continue;
      confident++;
      if (fit.model !== 'exponential' || !factorOverlaps(fit, 1.2, 3)) missed.push(`${delays.join(', ')}: ${fit.model} ×${fit.factor}`);
    }
    expect(confident).toBeGreaterThan(100);
    expect(missed.length, missed.join('\n')).toBeLessThanOrEqual(2);
  });

  it("centrifuge's own draws: a high-confidence cap is its 20 s clamp, not uniform draws that level off", () => {
    // Uniform draws at the top of the curve fall within a plateau's 5 % by chance (6539 and 6395 ms
    // after 7276 in real Chromium). Measured 2026-12-07 over these 4,000 seeds: 2 of 361 firm verdicts
    // name a cap more than 10 % off 20 s (draws that repeat within 75 ms by chance); 6 of 366 before
    // the clamp test (backoff.ts confidenceOf).
    const wrong: string[] = [];
    let firm = 0;
    for (const { delays, fit } of seededFits(centrifugeStreak, 4000, 5000, 2e6)) {
      if (fit?.confidence !== 'high') continue;
      firm++;
      if (fit.maxMs !== null && Math.abs(fit.maxMs - 20_000) > 2000) wrong.push(`${delays.join(', ')}: cap ${fit.maxMs}`);
    }
    expect(firm).toBeGreaterThan(300);
    expect(wrong.length, wrong.join('\n')).toBeLessThanOrEqual(3);
  });

  it("socket.io-client's own draws, 5-12 attempts: a confident verdict is its ×2 growth, a firm cap its 5 s clamp", () => {
    // The real Manager's backoff (1 s ×2 ± 50 %, clamped at 5 s), seeded. Measured 2026-12-07 over these
    // 2,000 streaks: 1309 verdicts at medium or high confidence, 310 high; 7 read a factor of ×3.0-3.5
    // (6 medium, 1 high), all from three growing delays under the cap whose first draw fell low and
    // third high (563, 1917, 4738 ms, then 5000 ms seven times: ×3.29). Every firm cap is the clamp.
    const wrong: string[] = [];
    let confident = 0;
    let firm = 0;
    for (const { delays, fit } of seededFits(socketIoStreak, 2000, 9000, 3e6)) {
      if (fit === null || fit.confidence === 'low') continue;
      confident++;
      if (fit.model !== 'exponential' || !factorOverlaps(fit, 2 / 1.5, 2 * 1.5)) {
        wrong.push(`${delays.join(', ')}: ${fit.model} ×${fit.factor} (${fit.confidence})`);
        continue;
      }
      if (fit.confidence !== 'high') continue;
      firm++;
      if (fit.maxMs !== null && Math.abs(fit.maxMs - 5000) > 500) wrong.push(`${delays.join(', ')}: cap ${fit.maxMs}`);
    }
    expect(confident).toBeGreaterThan(1200);
    expect(firm).toBeGreaterThan(250);
    expect(wrong.length, wrong.join('\n')).toBeLessThanOrEqual(8);
  });

  it('a deterministic policy keeps its verdict and gives no factor range', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 3000 }),
        fc.double({ min: 1.3, max: 3, noNaN: true }),
        fc.integer({ min: 5, max: 12 }),
        fc.array(fc.double({ min: 0, max: 30, noNaN: true }), { minLength: 12, maxLength: 12 }),
        (initial, factor, n, late) => {
          const fit = fitBackoff(points(Array.from({ length: n }, (_, k) => initial * factor ** k + late[k]!)))!;
          // (Delays near the 200 ms noise floor may read as a list: a matter of the fit, not of this check.)
          expect(fit.factorRange).toBeNull();
          expect(fit.confidenceReason ?? '').not.toMatch(/one delay decides/);
        },
      ),
      { numRuns: 150, seed: 7 },
    );
  });
});

describe('slow growth', () => {
  it('is not read as a cap when the last attempts differ by less than the plateau tolerance', () => {
    const linear = fitBackoff(points(Array.from({ length: 30 }, (_, k) => 1000 + 1000 * k)))!;
    expect(linear).toMatchObject({ model: 'linear', maxMs: null });
    const gentle = fitBackoff(points(Array.from({ length: 20 }, (_, k) => 1000 * 1.05 ** k)))!;
    expect(gentle).toMatchObject({ model: 'exponential', maxMs: null });
    expect(gentle.factor).toBeCloseTo(1.05, 2);
  });
});
