/**
 * The regression budget (src/core/diff/budget.ts) and the diff it judges (compare.ts), on
 * reports of real captures of the demo lab (test/fixtures/diff/): the file's validation
 * names every problem; two runs of a page stay within the default budget; each rule fires
 * on its regression, and only on it, at its threshold; channel overrides and `ignore` apply;
 * a report against itself never breaches; loosening a limit never adds a breach.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Ajv } from 'ajv';
import { analyzeCapture } from '../../src/core/index.ts';
import { importCaptureOrHar } from '../../src/core/formats/index.ts';
import { BudgetError, checkBudget, DEFAULT_BUDGET, diffReports, parseBudget, type Budget } from '../../src/core/diff/index.ts';
import type { ChannelReport, Report } from '../../src/core/report-types.ts';

const FIXTURES = join(import.meta.dirname, '../fixtures/diff');
const ROOT = join(import.meta.dirname, '../..');
const validateSchema = new Ajv({ allErrors: true, strict: true }).compile(JSON.parse(readFileSync(join(ROOT, 'docs/budget.schema.json'), 'utf8')));

/** The budget example in README's "Baselines and diff". */
function readmeBudget(): unknown {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Baselines and diff'));
  return JSON.parse(/```json\n([\s\S]*?)```/.exec(section)![1]!);
}
const cache = new Map<string, Report>();
function lab(name: string): Report {
  if (!cache.has(name)) cache.set(name, analyzeCapture(importCaptureOrHar(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')).events));
  return structuredClone(cache.get(name)!);
}

/** A copy of `report` with its first channel changed by `edit`. */
function withChannel(report: Report, edit: (c: ChannelReport) => void): Report {
  const copy = structuredClone(report);
  edit(copy.channels[0]!);
  return copy;
}

const STRICTEST: Budget = parseBudget({
  maxWasteIncreasePoints: 0,
  maxHeartbeatChangePercent: 0,
  maxRequestRateIncreasePercent: 0,
  maxMessageRateIncreasePercent: 0,
  minSamples: 0,
  failOnBackoffModelChange: true,
  failOnKindChange: true,
  failOnNewFindings: 'info',
  failOnGoneChannels: true,
});

const PAGES = ['polling-naive', 'polling-etag', 'longpoll-held', 'longpoll-504', 'sse-resume', 'sse-buffered', 'socketio-ws', 'socketio-polling', 'socketio-blocked', 'graphql-ws-keepalive', 'graphql-ws-idle', 'ws-heartbeat', 'ws-idle', 'reconnect-backoff', 'reconnect-storm'];

describe('budget file validation', () => {
  it('accepts every key, comments and channel overrides', () => {
    const budget = parseBudget({
      $schema: 'https://example/budget.schema.json',
      description: 'release gate',
      maxWasteIncreasePoints: 5,
      maxHeartbeatChangePercent: 20,
      maxRequestRateIncreasePercent: 50,
      maxMessageRateIncreasePercent: 100,
      minSamples: 12,
      failOnBackoffModelChange: true,
      failOnKindChange: false,
      failOnNewFindings: 'warning',
      failOnGoneChannels: true,
      channels: [{ url: '/socket.io/', maxHeartbeatChangePercent: 10 }, { url: '/metrics', ignore: true }],
    });
    expect(budget.maxRequestRateIncreasePercent).toBe(50);
    expect(budget.channels).toEqual([{ url: '/socket.io/', maxHeartbeatChangePercent: 10 }, { url: '/metrics', ignore: true }]);
  });

  it("README's example passes the JSON Schema and the parser; what one refuses, so does the other", () => {
    const example = readmeBudget();
    expect(validateSchema(example), JSON.stringify(validateSchema.errors)).toBe(true);
    expect(parseBudget(example).channels).toHaveLength(2);
    const wrong: unknown[] = [
      { maxWaste: 5 },
      { maxWasteIncreasePoints: '5' },
      { minSamples: 2.5 },
      { maxHeartbeatChangePercent: -1 },
      { failOnNewFindings: true },
      { failOnGoneChannels: 'yes' },
      { channels: [{ maxHeartbeatChangePercent: 10 }] },
      { channels: [{ url: '/x', unknown: 1 }] },
      { channels: [{ url: '' }] },
      { channels: {} },
    ];
    for (const budget of wrong) {
      expect(validateSchema(budget), JSON.stringify(budget)).toBe(false);
      expect(() => parseBudget(budget), JSON.stringify(budget)).toThrow(BudgetError);
    }
  });

  it('names every problem at once', () => {
    let error: unknown;
    try {
      parseBudget({ maxWaste: 5, maxWasteIncreasePoints: '5', minSamples: 2.5, failOnKindChange: 'yes', failOnNewFindings: 'fatal', channels: [{ maxHeartbeatChangePercent: -1 }, 'x'] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BudgetError);
    expect((error as Error).message.split('\n')).toEqual([
      '"maxWaste" is not a budget key (known: maxWasteIncreasePoints, maxHeartbeatChangePercent, maxRequestRateIncreasePercent, maxMessageRateIncreasePercent, minSamples, failOnBackoffModelChange, failOnKindChange, failOnGoneChannels, failOnNewFindings, channels)',
      '"maxWasteIncreasePoints" must be a number ≥ 0, got "5"',
      '"minSamples" must be a whole number, got 2.5',
      '"failOnKindChange" must be true or false, got "yes"',
      '"failOnNewFindings" must be "error", "warning", "info" or false, got "fatal"',
      'channels[0]: "maxHeartbeatChangePercent" must be a number ≥ 0, got -1',
      'channels[0]: "url" must be a non-empty string (a part of the channel URL)',
      'channels[1]: expected an object with "url"',
    ]);
    expect(() => parseBudget([])).toThrow('expected a JSON object of budget rules');
    expect(() => parseBudget({ channels: {} })).toThrow('"channels" must be an array');
  });
});

describe('budget on real runs of the demo lab', () => {
  it.each(PAGES)('%s: two page loads stay within the default budget', (page) => {
    expect(checkBudget(diffReports(lab(`${page}.run1`), lab(`${page}.run2`)), DEFAULT_BUDGET)).toEqual([]);
  });

  it.each(PAGES)('%s: a report against itself breaches not even the strictest budget', (page) => {
    const report = lab(`${page}.run1`);
    expect(checkBudget(diffReports(report, report), STRICTEST)).toEqual([]);
  });

  it('a reconnect storm replacing a backoff breaks the backoff model and brings a new error finding', () => {
    const breaches = checkBudget(diffReports(lab('reconnect-backoff.run1'), lab('reconnect-storm.run2')), DEFAULT_BUDGET);
    expect(breaches.map((b) => b.rule).sort()).toEqual(['failOnBackoffModelChange', 'failOnNewFindings']);
    expect(breaches.find((b) => b.rule === 'failOnBackoffModelChange')!.message).toMatch(/^backoff model changed: exponential .* → constant /);
    expect(breaches.find((b) => b.rule === 'failOnNewFindings')!.message).toMatch(/^new error finding reconnect-without-backoff: /);
  });
});

describe('each rule at its threshold', () => {
  const polling = lab('polling-naive.run1');
  const only = (budget: Partial<Budget>) => ({ channels: [], minSamples: 10, ...budget }) as Budget;

  it('waste: more than the allowed points', () => {
    const base = polling.channels[0]!.wasteRatio!;
    const within = withChannel(polling, (c) => void (c.wasteRatio = base + 0.05));
    const beyond = withChannel(polling, (c) => void (c.wasteRatio = base + 0.06));
    expect(checkBudget(diffReports(polling, within), only({ maxWasteIncreasePoints: 5 }))).toEqual([]);
    const [breach] = checkBudget(diffReports(polling, beyond), only({ maxWasteIncreasePoints: 5 }));
    expect(breach!.message).toBe(`waste +6 points (${Math.round(base * 100)}% → ${Math.round((base + 0.06) * 100)}%), budget +5 points`);
    // Too few polls in the new run to judge waste.
    expect(checkBudget(diffReports(polling, beyond), only({ maxWasteIncreasePoints: 5, minSamples: 1000 }))).toEqual([]);
  });

  it('request rate: more than the allowed increase, from enough requests', () => {
    const n = polling.channels[0]!.requests;
    const doubled = withChannel(polling, (c) => void (c.requests = n * 2));
    const [breach] = checkBudget(diffReports(polling, doubled), only({ maxRequestRateIncreasePercent: 50 }));
    expect(breach!.rule).toBe('maxRequestRateIncreasePercent');
    expect(breach!.message).toMatch(new RegExp(`^request rate .* \\(\\+100%, ${n} → ${n * 2} requests\\), budget \\+50%$`));
    expect(checkBudget(diffReports(polling, doubled), only({ maxRequestRateIncreasePercent: 100 }))).toEqual([]);
    expect(checkBudget(diffReports(polling, doubled), only({ maxRequestRateIncreasePercent: 50, minSamples: n * 2 + 1 }))).toEqual([]);
    // Fewer requests is no regression.
    expect(checkBudget(diffReports(doubled, polling), only({ maxRequestRateIncreasePercent: 0 }))).toEqual([]);
  });

  it('heartbeat: moved either way by more than the allowed share, or no longer seen', () => {
    const ws = lab('ws-heartbeat.run1');
    const interval = ws.channels[0]!.heartbeat!.intervalMs!;
    const rule = only({ maxHeartbeatChangePercent: 20 });
    expect(checkBudget(diffReports(ws, withChannel(ws, (c) => void (c.heartbeat!.intervalMs = interval * 1.19))), rule)).toEqual([]);
    expect(checkBudget(diffReports(ws, withChannel(ws, (c) => void (c.heartbeat!.intervalMs = interval * 1.25))), rule)[0]!.message).toMatch(/^heartbeat interval .* \(\+25%\), budget ±20%$/);
    expect(checkBudget(diffReports(ws, withChannel(ws, (c) => void (c.heartbeat!.intervalMs = interval * 0.7))), rule)[0]!.message).toMatch(/\(−30%\)/);
    expect(checkBudget(diffReports(ws, withChannel(ws, (c) => void (c.heartbeat = null))), rule)[0]!.message).toMatch(/^heartbeat no longer seen \(was /);
  });

  it('kind change, new findings by severity, gone channels, new channels with errors', () => {
    const longPolled = withChannel(polling, (c) => void (c.kind = 'long-polling'));
    expect(checkBudget(diffReports(polling, longPolled), only({ failOnKindChange: true }))[0]!.message).toBe('kind changed: polling → long-polling');
    const warned = withChannel(polling, (c) => void c.findings.push({ severity: 'warning', code: 'made-up', message: 'a new warning', evidence: {}, advice: '' }));
    expect(checkBudget(diffReports(polling, warned), only({ failOnNewFindings: 'error' }))).toEqual([]);
    expect(checkBudget(diffReports(polling, warned), only({ failOnNewFindings: 'warning' }))[0]!.message).toBe('new warning finding made-up: a new warning');
    const gone = structuredClone(polling);
    gone.channels = [];
    expect(checkBudget(diffReports(polling, gone), only({}))).toEqual([]);
    expect(checkBudget(diffReports(polling, gone), only({ failOnGoneChannels: true }))[0]!.message).toBe('channel of the baseline not seen in this run');
    const storm = lab('reconnect-storm.run2');
    const added = checkBudget(diffReports(polling, { ...polling, channels: [...polling.channels, ...storm.channels] }), only({ failOnNewFindings: 'error' }));
    expect(added.map((b) => b.message)).toEqual([expect.stringMatching(/^new error finding reconnect-without-backoff on a channel the baseline did not have: /)]);
  });

  it('channel overrides: the first entry whose url the channel contains wins; ignore leaves it out', () => {
    const doubled = withChannel(polling, (c) => void (c.requests *= 2));
    const diff = diffReports(polling, doubled);
    expect(checkBudget(diff, { maxRequestRateIncreasePercent: 10, channels: [{ url: '/api/poll/', maxRequestRateIncreasePercent: 150 }] })).toEqual([]);
    expect(checkBudget(diff, { maxRequestRateIncreasePercent: 10, channels: [{ url: '/api/poll/', ignore: true }] })).toEqual([]);
    expect(checkBudget(diff, { maxRequestRateIncreasePercent: 10, channels: [{ url: '/elsewhere/', ignore: true }] })).toHaveLength(1);
  });
});

describe('budget properties', () => {
  const pairs = PAGES.map((p) => diffReports(lab(`${p}.run1`), lab(`${p}.run2`)));
  const storm = diffReports(lab('reconnect-backoff.run1'), lab('reconnect-storm.run2'));
  const limit = fc.option(fc.double({ min: 0, max: 300, noNaN: true }), { nil: undefined });
  const budgetArb = fc.record({
    maxWasteIncreasePoints: limit,
    maxHeartbeatChangePercent: limit,
    maxRequestRateIncreasePercent: limit,
    maxMessageRateIncreasePercent: limit,
    minSamples: fc.integer({ min: 0, max: 30 }),
  });

  it('loosening a limit never adds a breach', () => {
    fc.assert(
      fc.property(budgetArb, fc.double({ min: 0, max: 100, noNaN: true }), fc.integer({ min: 0, max: pairs.length }), (rules, more, which) => {
        const diff = pairs[which] ?? storm;
        const strict: Budget = { ...rules, channels: [] };
        const loose: Budget = { ...strict };
        for (const key of ['maxWasteIncreasePoints', 'maxHeartbeatChangePercent', 'maxRequestRateIncreasePercent', 'maxMessageRateIncreasePercent'] as const) {
          if (loose[key] !== undefined) loose[key] = loose[key]! + more;
        }
        const looseBreaches = checkBudget(diff, loose);
        const strictBreaches = checkBudget(diff, strict);
        expect(looseBreaches.length).toBeLessThanOrEqual(strictBreaches.length);
        for (const b of looseBreaches) expect(strictBreaches.map((s) => s.rule)).toContain(b.rule);
      }),
      { numRuns: 200 },
    );
  });
});
