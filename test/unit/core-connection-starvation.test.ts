/**
 * connection-starvation (cross-channel): a request that queued while six long-lived
 * connections held its HTTP/1.1 origin, measured by Resource Timing (http.timing) or,
 * without it, by the capture alone (answered right after one of them ended).
 */
import { describe, expect, it } from 'vitest';
import { analyzeCapture } from '../../src/core/index.ts';
import type { Finding, Report } from '../../src/core/report-types.ts';
import { isCaptureEvent } from '../../src/core/guard.ts';
import { CaptureBuilder, T0 } from './core-builders.ts';

const ORIGIN = 'http://app.example:8080';

/** `streams` EventSources opened at T0 (one closed by the page at `closeOneAt`), then one fetch at T0+1000 answered at `answeredAt`. */
function page(opts: { streams: number; closeOneAt?: number; answeredAt: number; timing?: { blockedMs: number | null; protocol: string } }): { b: CaptureBuilder; fetchConn: string } {
  const b = new CaptureBuilder();
  b.docStart(T0 - 100, `${ORIGIN}/`, 'streams');
  for (let i = 0; i < opts.streams; i++) {
    const es = b.esCreate(T0 + i, `${ORIGIN}/stream/${['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta'][i]}`);
    b.esOpen(T0 + 20 + i, es);
    b.esMsg(T0 + 30 + i, es, 'hello');
    if (i === 0 && opts.closeOneAt !== undefined) b.esClose(opts.closeOneAt, es);
  }
  const at = T0 + 1000;
  const fetchConn = b.http({ at, url: `${ORIGIN}/api/data`, ttfbMs: opts.answeredAt - at, durationMs: opts.answeredAt - at + 5, body: '{"ok":true}' });
  if (opts.timing) {
    const e = { seq: 0, pseq: 0, t: opts.answeredAt + 6, frameId: 0, doc: 'doc1', conn: fetchConn, type: 'http.timing' as const, ...opts.timing };
    expect(isCaptureEvent(e)).toBe(true);
    b.push(e);
  }
  b.docStart(T0 + 8000, `${ORIGIN}/end`, 'end');
  return { b, fetchConn };
}

function starvation(report: Report): Finding[] {
  return report.channels.flatMap((c) => c.findings.filter((f) => f.code === 'connection-starvation').map((f) => ({ ...f, channel: c.url })));
}

describe('connection-starvation', () => {
  it('six EventSources and a fetch queued 3 s by Resource Timing: the finding carries the measured wait', () => {
    const { b } = page({ streams: 6, closeOneAt: T0 + 4000, answeredAt: T0 + 4010, timing: { blockedMs: 3001.4, protocol: 'http/1.1' } });
    const found = starvation(analyzeCapture(b.sorted()));
    expect(found).toHaveLength(1);
    expect(found[0]!.evidence).toMatchObject({ origin: ORIGIN, delayedRequests: 1, waitMs: 3001, heldConnections: 6, measuredBy: 'resource-timing', protocol: 'http/1.1' });
    expect(found[0]!.message).toMatch(/queued, unsent, for 3\.0 s/);
    expect(found[0]!.advice).toMatch(/HTTP\/2/);
    expect(found[0]!.advice).toMatch(/SharedWorker/);
    expect((found[0] as Finding & { channel: string }).channel).toMatch(/\/api\/data$/);
  });

  it('without Resource Timing: a response that came right after one of six streams ended', () => {
    const { b } = page({ streams: 6, closeOneAt: T0 + 4000, answeredAt: T0 + 4030 });
    const found = starvation(analyzeCapture(b.sorted()));
    expect(found).toHaveLength(1);
    expect(found[0]!.evidence).toMatchObject({ measuredBy: 'capture', waitMs: 3000, heldConnections: 6 });
  });

  it('five EventSources leave a connection free: no finding, even for a slow answer', () => {
    const { b } = page({ streams: 5, closeOneAt: T0 + 4000, answeredAt: T0 + 4010, timing: { blockedMs: 2, protocol: 'http/1.1' } });
    expect(starvation(analyzeCapture(b.sorted()))).toEqual([]);
    const slow = page({ streams: 5, closeOneAt: T0 + 4000, answeredAt: T0 + 4030 });
    expect(starvation(analyzeCapture(slow.b.sorted()))).toEqual([]);
  });

  it('over HTTP/2 six streams do not queue a request (a slow server answer is not starvation)', () => {
    const { b } = page({ streams: 6, closeOneAt: T0 + 4000, answeredAt: T0 + 4010, timing: { blockedMs: 1, protocol: 'h2' } });
    expect(starvation(analyzeCapture(b.sorted()))).toEqual([]);
  });

  it('six streams open but the request was sent at once (Resource Timing says so): no finding', () => {
    const { b } = page({ streams: 6, closeOneAt: T0 + 4000, answeredAt: T0 + 4010, timing: { blockedMs: 3, protocol: 'http/1.1' } });
    expect(starvation(analyzeCapture(b.sorted()))).toEqual([]);
  });

  it('six streams to another origin do not starve this one', () => {
    const b = new CaptureBuilder();
    for (let i = 0; i < 6; i++) {
      const es = b.esCreate(T0 + i, `http://stream.example/s${'abcdef'[i]}`);
      b.esOpen(T0 + 20, es);
      if (i === 0) b.esClose(T0 + 4000, es);
    }
    b.http({ at: T0 + 1000, url: `${ORIGIN}/api/data`, ttfbMs: 3010, durationMs: 3015, body: '{}' });
    expect(starvation(analyzeCapture(b.sorted()))).toEqual([]);
  });

  it('six held long-polls starve the seventh request, measured by Resource Timing', () => {
    const b = new CaptureBuilder();
    for (const topic of ['a', 'b', 'c', 'd', 'e', 'f']) b.http({ at: T0, url: `${ORIGIN}/poll?topic=${topic}`, ttfbMs: 20_000, durationMs: 20_000, body: '[]' });
    const c = b.http({ at: T0 + 2000, url: `${ORIGIN}/api/save`, method: 'POST', ttfbMs: 18_010, durationMs: 18_020, body: '{}' });
    b.push({ seq: 0, pseq: 0, t: T0 + 20_030, frameId: 0, doc: 'doc1', conn: c, type: 'http.timing', blockedMs: 18_000, protocol: 'http/1.1' });
    const found = starvation(analyzeCapture(b.sorted()));
    expect(found.map((f) => f.evidence.waitMs)).toEqual([18_000]);
  });
});
