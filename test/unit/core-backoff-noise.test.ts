/**
 * The backoff fitter on delays as a busy page records them (test/unit/backoff-sim.ts):
 * late close events, timer lateness, and now and then a stalled event loop. Each
 * policy is drawn 300 times from fixed seeds; the share of wrong models, and of wrong
 * jitter verdicts (a randomised policy reported as having no jitter; a deterministic one as
 * randomised), must stay under a bound a little above the count measured when the fitter was written
 * (2026-11-30; the counts, wrong model / wrong jitter of 300, are in the comments). Series of six random delays are
 * sometimes truly ambiguous, hence bounds above zero where randomisation is involved.
 */
import { describe, expect, it } from 'vitest';
import { fitBackoff, type BackoffFit, type BackoffPoint } from '../../src/core/metrics/backoff.ts';
import { determinismShown } from '../../src/core/metrics/backoff-determinism.ts';

/** Would the report say "no jitter" (`deterministic`: its wording, backoff-without-jitter, `--assert jitter=false`) for these delays? */
function claimsNoJitter(points: BackoffPoint[], fit: BackoffFit): boolean {
  return determinismShown(points, fit);
}
import { simulate } from './backoff-sim.ts';

interface Scenario {
  name: string;
  streaks: number[];
  policy: (attempt: number, random: () => number) => number;
  /** The right model, or the models that are all right (a list that a formula also describes). */
  model: BackoffFit['model'] | Array<BackoffFit['model']>;
  jitter: boolean;
  /** Extra check of the fitted parameters, counted as a wrong model when false. */
  params?: (fit: BackoffFit) => boolean;
  maxWrongModel: number;
  maxWrongJitter: number;
}

const SEEDS = 300;

/** socket.io-client 4.8 build/cjs/contrib/backo2.js with manager.js defaults: 1 s ×2, ±50%, then min(ms, 5 s). */
function socketIoDelay(attempt: number, random: () => number): number {
  const ms = 1000 * 2 ** attempt;
  const deviation = Math.floor(random() * 0.5 * ms);
  return Math.min((Math.floor(random() * 10) & 1) === 0 ? ms - deviation : ms + deviation, 5000);
}

const SCENARIOS: Scenario[] = [
  // Measured: 0 / 0.
  { name: 'a storm: a fixed 100 ms retry, two long outages', streaks: [80, 60], policy: () => 100, model: 'fixed', jitter: false, maxWrongModel: 0, maxWrongJitter: 0 },
  // Measured: 0 / 0.
  { name: 'a fixed 3 s delay', streaks: [5, 5], policy: () => 3000, model: 'fixed', jitter: false, maxWrongModel: 0, maxWrongJitter: 0 },
  // Measured: 15 / 6, wrong factor or cap when two of the three growing delays stalled (reconnecting-websocket 4.4 _getNextDelay: min·grow^(retry−1), capped).
  {
    name: 'reconnecting-websocket: 300 ms ×2 capped at 2.4 s',
    streaks: [7],
    policy: (k) => Math.min(2400, 300 * 2 ** k),
    model: 'exponential',
    jitter: false,
    params: (f) => f.factor > 1.8 && f.factor < 2.2 && Math.abs((f.maxMs ?? 0) - 2400) < 100,
    maxWrongModel: 20,
    maxWrongJitter: 10,
  },
  // Measured: 11 / 14.
  {
    name: "socket.io-client's defaults over one outage of ten attempts",
    streaks: [10],
    policy: socketIoDelay,
    model: 'exponential',
    jitter: true,
    params: (f) => Math.abs((f.maxMs ?? 0) - 5000) < 250,
    maxWrongModel: 16,
    maxWrongJitter: 20,
  },
  // Measured: 1 / 16.
  {
    name: "socket.io-client's defaults over three outages",
    streaks: [6, 6, 6],
    policy: socketIoDelay,
    model: 'exponential',
    jitter: true,
    params: (f) => Math.abs((f.maxMs ?? 0) - 5000) < 250,
    maxWrongModel: 6,
    maxWrongJitter: 22,
  },
  // Measured: 3 / 1.
  {
    name: '0.25 s ×2 capped at 5 s, then ±50%, over two outages',
    streaks: [6, 6],
    policy: (k, r) => Math.min(5000, 250 * 2 ** k) * (0.5 + r()),
    model: 'exponential',
    jitter: true,
    maxWrongModel: 6,
    maxWrongJitter: 5,
  },
  // Measured: 13 / 24. The first attempts' randomisation (±60 ms) hides in timer noise; only the later ones show it.
  {
    name: '125 ms ×2 capped at 2.5 s, then ±50%, one outage',
    streaks: [8],
    policy: (k, r) => Math.min(2500, 125 * 2 ** k) * (0.5 + r()),
    model: 'exponential',
    jitter: true,
    maxWrongModel: 18,
    maxWrongJitter: 30,
  },
  // Measured: 8 / 17. Five randomised delays: a fit passes close to two or three of them; the
  // absolute 150 ms criterion and uneven steps catch most of the rest.
  {
    name: "graphql-ws's default retryWait, one outage (2^k s + 300-3000 ms, 5 attempts)",
    streaks: [5],
    // graphql-ws 6.4 dist/client.js randomisedExponentialBackoff.
    policy: (k, r) => 2 ** k * 1000 + Math.floor(r() * (3000 - 300) + 300),
    model: 'exponential',
    jitter: true,
    maxWrongModel: 12,
    maxWrongJitter: 24,
  },
  // Measured: 7 / 58 (2026-11-30), 4 / 82 (2026-12-06, stalls now excused by 500 ms at most), 4 / 69 (2026-12-07,
  // delays that came under 300 ms no longer count as short draws), 4 / 10 (2026-12-07, no jitter read where one
  // timer curve with a stall explains the measurable delays, backoff.ts oneTimerCurve): a stall on one of the
  // three delays before the cap (500 ms, 1 s, 2 s) makes the steps uneven and the misfit reads as jitter.
  {
    name: "phoenix's default reconnectAfterMs, one outage of twelve attempts",
    streaks: [12],
    // phoenix 1.8.16 priv/static/phoenix.cjs.js Socket: [10, 50, 100, 150, 200, 250, 500, 1000, 2000][tries - 1] || 5000.
    policy: (k) => [10, 50, 100, 150, 200, 250, 500, 1000, 2000][k] ?? 5000,
    // A list (the documented model), read as one when the delays are precise enough to show
    // its two growth laws (backoff.ts twoGrowthLaws), else as the capped exponential it approximates.
    model: ['schedule', 'exponential'],
    params: (f) => Math.abs((f.maxMs ?? 0) - 5000) < 250,
    jitter: false,
    maxWrongModel: 12,
    maxWrongJitter: 14,
  },
  // Measured: 0 / 6.
  {
    name: "SignalR's default list [0, 2, 10, 30 s] over two outages",
    streaks: [4, 4],
    policy: (k) => [0, 2000, 10000, 30000][k]!,
    model: 'schedule',
    jitter: false,
    maxWrongModel: 3,
    maxWrongJitter: 10,
  },
  // Measured: 1 / 17; 1 / 1 (2026-12-07, oneTimerCurve: two stalls among twelve delays no longer read as jitter).
  { name: 'linear: 1 s + 1 s per attempt', streaks: [6, 6], policy: (k) => 1000 + 1000 * k, model: 'linear', jitter: false, maxWrongModel: 4, maxWrongJitter: 5 },
  // Measured: 26 / 2 (2026-11-30), 35 / 1 (2026-12-06; the extra ones are low-confidence fits, reported as no verdict):
  // six random draws of ±30% are often indistinguishable from a trend or from exact delays.
  { name: 'a fixed 3 s ±30%', streaks: [6], policy: (_, r) => 3000 * (0.7 + 0.6 * r()), model: 'fixed', jitter: true, maxWrongModel: 40, maxWrongJitter: 6 },
];

describe('backoff fitter on noisy delays', () => {
  it.each(SCENARIOS.map((s) => [s.name, s] as const))('%s', (_name, s) => {
    let wrongModel = 0;
    let wrongJitter = 0;
    let claimed = 0;
    const examples: string[] = [];
    for (let seed = 1; seed <= SEEDS; seed++) {
      const points = simulate(seed, s.streaks, s.policy);
      const fit = fitBackoff(points);
      expect(fit, `seed ${seed}`).not.toBeNull();
      const modelOk = (Array.isArray(s.model) ? s.model.includes(fit!.model) : fit!.model === s.model) && (s.params?.(fit!) ?? true);
      if (!modelOk) {
        wrongModel++;
        if (examples.length < 3) examples.push(`seed ${seed}: ${JSON.stringify(fit)}`);
      }
      // Randomised: wrong when the report would claim there is none (a fit that just did not
      // see it, without evidence of determinism, says nothing). Deterministic: wrong when
      // the fit calls it randomised.
      if (s.jitter ? claimsNoJitter(points, fit!) : fit!.jitter) wrongJitter++;
      if (!s.jitter && claimsNoJitter(points, fit!)) claimed++;
    }
    if (process.env.RI_PRINT_RATES) console.log(s.name, wrongModel, wrongJitter, 'claimed', claimed);
    expect(wrongModel, examples.join('\n')).toBeLessThanOrEqual(s.maxWrongModel);
    expect(wrongJitter).toBeLessThanOrEqual(s.maxWrongJitter);
  });

  it('a constant retry is called free of jitter only on delays that show it: seldom for ±50% draws, mostly for a timer', () => {
    // socket.io-client's first retry (manager.js reconnectionDelay 1000, randomizationFactor 0.5),
    // met again and again against a server that accepts and closes; and a fixed 1 s timer
    // (mqtt.js reconnectPeriod), each 4-8 times, with a busy machine's timer noise.
    const sio = (_: number, r: () => number) => socketIoDelay(0, r);
    let claimed = 0;
    let shown = 0;
    let runs = 0;
    for (const n of [4, 5, 6, 8]) {
      for (let seed = 1; seed <= SEEDS; seed++) {
        runs++;
        const jittered = simulate(seed, Array(n).fill(1), sio);
        if (claimsNoJitter(jittered, fitBackoff(jittered)!)) claimed++;
        const timer = simulate(seed + SEEDS, Array(n).fill(1), () => 1000);
        if (claimsNoJitter(timer, fitBackoff(timer)!)) shown++;
      }
    }
    if (process.env.RI_PRINT_RATES) console.log('constant: claimed on jitter', claimed, 'shown on a timer', shown, 'of', runs);
    // Measured 2026-12-07: 0 and 946 of 1200 (the gate before `deterministic`, any constant without jitter seen, called 43 of the draws jitter-free).
    expect(claimed).toBeLessThanOrEqual(6);
    expect(shown).toBeGreaterThanOrEqual(0.75 * runs);
  });

  it('"no jitter" is claimed on a timer\'s curve: seldom on small proportional or additive jitter, mostly on exact growth', () => {
    // Randomised delays can take even log steps by chance; a claim needs one curve within a
    // timer's lateness of every delay (backoff-determinism.ts timerRun). Claimed of 300 each,
    // measured 2026-12-07 before that rule / after it (1000 seeds: ±10% 99 / 12, 0-15% 101 / 5).
    const claims = (streaks: number[], policy: (k: number, r: () => number) => number) => {
      let n = 0;
      for (let seed = 1; seed <= SEEDS; seed++) {
        const points = simulate(seed, streaks, policy);
        const fit = fitBackoff(points);
        if (fit && claimsNoJitter(points, fit)) n++;
      }
      return n;
    };
    // graphql-ws 6.4 dist/client.js randomisedExponentialBackoff: 2^k s + 300-3000 ms, four or five retries.
    const graphqlWs = (k: number, r: () => number) => 2 ** k * 1000 + Math.floor(r() * (3000 - 300) + 300);
    const randomised = {
      'graphql-ws, 4 retries': claims([4], graphqlWs),
      'graphql-ws, 5 retries': claims([5], graphqlWs),
      '1 s ×2 ±10%': claims([6], (k, r) => 1000 * 2 ** k * (0.9 + 0.2 * r())),
      // @rails/actioncable 8.1 connection_monitor.js: interval·(1 + reconnectionBackoffRate·random) on a growing interval.
      '3 s ×1.5 then 0-15%': claims([6], (k, r) => 3000 * 1.5 ** k * (1 + 0.15 * r())),
    };
    // reconnecting-websocket 4.4 defaults: minReconnectionDelay 1000 + random·4000 drawn once per page, ×1.3, capped at 10 s.
    let rwsInitial = 0;
    const deterministic = {
      'reconnecting-websocket defaults': claims([8], (k, r) => {
        if (k === 0) rwsInitial = 1000 + r() * 4000;
        return Math.min(10_000, rwsInitial * 1.3 ** k);
      }),
      '1 s ×2 capped at 30 s': claims([6], (k) => Math.min(30_000, 1000 * 2 ** k)),
      '2 s ×1.5': claims([5], (k) => 2000 * 1.5 ** k),
    };
    if (process.env.RI_PRINT_RATES) console.log('claims of no jitter', randomised, deterministic);
    for (const [name, n] of Object.entries(randomised)) expect(n, name).toBeLessThanOrEqual(6);
    expect(deterministic['reconnecting-websocket defaults']).toBeGreaterThanOrEqual(0.55 * SEEDS);
    expect(deterministic['1 s ×2 capped at 30 s']).toBeGreaterThanOrEqual(0.85 * SEEDS);
    expect(deterministic['2 s ×1.5']).toBeGreaterThanOrEqual(0.9 * SEEDS);
  });

  it('never fails on a long storm with stalls (a plateau and no growth once crashed the fitter)', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const fit = fitBackoff(simulate(seed, [400, 300, 200], () => 100, { lateMeanMs: 20, stallChance: 0.2, stallMaxMs: 800 }));
      expect(fit?.model, `seed ${seed}`).toBe('fixed');
    }
  });
});
