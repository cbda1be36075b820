/** `audit --runs N --judge median|worst`: gates judged over runs, the run that stands for the page, and how the runs differed. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { judge } from '../../src/cli/audit-assert.ts';
import { channelKey, channelSpread, describeGate, describeSpread, gatePasses, judgeRuns } from '../../src/cli/audit-runs.ts';
import { gateLines } from '../../src/cli/audit-text.ts';
import { junitXml } from '../../src/cli/audit-junit.ts';
import { channel, failedRun, finding, gates, heartbeatChannel, ok, pageResult, report, suiteResult } from './cli-suite-fixtures.ts';

const HEARTBEAT = gates(['heartbeat<=30s']);

describe('judging several runs', () => {
  it('passes a rule under the median when the median run passes, and under worst only when every run does', () => {
    const runs = [20_000, 40_000, 25_000].map((ms) => ok(report([heartbeatChannel(ms)])));
    const byMedian = judgeRuns(runs, HEARTBEAT, 'median');
    const byWorst = judgeRuns(runs, HEARTBEAT, 'worst');
    expect(byMedian.gates[0]).toMatchObject({ ok: true, passes: 2 });
    expect(byMedian.gates[0]!.perRun.map((r) => r.value)).toEqual(['20s', '40s', '25s']);
    expect(byMedian.code).toBe(0);
    expect(byWorst.gates[0]!.ok).toBe(false);
    expect(byWorst.code).toBe(2);
    // The worst judge's report is the failing run's; the median's a passing one.
    expect(byWorst.representative).toBe(1);
    expect(byMedian.gates[0]!.perRun[byMedian.representative!]!.ok).toBe(true);
  });

  it('asks both runs to pass when there are two (the worse middle run is the median)', () => {
    const runs = [20_000, 40_000].map((ms) => ok(report([heartbeatChannel(ms)])));
    expect(judgeRuns(runs, HEARTBEAT, 'median').gates[0]!.ok).toBe(false);
  });

  it('judges --fail-on over runs and sets its exit bit apart from the asserts', () => {
    const clean = report([heartbeatChannel(10_000)]);
    const bad = report([heartbeatChannel(10_000, { findings: [finding('idle-gap-over-nat-timeout', 'error')] })]);
    const once = judgeRuns([ok(clean), ok(bad), ok(clean)], gates(['heartbeat<=30s'], 'error'), 'median');
    expect(once.code).toBe(0);
    expect(once.gates[1]).toMatchObject({ kind: 'fail-on', ok: true, passes: 2 });
    expect(once.gates[1]!.perRun.map((r) => r.value)).toEqual(['0 findings', '1 finding', '0 findings']);
    const twice = judgeRuns([ok(bad), ok(bad), ok(clean)], gates(['heartbeat<=5s'], 'error'), 'median');
    expect(twice.code).toBe(3);
  });

  it('judges the --baseline budget as a gate of its own: its exit bit, its words, and JUnit carries it', () => {
    const clean = report([heartbeatChannel(10_000)]);
    // A budget that breaches on a channel whose heartbeat is slower than 20 s (as diff.ts words breaches).
    const budget = {
      source: 'budget.json against base.json',
      breaches: (r: ReturnType<typeof report>) =>
        r.channels.filter((c) => (c.heartbeat?.intervalMs ?? 0) > 20_000).map((c) => `heartbeat ${c.kind} ${c.url}: heartbeat 10 s → 25 s (+150%), budget ±20%`),
    };
    const slow = report([heartbeatChannel(25_000)]);
    const passing = judgeRuns([ok(clean)], gates(['heartbeat<=30s']), 'median', budget);
    expect(passing.code).toBe(0);
    expect(passing.gates.map((g) => g.kind)).toEqual(['assert', 'budget']);
    const failing = judgeRuns([ok(slow)], gates(['heartbeat<=30s']), 'median', budget);
    expect(failing.code).toBe(4);
    expect(describeGate(failing.gates[1]!, 'median')).toEqual({
      headline: 'budget (budget.json against base.json): 1 breach',
      details: ['heartbeat websocket ws://lab/ws/heartbeat: heartbeat 10 s → 25 s (+150%), budget ±20%'],
    });
    // With an assert failing too, the bits add up (2 + 4), as audit's exit codes say.
    expect(judgeRuns([ok(slow)], gates(['heartbeat<=20s']), 'median', budget).code).toBe(6);
    const lines = gateLines(suiteResult([{ ...pageResult('ws', 'http://lab/', [ok(slow)], gates([])), verdict: failing }]));
    expect(lines).toContain('FAIL budget (budget.json against base.json): 1 breach');
    expect(junitXml(suiteResult([{ ...pageResult('ws', 'http://lab/', [ok(slow)], gates([])), verdict: failing }]))).toContain('name="budget (budget.json against base.json)"');
  });

  it('counts a run that could not be made as failing every rule, and a page with no run made as its error', () => {
    const some = judgeRuns([ok(report([heartbeatChannel(10_000)])), failedRun('cannot load http://lab/: net::ERR_CONNECTION_REFUSED', 68), ok(report([heartbeatChannel(12_000)]))], HEARTBEAT, 'median');
    expect(some.gates[0]).toMatchObject({ ok: true, passes: 2 });
    expect(some.gates[0]!.perRun[1]!.details).toEqual(['no report: cannot load http://lab/: net::ERR_CONNECTION_REFUSED']);
    expect(some.error).toBeNull();
    expect(some.runs[1]!.error?.exitCode).toBe(68);
    const none = judgeRuns([failedRun('the page crashed while recording http://lab/', 70)], HEARTBEAT, 'median');
    expect(none.error).toEqual({ message: 'the page crashed while recording http://lab/', exitCode: 70 });
    expect(none.code).toBe(70);
    expect(none.representative).toBeNull();
  });

  it('median: a rule passes exactly when the worse middle run of the sorted runs passes; worst implies median (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 9 }), fc.integer({ min: 1, max: 60 }), (seconds, limit) => {
        const outcomes = seconds.map((s) => s <= limit);
        const sorted = [...seconds].sort((a, b) => a - b);
        const worseMiddle = sorted[sorted.length >> 1]!;
        expect(gatePasses(outcomes, 'median')).toBe(worseMiddle <= limit);
        if (gatePasses(outcomes, 'worst')) expect(gatePasses(outcomes, 'median')).toBe(true);
        const verdict = judgeRuns(seconds.map((s) => ok(report([heartbeatChannel(s * 1000)]))), gates([`heartbeat<=${limit}s`]), 'median');
        expect(verdict.gates[0]!.ok).toBe(worseMiddle <= limit);
      }),
    );
  });
});

describe('how the runs differed', () => {
  it('matches channels across runs despite per-load tokens in the query, and reports per metric the values of each run', () => {
    const poll = (client: string, waste: number, findings = [] as ReturnType<typeof finding>[]) =>
      channel({ kind: 'polling', transport: 'fetch', url: `http://lab/api/poll?change=:n&client=${client}`, wasteRatio: waste, requests: 10, findings });
    const spread = channelSpread([
      report([poll('9gqmmaukm3', 0.8, [finding('polling-waste-high', 'warning')]), heartbeatChannel(10_000)]),
      report([poll('j3fbu2pxd1', 0.6)]),
      null,
    ]);
    expect(spread.map((c) => c.key)).toEqual(['http://lab/api/poll?change&client', 'ws://lab/ws/heartbeat']);
    const [p, ws] = spread;
    expect(p!.seenIn).toBe(2);
    expect(p!.metrics.find((m) => m.metric === 'wasteRatio')).toEqual({ metric: 'wasteRatio', values: [0.8, 0.6, null], differs: true, min: 0.6, median: 0.7, max: 0.8 });
    expect(p!.metrics.find((m) => m.metric === 'requests')!.differs).toBe(false);
    expect(p!.findings).toEqual({ 'polling-waste-high': 1 });
    expect(ws!.seenIn).toBe(1);
    expect(ws!.metrics.find((m) => m.metric === 'heartbeatMs')!.differs).toBe(true);
  });

  it('words only the disagreements: metrics that differ where the channel was seen, a channel missing from runs, findings of some runs', () => {
    const poll = (waste: number, requests: number, findings = [] as ReturnType<typeof finding>[]) =>
      channel({ kind: 'polling', transport: 'fetch', url: 'http://lab/api/poll', wasteRatio: waste, requests, findings });
    const spread = channelSpread([
      report([poll(0.8, 10, [finding('polling-waste-high', 'warning')]), heartbeatChannel(1420)]),
      report([poll(0.6, 10), heartbeatChannel(1380)]),
      report([poll(0.7, 10)]),
    ]);
    expect(describeSpread(spread, 3)).toEqual([
      'http://lab/api/poll: wasteRatio 80% / 60% / 70% (median 70%); findings in some runs only: polling-waste-high (1/3)',
      'ws://lab/ws/heartbeat: seen in 2 of 3 runs',
    ]);
    expect(describeSpread(channelSpread([report([poll(0.5, 10)]), report([poll(0.5, 10)])]), 2)).toEqual([]);
  });

  it('keeps two channels on one endpoint apart, and a worker\'s apart from the page\'s', () => {
    const worker = { kind: 'dedicated' as const, url: 'http://lab/worker.js' };
    expect(channelKey({ url: 'ws://lab/socket?token=:id&v=2' })).toBe('ws://lab/socket?token&v');
    expect(channelKey({ url: 'ws://lab/socket', origin: worker })).toBe('ws://lab/socket (dedicated http://lab/worker.js)');
    const spread = channelSpread([report([heartbeatChannel(1000), heartbeatChannel(2000)])]);
    expect(spread.map((c) => c.key)).toEqual(['ws://lab/ws/heartbeat', 'ws://lab/ws/heartbeat #2']);
  });
});

describe('the words of a gate', () => {
  it('prints one run exactly as the single-page audit always has', () => {
    const r = report([heartbeatChannel(40_000, { findings: [finding('heartbeat-slow', 'warning', 'slow heartbeat')] })]);
    const options = gates(['heartbeat<=30s', 'reconnects<=0'], 'warning');
    const page = pageResult('ws', 'http://lab/ws', [ok(r)], options);
    expect(gateLines(suiteResult([page]))).toEqual(judge(r, options).lines);
  });

  it('lists each run\'s value and the failing runs\' details when there are several', () => {
    const runs = [20_000, 40_000, 25_000].map((ms) => ok(report([heartbeatChannel(ms)])));
    const verdict = judgeRuns(runs, HEARTBEAT, 'median');
    expect(describeGate(verdict.gates[0]!, 'median')).toEqual({
      headline: '--assert heartbeat<=30s: passed in 2 of 3 runs (median: more than half needed) · per run: 20s ok · 40s FAIL · 25s ok',
      details: ['run 2: FAIL websocket ws://lab/ws/heartbeat: 40s'],
    });
  });
});
