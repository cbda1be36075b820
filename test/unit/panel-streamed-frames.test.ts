/**
 * The message list of a streamed body whose frames span chunks (GraphQL multipart, gRPC-web): one
 * row per part or envelope while the stream is open, each with its own label, size and kind
 * (heartbeat parts as heartbeats), and the http.end row not listing them again.
 */
import { describe, expect, it } from 'vitest';
import { Analyzer } from '../../src/core/index.ts';
import type { CaptureEvent } from '../../src/core/events.ts';
import { MessageIndex, rolesOf } from '../../src/panel/messages.ts';
import { CaptureBuilder, T0 } from './core-builders.ts';

const part = (json: string) => `\r\ncontent-type: application/json\r\n\r\n${json}\r\n--graphql`;

/** Apollo Router's chunks of a multipart subscription (apollo-router/src/protocols/multipart.rs), the second part cut across two chunks. */
function subscription(ended: boolean): CaptureEvent[] {
  const b = new CaptureBuilder();
  const second = part('{"payload":{"data":{"ticks":1}}}');
  const chunks: Array<[number, string]> = [
    [100, `\r\n--graphql${part('{}')}`],
    [5_100, second.slice(0, 20)],
    [5_200, `${second.slice(20)}${part('{}')}`],
    [10_100, part('{}')],
  ];
  b.graphqlMultipart(chunks, { ended, durationMs: 10_300 });
  return b.sorted();
}

function rowsOf(events: CaptureEvent[], live: boolean) {
  const analyzer = new Analyzer();
  analyzer.ingest(events);
  const ch = analyzer.report().channels[0]!;
  const index = new MessageIndex(ch.protocol);
  const shown = analyzer.channelEvents(ch.id);
  // Live: the list grows event by event, as the panel's bridge delivers them.
  if (live) for (let n = 1; n <= shown.length; n++) index.update(shown.slice(0, n));
  else index.update(shown);
  index.applyRoles(rolesOf(analyzer.channelSeries(ch.id)!));
  return { index, protocol: ch.protocol, rows: index.allRows().map((r) => `${r.kind} ${r.label}`) };
}

describe('message rows of streamed frames', () => {
  it('multipart: a row per part while open (a part cut across chunks once), heartbeats as heartbeats', () => {
    for (const live of [false, true]) {
      const { protocol, rows } = rowsOf(subscription(false), live);
      expect(protocol).toBe('graphql-multipart');
      expect(rows).toEqual([
        'data POST /graphql',
        'control 200  multipart/mixed',
        'heartbeat graphql-multipart heartbeat',
        'data chunk 20 B: graphql-multipart part continues (20 B)',
        'data graphql-multipart subscription next {ticks}',
        'heartbeat graphql-multipart heartbeat',
        'heartbeat graphql-multipart heartbeat',
      ]);
    }
  });

  it('the end row does not list the frames again; eviction and re-indexing keep one row per frame', () => {
    const events = subscription(true);
    const { index, rows } = rowsOf(events, true);
    expect(rows.at(-1)).toMatch(/^control response \d+ B, the end of the stream$/);
    expect(rows.filter((r) => r.includes('heartbeat'))).toHaveLength(3);
    // The oldest events evicted: the first chunk's rows go, the others stay as they were.
    const analyzer = new Analyzer();
    analyzer.ingest(events);
    const shown = analyzer.channelEvents(analyzer.report().channels[0]!.id);
    const firstChunk = shown.findIndex((e) => e.type === 'http.chunk');
    index.update(shown.slice(firstChunk + 2));
    expect(index.allRows().map((r) => `${r.kind} ${r.label}`)).toEqual(rows.slice(4));
    // Another order of the same events (a late event sorted in): re-indexed from the frames decoded before.
    index.update([...shown.slice(0, 1), ...shown.slice(2), shown[1]!]);
    expect(index.allRows().map((r) => r.label)).toContain('graphql-multipart subscription next {ticks}');
    expect(index.allRows().filter((r) => r.label === 'graphql-multipart heartbeat')).toHaveLength(3);
  });

  it('gRPC-web: each envelope a row with its own size, the trailers as control, from binary chunks', () => {
    const b = new CaptureBuilder();
    const conn = b.http({ at: T0, url: 'https://api.example/demo.v1.TickService/Ticks', method: 'POST', contentType: 'application/grpc-web+proto', chunks: [], pending: true });
    const env = (flags: number, payload: number[]) => [flags, 0, 0, 0, payload.length, ...payload];
    const tick = (n: number) => env(0, [0x08, n, 0x12, 1, 0x41]);
    const body = Uint8Array.from([...tick(1), ...tick(2), ...env(0x80, [...new TextEncoder().encode('grpc-status: 0\r\n')])]);
    [body.subarray(0, 3), body.subarray(3, 12), body.subarray(12, 30), body.subarray(30)].forEach((bytes, k) => b.binaryChunk(T0 + 100 + k * 400, conn, bytes, 50 + k));
    const { index, rows } = rowsOf(b.sorted(), true);
    expect(rows).toEqual([
      'data POST /demo.v1.TickService/Ticks',
      'control 200  application/grpc-web+proto',
      'data chunk 3 B: grpc-web envelope continues (3 B)',
      'data grpc-web message 1 fields {1, 2}',
      'data grpc-web message 2 fields {1, 2}',
      'control grpc-web trailers grpc-status=0 (OK)',
    ]);
    expect(index.allRows().slice(3).map((r) => r.size)).toEqual([10, 10, 21]);
  });
});
