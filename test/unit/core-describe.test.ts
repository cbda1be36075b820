/**
 * The one wording of results (src/core/describe.ts, src/core/stats.ts) that the CLI, the
 * HTML report and the panel all show.
 */
import { describe, expect, it } from 'vitest';
import { describeHeartbeat, formatBytes, formatMs } from '../../src/core/index.ts';

describe('describeHeartbeat', () => {
  it('gives the interval, who sends it and how it was recognised', () => {
    expect(describeHeartbeat({ intervalMs: 25_000, direction: 'server', jitterMs: 3, maxIdleMs: 25_010, source: 'protocol' })).toBe('every 25.0 s, sent by the server (protocol)');
    expect(describeHeartbeat({ intervalMs: 400, direction: 'client', jitterMs: 1, maxIdleMs: 410, source: 'pattern' })).toBe('every 400 ms, sent by the client (pattern)');
    expect(describeHeartbeat({ intervalMs: 30_000, direction: 'both', jitterMs: 0, maxIdleMs: 30_000, source: 'protocol' })).toBe('every 30.0 s, both ways (protocol)');
  });

  it('says when heartbeats were seen without a clear interval, and when none were', () => {
    expect(describeHeartbeat({ intervalMs: null, direction: null, jitterMs: null, maxIdleMs: 5_000, source: 'protocol' })).toBe('seen, interval unclear (protocol)');
    expect(describeHeartbeat({ intervalMs: null, direction: null, jitterMs: null, maxIdleMs: 70_000, source: null })).toBe('none seen');
  });
});

describe('formatMs', () => {
  it('words durations in prose, in table precision and compactly', () => {
    expect([999.6, 1234, 119_000, 150_000].map((ms) => formatMs(ms))).toEqual(['1000 ms', '1.2 s', '119.0 s', '2.5 min']);
    expect([0.25, 40, 2345, 12_345, 90_000].map((ms) => formatMs(ms, 'table'))).toEqual(['0.25 ms', '40 ms', '2.35 s', '12.3 s', '1.5 min']);
    expect([40, 1500, 30_000].map((ms) => formatMs(ms, 'compact'))).toEqual(['40ms', '1.5s', '30s']);
    expect(formatMs(Number.NaN)).toBe('n/a');
  });
});

describe('formatBytes', () => {
  it('uses IEC units (1 KiB = 1024 B)', () => {
    expect([512, 1024, 1536, 1024 ** 2 * 3, 1024 ** 3].map(formatBytes)).toEqual(['512 B', '1.0 KiB', '1.5 KiB', '3.0 MiB', '1.0 GiB']);
  });
});
