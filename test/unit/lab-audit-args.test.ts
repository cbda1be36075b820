import { describe, expect, it } from 'vitest';
import { parseAssertion, parseFault, parseTime, rawFromArgv, rawFromConfig, resolveOptions, UsageError } from '../../src/cli/audit-args.ts';
import { checkAssertion, findingsAtOrAbove, judge } from '../../src/cli/audit-assert.ts';
import type { ChannelReport, Report } from '../../src/core/report-types.ts';
import { channelReport } from './core-builders.ts';

function parse(argv: string[]) {
  return resolveOptions(rawFromArgv(argv).raw);
}

describe('audit options', () => {
  it('parses times in ms, s, m and bare seconds', () => {
    expect(parseTime('500ms', 'x')).toBe(500);
    expect(parseTime('1.5s', 'x')).toBe(1500);
    expect(parseTime('2m', 'x')).toBe(120_000);
    expect(parseTime('45', 'x')).toBe(45_000);
    expect(() => parseTime('soon', 'x')).toThrow(UsageError);
  });

  it('turns every fault spec of the README into the bridge command', () => {
    expect(parseFault('drop@10s')).toEqual({ atMs: 10_000, command: { fault: 'drop', conn: null }, spec: 'drop@10s' });
    expect(parseFault('offline@20s:5s').command).toEqual({ fault: 'offline', durationMs: 5000 });
    expect(parseFault('close@10s:4001').command).toEqual({ fault: 'close', code: 4001, reason: '', conn: null });
    expect(parseFault('close@1s:1013:try again: later').command).toEqual({ fault: 'close', code: 1013, reason: 'try again: later', conn: null });
    expect(parseFault('stall@10s:5s').command).toEqual({ fault: 'stall', durationMs: 5000, conn: null });
    expect(parseFault('latency@0s:500ms').command).toEqual({ fault: 'latency', delayMs: 500, durationMs: 0 });
    expect(parseFault('latency@0s:500ms:30s').command).toEqual({ fault: 'latency', delayMs: 500, durationMs: 30_000 });
  });

  it('rejects faults that cannot be delivered as written', () => {
    for (const bad of ['drop', 'drop@10s:5s', 'offline@1s', 'stall@1s:', 'close@1s', 'close@1s:1006', 'close@1s:1005', 'close@1s:999', 'close@1s:5000', 'melt@1s']) {
      expect(() => parseFault(bad), bad).toThrow(UsageError);
    }
  });

  it('parses asserts with units, ratios, percentages and a channel filter', () => {
    expect(parseAssertion('heartbeat<=30s')).toMatchObject({ metric: 'heartbeat', op: '<=', value: 30_000, channel: null });
    expect(parseAssertion('backoff=exponential')).toMatchObject({ metric: 'backoff', op: '=', value: 'exponential' });
    expect(parseAssertion('waste<=0.5')).toMatchObject({ metric: 'waste', value: 0.5 });
    expect(parseAssertion('waste<50%')).toMatchObject({ metric: 'waste', op: '<', value: 0.5 });
    expect(parseAssertion('jitter=true')).toMatchObject({ metric: 'jitter', value: true });
    expect(parseAssertion('heartbeat<=25s@/socket.io/')).toMatchObject({ value: 25_000, channel: '/socket.io/' });
    for (const bad of ['backoff<=exponential', 'backoff=cubic', 'waste<=2', 'speed>1', 'jitter=maybe', 'reconnects<=1.5']) {
      expect(() => parseAssertion(bad), bad).toThrow(UsageError);
    }
  });

  it('reads flags, defaults and errors', () => {
    const o = parse(['localhost:3000/app', '--duration', '30s', '--fault', 'drop@10s', '--fault=offline@5s:2s', '--users', '50', '--fail-on', 'warning', '--header', 'Authorization: Bearer x', '--cookie', 'a=1; b=2']);
    expect(o.url).toBe('http://localhost:3000/app');
    expect(o.durationMs).toBe(30_000);
    expect(o.faults.map((f) => f.spec)).toEqual(['offline@5s:2s', 'drop@10s']);
    expect(o.users).toBe(50);
    expect(o.failOn).toBe('warning');
    expect(o.headers).toEqual({ Authorization: 'Bearer x' });
    expect(o.cookies).toEqual([{ name: 'a', value: '1' }, { name: 'b', value: '2' }]);
    expect(parse(['http://x']).durationMs).toBe(60_000);
    expect(() => parse([])).toThrow(/URL is required/);
    expect(() => parse(['http://x', '--bogus'])).toThrow(/unknown option/);
    expect(() => parse(['http://x', '--duration', '10s', '--fault', 'drop@12s'])).toThrow(/after the recording ends/);
    expect(() => parse(['http://x', '--fail-on', 'info'])).toThrow(UsageError);
    expect(() => parse(['ftp://x'])).toThrow(UsageError);
    expect(() => parse(['http://x', '--header', 'no colon'])).toThrow(UsageError);
  });

  it('merges a config file under the flags', () => {
    const config = rawFromConfig(
      { url: 'http://a/', duration: '20s', faults: ['drop@5s'], headers: { 'X-Team': 'rt' }, asserts: ['waste<=0.5'], failOn: 'error' },
      'c.json',
    );
    const o = resolveOptions(rawFromArgv(['http://b/', '--fault', 'stall@6s:1s', '--assert', 'heartbeat<=30s']).raw, config);
    expect(o.url).toBe('http://b/');
    expect(o.durationMs).toBe(20_000);
    expect(o.faults.map((f) => f.spec)).toEqual(['drop@5s', 'stall@6s:1s']);
    expect(o.asserts.map((a) => a.spec)).toEqual(['waste<=0.5', 'heartbeat<=30s']);
    expect(o.headers).toEqual({ 'X-Team': 'rt' });
    expect(o.failOn).toBe('error');
    expect(() => rawFromConfig({ url: 'x', durattion: '1s' }, 'c.json')).toThrow(/unknown key "durattion"/);
    expect(() => rawFromConfig([], 'c.json')).toThrow(UsageError);
  });
});

const channel = channelReport;

function report(channels: ChannelReport[]): Report {
  return { channels } as unknown as Report;
}

const heartbeat = (intervalMs: number | null) => ({ intervalMs, direction: 'client' as const, jitterMs: 0, maxIdleMs: 40_000, source: 'pattern' as const });

describe('audit gates', () => {
  const ws = channel({ heartbeat: heartbeat(25_000) });
  const silentWs = channel({ url: 'ws://h/other', heartbeat: heartbeat(null) });
  const poll = channel({ kind: 'polling', transport: 'fetch', url: 'http://h/api', wasteRatio: 0.8 });
  const backoff = {
    model: 'exponential' as const,
    initialMs: 1000,
    factor: 2,
    maxMs: null,
    jitter: true,
    deterministic: false,
    jitterKind: 'proportional' as const,
    jitterAtCap: null,
    factorRange: null,
    fit: 0.9,
    confidence: 'high' as const,
    confidenceReason: null,
    resetRule: 'every-open' as const,
    resetUptimeMs: null,
    delaysMs: [],
  };
  const reconnecting = channel({ url: 'ws://h/rc', reconnects: [{ at: 1, delayMs: 1000, cause: 'close 1006', attempt: 0 }], backoff });

  it('checks every channel a rule applies to, and fails when none exists', () => {
    expect(checkAssertion(report([ws]), parseAssertion('heartbeat<=30s')).ok).toBe(true);
    expect(checkAssertion(report([ws]), parseAssertion('heartbeat<=20s')).ok).toBe(false);
    const both = checkAssertion(report([ws, silentWs]), parseAssertion('heartbeat<=30s'));
    expect(both.ok).toBe(false);
    expect(both.details.join('\n')).toMatch(/no heartbeat seen/);
    expect(checkAssertion(report([ws, silentWs]), parseAssertion('heartbeat<=30s@/socket')).ok).toBe(true);
    expect(checkAssertion(report([poll]), parseAssertion('heartbeat<=30s')).details[0]).toMatch(/no long-lived connection/);
    expect(checkAssertion(report([ws]), parseAssertion('idle<=30s')).ok).toBe(false);
    expect(checkAssertion(report([poll]), parseAssertion('waste<=0.5')).ok).toBe(false);
    expect(checkAssertion(report([poll]), parseAssertion('waste<=0.9')).ok).toBe(true);
    expect(checkAssertion(report([ws]), parseAssertion('backoff=exponential')).details[0]).toMatch(/--fault/);
    expect(checkAssertion(report([reconnecting]), parseAssertion('backoff=exponential')).ok).toBe(true);
    expect(checkAssertion(report([reconnecting]), parseAssertion('backoff=fixed')).ok).toBe(false);
    expect(checkAssertion(report([reconnecting]), parseAssertion('jitter=true')).ok).toBe(true);
    expect(checkAssertion(report([reconnecting, ws]), parseAssertion('reconnects<=0')).ok).toBe(false);
    // detect: the slowest reaction to an injected stall; an unnoticed stall fails it.
    const noticed = channel({ url: 'ws://h/n', stalls: [{ at: 1, durationMs: 60_000, detectedAfterMs: 12_000, reaction: 'closed' }] });
    const hung = channel({ url: 'ws://h/h', stalls: [{ at: 1, durationMs: 60_000, detectedAfterMs: null, reaction: null }] });
    expect(checkAssertion(report([noticed]), parseAssertion('detect<=15s')).ok).toBe(true);
    expect(checkAssertion(report([noticed]), parseAssertion('detect<=10s')).ok).toBe(false);
    expect(checkAssertion(report([noticed, hung]), parseAssertion('detect<=15s')).details.join('\n')).toMatch(/went unnoticed/);
    expect(checkAssertion(report([ws]), parseAssertion('detect<=15s')).details[0]).toMatch(/stall@/);
  });

  it('combines --assert and --fail-on into distinct exit codes', () => {
    const warned = channel({
      findings: [{ severity: 'warning', code: 'idle-gap', message: 'idle', evidence: {}, advice: '' }],
      heartbeat: heartbeat(25_000),
    });
    const r = report([warned]);
    expect(findingsAtOrAbove(r, 'warning')).toHaveLength(1);
    expect(findingsAtOrAbove(r, 'error')).toHaveLength(0);
    expect(judge(r, { asserts: [], failOn: null }).code).toBe(0);
    expect(judge(r, { asserts: [], failOn: 'error' }).code).toBe(0);
    expect(judge(r, { asserts: [], failOn: 'warning' }).code).toBe(1);
    expect(judge(r, { asserts: [parseAssertion('heartbeat<=10s')], failOn: null }).code).toBe(2);
    expect(judge(r, { asserts: [parseAssertion('heartbeat<=10s')], failOn: 'warning' }).code).toBe(3);
  });
});
