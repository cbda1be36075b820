/** Polls for the waste tests: a channel of JSON answers, analysed the way the report analyses it. */
import { expect } from 'vitest';
import type { CaptureEvent, HeaderList } from '../../src/core/events.ts';
import { analyzeCapture } from '../../src/core/index.ts';
import { buildRecords } from '../../src/core/model.ts';
import { analyzeChannel } from '../../src/core/report.ts';
import { isPolled } from '../../src/core/report-types.ts';
import type { WasteReason } from '../../src/core/metrics/waste.ts';
import { CaptureBuilder, T0 } from './core-builders.ts';

export interface Poll {
  /** Request sent (epoch ms). */
  at: number;
  body: string;
  status?: number;
  /** ms from request to response headers (default 30). */
  ttfbMs?: number;
  /** ms from request to body end (default ttfb + 10). */
  durationMs?: number;
  headers?: HeaderList;
  responseHeaders?: HeaderList;
}

export interface Judged {
  kind: string;
  reasons: Array<WasteReason | null>;
  clocks: string[];
  wasted: number;
}

/** Analyse captured events as one polling channel; checks that the report counts the same waste. */
export function judgeEvents(events: CaptureEvent[]): Judged {
  const sorted = events.slice().sort((a, b) => a.t - b.t);
  const records = buildRecords(sorted);
  const first = records[0]!;
  const analysis = analyzeChannel({
    id: 'poll',
    transport: first.transport,
    endpoint: first.url,
    records,
    labels: { decoderId: null },
    faults: [],
    captureEnd: sorted.at(-1)!.t,
  });
  const kind = analysis.base.kind;
  expect(isPolled(kind), `${kind}: ${analysis.base.evidence}`).toBe(true);
  const report = analyzeCapture(sorted);
  expect(report.channels).toHaveLength(1);
  expect(report.channels[0]!.wasted).toBe(analysis.waste.wasted);
  return { kind, reasons: analysis.waste.reasons, clocks: analysis.waste.clocks, wasted: analysis.waste.wasted };
}

/** Judge a list of polls of one URL. */
export function judge(polls: readonly Poll[], url = 'https://api.example.test/v1/updates'): Judged {
  const b = new CaptureBuilder();
  for (const p of polls) {
    const ttfbMs = p.ttfbMs ?? 30;
    b.http({ at: p.at, url, status: p.status ?? 200, body: p.body, ttfbMs, durationMs: p.durationMs ?? ttfbMs + 10, headers: p.headers, responseHeaders: p.responseHeaders });
  }
  return judgeEvents(b.events);
}

/** Polls every `everyMs` from T0, one per body; `body(i, serverNow)` gets the server's clock at the answer. */
export function everyPoll(count: number, everyMs: number, body: (i: number, serverNow: number) => string, ttfbMs = 30): Poll[] {
  return Array.from({ length: count }, (_, i) => {
    const at = T0 + i * everyMs;
    return { at, ttfbMs, body: body(i, at + ttfbMs - 5) };
  });
}
