/**
 * The analysis of streamed bodies whose frames span chunks (gRPC-web, Connect, GraphQL multipart):
 * each frame or part is a message at the time of the chunk that completed it, with its role, while
 * the response is still open; the multipart heartbeat parts are measured as the heartbeat; and a
 * frame is counted once, not again from the http.end body.
 */
import { describe, expect, it } from 'vitest';
import { Analyzer } from '../../src/core/index.ts';
import type { CaptureEvent } from '../../src/core/events.ts';
import { bytesToBase64 } from '../../src/core/protocols/util.ts';
import { CaptureBuilder, grpcWebEnvelope, T0 } from './core-builders.ts';

const HEARTBEAT_MS = 5_000;

/** Apollo Router's chunks (apollo-router/src/protocols/multipart.rs): a heartbeat {} every 5 s on a timer, events between. */
function subscription(events: number): { chunks: Array<[number, string]>; parts: number } {
  const part = (json: string) => `\r\ncontent-type: application/json\r\n\r\n${json}\r\n--graphql`;
  const chunks: Array<[number, string]> = [[100, `\r\n--graphql${part('{}')}`]];
  for (let n = 1; n <= events; n++) {
    chunks.push([100 + n * HEARTBEAT_MS, part('{}')]);
    chunks.push([100 + n * HEARTBEAT_MS + 1_500, part(`{"payload":{"data":{"ticks":${n}}}}`)]);
  }
  return { chunks, parts: chunks.length };
}

function multipartCapture(events: number, ended: boolean): CaptureEvent[] {
  const b = new CaptureBuilder();
  const { chunks } = subscription(events);
  b.graphqlMultipart(chunks, { ended, durationMs: chunks.at(-1)![0] + 200 });
  return b.sorted();
}

/** A gRPC-web server stream whose envelopes are cut across chunks, its chunks carrying their bytes (http.chunk `data`). */
function grpcCapture(ended: boolean): { events: CaptureEvent[]; frames: number } {
  const b = new CaptureBuilder();
  const conn = b.http({ at: T0, url: 'https://api.example/demo.v1.TickService/Ticks', method: 'POST', contentType: 'application/grpc-web+proto', chunks: [], pending: true });
  const tick = (n: number) => grpcWebEnvelope(0, Uint8Array.from([0x08, n, 0x12, 6, ...new TextEncoder().encode(`tick ${n}`)]));
  const frames = [tick(1), tick(2), tick(3), tick(4), grpcWebEnvelope(0x80, new TextEncoder().encode('grpc-status: 0\r\n'))];
  const body = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of frames) {
    body.set(f, at);
    at += f.length;
  }
  // Chunks of 7 bytes: every envelope boundary falls inside a chunk, prefixes included.
  let pseq = 100;
  for (let i = 0, k = 0; i < body.length; i += 7, k++) {
    b.binaryChunk(T0 + 100 + k * 500, conn, body.subarray(i, i + 7), pseq++);
  }
  if (ended) {
    b.push({ type: 'http.end', seq: pseq, pseq, t: T0 + 100 + Math.ceil(body.length / 7) * 500, frameId: 0, doc: b.doc, conn, size: body.length, bodyHash: null, body: { size: body.length, encoding: 'binary', data: bytesToBase64(body), truncated: false } });
  }
  return { events: b.sorted(), frames: frames.length };
}

/** Analyse `events` at once, and one event at a time with a report after each (frames spanning report boundaries). */
function analysers(events: CaptureEvent[]): Analyzer[] {
  const whole = new Analyzer();
  whole.ingest(events);
  const live = new Analyzer();
  for (const e of events) {
    live.ingest([e]);
    live.report();
  }
  return [whole, live];
}

describe('frames of streamed bodies in the analysis', () => {
  it('multipart subscription: every part a message with its role; the {} heartbeats measured at their interval, while the stream is open', () => {
    const { parts } = subscription(4);
    for (const ended of [false, true]) {
      for (const analyzer of analysers(multipartCapture(4, ended))) {
        const ch = analyzer.report().channels[0]!;
        expect(ch.protocol).toBe('graphql-multipart');
        expect(ch.kind).toBe('streaming');
        expect(ch.heartbeat, `ended=${ended}`).toMatchObject({ intervalMs: HEARTBEAT_MS, direction: 'server', source: 'protocol' });
        const series = analyzer.channelSeries(ch.id)!;
        // One message per part, not per chunk plus the body again.
        expect(series.messages.t).toHaveLength(parts);
        expect(series.messages.role.filter((r) => r === 'heartbeat')).toHaveLength(5);
      }
    }
  });

  it('gRPC-web: envelopes cut across 7-byte chunks are messages when complete; the http.end body adds none', () => {
    for (const ended of [false, true]) {
      const { events, frames } = grpcCapture(ended);
      for (const analyzer of analysers(events)) {
        const ch = analyzer.report().channels[0]!;
        expect(ch.protocol).toBe('grpc-web');
        const series = analyzer.channelSeries(ch.id)!;
        expect(series.messages.t, `ended=${ended}`).toHaveLength(frames);
        // The trailers are control; the ticks data.
        expect(series.messages.role).toEqual(['data', 'data', 'data', 'data', 'control']);
        expect(series.messages.size).toEqual([15, 15, 15, 15, 21]);
      }
    }
  });

  it('a text stream that is not framed (NDJSON) still counts its chunks', () => {
    const b = new CaptureBuilder();
    b.http({ at: T0, url: 'https://api.example/feed', contentType: 'application/x-ndjson', chunks: [[100, '{"a":1}\n'], [1_200, '{"a":2}\n'], [2_300, '{"a":3}\n']], pending: true });
    const a = new Analyzer();
    a.ingest(b.sorted());
    const ch = a.report().channels[0]!;
    expect(a.channelSeries(ch.id)!.messages.t).toHaveLength(3);
  });
});
