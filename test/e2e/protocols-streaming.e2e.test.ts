/**
 * Streaming HTTP protocols (issue 15 section 2), end to end: real client libraries
 * bundled for the page (@connectrpc/connect-web 2.3.0, Apollo Client 3.14's
 * HttpLink) in real Chromium with the built extension (RI_DIST), real servers on
 * 127.0.0.1 (test/e2e/fixtures/streaming-server.ts: @connectrpc/connect-node 2.3.0,
 * and multipart/mixed GraphQL written on node:http). Each test reads the tab's
 * capture from the extension, analyses it as the panel and `audit` do, and asserts
 * the channel's protocol and the labels of each frame or part of the streamed
 * response bodies (decodeMessage with the channel's protocol, as
 * src/panel/messages.ts labels a response row).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchInspector, type InspectorSession } from '../../src/cli/browser.ts';
import { describeChannels, protocolTabs, type Captured } from './fixtures/protocol-tabs.ts';
import type { CaptureEvent } from '../../src/core/events.ts';
import type { ChannelReport } from '../../src/core/report-types.ts';
import { decodeMessage, decodeMessages } from '../../src/core/protocols/index.ts';
import { Analyzer } from '../../src/core/index.ts';
import { flattenDecoded } from '../../src/core/protocols/util.ts';
import { startStreamingServer, type StreamingServer } from './fixtures/streaming-server.ts';

const E2E_TIMEOUT_MS = 120_000;
/** The fixture's multipart heartbeat period: the subscription spans 3.5 of them, past the streaming classifier's 1 s (STREAM_MIN_SPAN_MS). */
const HEARTBEAT_MS = 400;

let server: StreamingServer;
let session: InspectorSession;
const tabs = protocolTabs(() => session, () => server, 's');
const { open, capture } = tabs;

beforeAll(async () => {
  server = await startStreamingServer({ heartbeatMs: HEARTBEAT_MS });
  session = await launchInspector();
}, 60_000);
afterAll(async () => {
  await session?.close();
  await server?.close();
});

type Log = Array<{ kind: string; [key: string]: unknown }>;
const untilLog = (page: Page, ok: (log: Log) => boolean, what: string, timeoutMs?: number) => tabs.untilLog<Log[number]>(page, ok, what, timeoutMs);

function channelOf(c: Captured, path: string): ChannelReport {
  const channel = c.channels.find((ch) => ch.transport === 'fetch' && new URL(ch.url).pathname === path);
  if (!channel) throw new Error(`no fetch channel on ${path}: ${describeChannels(c.channels)}`);
  return channel;
}

/** The response bodies (http.end) of the requests to `path`. */
function bodies(c: Captured, path: string): Array<Extract<CaptureEvent, { type: 'http.end' }>> {
  const conns = new Set(c.events.flatMap((e) => (e.type === 'http.request' && new URL(e.url).pathname === path ? [e.conn] : [])));
  return c.events.filter((e): e is Extract<CaptureEvent, { type: 'http.end' }> => e.type === 'http.end' && conns.has(e.conn));
}

/**
 * `<role> <label>` of every frame or part of every response on the channel, as the analysis and the
 * message list read them: from the streamed chunks' bytes where the capture has them (a client may
 * stop reading once it has the end-of-stream frame, before the body's end, and then no `http.end`
 * comes), else from the whole body.
 */
function labels(c: Captured, channel: ChannelReport): string[] {
  const path = new URL(channel.url).pathname;
  const conns = [...new Set(c.events.flatMap((e) => (e.type === 'http.request' && new URL(e.url).pathname === path ? [e.conn] : [])))];
  return conns.flatMap((conn) => {
    // As the analysis reads a chunk (src/core/model.ts chunkPayload): its bytes, else its text preview.
    const chunks = c.events.flatMap((e) =>
      e.type === 'http.chunk' && e.conn === conn && (e.data || e.preview)
        ? [{ dir: 'in' as const, data: e.data ?? { size: e.size, encoding: 'text' as const, data: e.preview, truncated: e.preview.length < e.size } }]
        : [],
    );
    const decoded = chunks.length > 0 ? decodeMessages(channel.protocol, chunks) : bodies(c, path).filter((e) => e.conn === conn && e.body).map((e) => decodeMessage(channel.protocol, e.body!, 'in'));
    return decoded.flatMap((d) => flattenDecoded(d)).map((d) => `${d.role} ${d.label}`);
  });
}

const hasBody = (path: string, n = 1) => (c: Captured) => bodies(c, path).filter((e) => e.body !== null).length >= n;

/** The channel on `path` has `n` frames or parts, however they were captured. */
const hasFrames = (path: string, n: number) => (c: Captured) => {
  const channel = c.channels.find((ch) => new URL(ch.url).pathname === path && ch.protocol !== null);
  return channel !== undefined && labels(c, channel).length >= n;
};

/** connect-web's client for TickService over `transport`, one streaming call per entry of `calls`. */
const RPC_PAGE = (transport: 'connect' | 'grpc-web', binary: boolean, calls: Array<{ count: number; failWith?: string }>) => `<!doctype html><script type="module">
  import { createClient, createConnectTransport, createGrpcWebTransport, TickService } from '/vendor/connect.js';
  window.log = [];
  const make = ${transport === 'connect' ? 'createConnectTransport' : 'createGrpcWebTransport'};
  const client = createClient(TickService, make({ baseUrl: location.origin, useBinaryFormat: ${binary} }));
  (async () => {
    for (const call of ${JSON.stringify(calls)}) {
      try {
        for await (const tick of client.ticks({ count: call.count, everyMs: 150, failWith: call.failWith ?? '' })) log.push({ kind: 'tick', n: tick.n, text: tick.text });
        log.push({ kind: 'end' });
      } catch (e) {
        log.push({ kind: 'error', code: e.code, message: e.rawMessage });
      }
    }
    log.push({ kind: 'done' });
  })();
</script>`;

const PATH = '/demo.v1.TickService/Ticks';

describe('gRPC-web and Connect server streaming (connect-web against connect-node)', { timeout: E2E_TIMEOUT_MS }, () => {
  it('gRPC-web, binary: each message decodes as schemaless protobuf fields, the trailers carry grpc-status 0, then 5', async () => {
    const { page, tabId } = await open(RPC_PAGE('grpc-web', true, [{ count: 3 }, { count: 1, failWith: 'no tick after 1' }]));
    const log = await untilLog(page, (l) => l.some((e) => e.kind === 'done'), 'both calls');
    expect(log.filter((e) => e.kind === 'tick').map((e) => e.n)).toEqual([1, 2, 3, 1]);
    // connect-es Code.NotFound = 5.
    expect(log.find((e) => e.kind === 'error')).toEqual({ kind: 'error', code: 5, message: 'no tick after 1' });
    const c = await capture(tabId, hasFrames(PATH, 6));
    const channel = channelOf(c, PATH);
    expect(channel.protocol, describeChannels(c.channels)).toBe('grpc-web');
    expect(labels(c, channel)).toEqual([
      'data grpc-web message 1 fields {1, 2}',
      'data grpc-web message 2 fields {1, 2}',
      'data grpc-web message 3 fields {1, 2}',
      'control grpc-web trailers grpc-status=0 (OK)',
      'data grpc-web message 1 fields {1, 2}',
      'error grpc-web trailers grpc-status=5 (NOT_FOUND) grpc-message="no tick after 1"',
    ]);
    const first = flattenDecoded(decodeMessage('grpc-web', bodies(c, PATH)[0]!.body!, 'in'))[1]!;
    expect(first.value).toEqual({ fields: ['1:varint', '2:len'], message: { 1: 2, 2: 'tick 2' } });
    // The body arrived in pieces as the server streamed it.
    const conn = bodies(c, PATH)[0]!.conn;
    expect(c.events.filter((e) => e.type === 'http.chunk' && e.conn === conn).length).toBeGreaterThanOrEqual(2);

    // The panel's message list labels the response rows with their frames.
    const panel = await session.context.newPage();
    await panel.goto(`chrome-extension://${session.extensionId}/src/panel/panel.html?tabId=${tabId}`);
    await panel.locator('.overview-table tbody tr', { hasText: PATH }).first().dblclick();
    await panel.waitForSelector('.detail');
    await panel.locator('[data-tab="messages"]').click();
    await panel.waitForFunction(() => Array.from(document.querySelectorAll('.vrow .c-label')).some((l) => /grpc-status=5/.test(l.textContent ?? '')), null, { timeout: 15_000 });
    const rows = await panel.locator('.vrow .c-label').allTextContents();
    // A row per envelope, read from the chunks; the end rows do not list them again.
    expect(rows.filter((r) => r.startsWith('grpc-web ')), rows.join('\n')).toEqual([
      'grpc-web message 1 fields {1, 2}',
      'grpc-web message 2 fields {1, 2}',
      'grpc-web message 3 fields {1, 2}',
      'grpc-web trailers grpc-status=0 (OK)',
      'grpc-web message 1 fields {1, 2}',
      'grpc-web trailers grpc-status=5 (NOT_FOUND) grpc-message="no tick after 1"',
    ]);
    // Each response's end row: the first stream ends cleanly; the second carries an error status in
    // its trailers, on which connect-web fails its own reading, racing the body's end (as without the
    // extension): that request ends either way.
    const ends = rows.filter((r) => /^response \d+ B, the end of the stream$|^request failed: /.test(r));
    expect(ends, rows.join('\n')).toHaveLength(2);
    expect(ends[0], rows.join('\n')).toMatch(/^response \d+ B, the end of the stream$/);
    // connect-web aborts the fetch with its ConnectError as the reason: a client abort.
    expect(ends[1], rows.join('\n')).toMatch(/^response \d+ B, the end of the stream$|^request failed: abort \(\[not_found\] no tick after 1\)$/);
    await panel.close();
  });

  it('gRPC-web, an open server stream: its messages are labelled rows and analysed frames before it ends', async () => {
    // 200 ticks 150 ms apart: the stream stays open for 30 s, longer than the test looks.
    const { page, tabId } = await open(RPC_PAGE('grpc-web', true, [{ count: 200 }]));
    await untilLog(page, (l) => l.filter((e) => e.kind === 'tick').length >= 3, 'three ticks');
    const panel = await session.context.newPage();
    await panel.goto(`chrome-extension://${session.extensionId}/src/panel/panel.html?tabId=${tabId}`);
    await panel.locator('.overview-table tbody tr', { hasText: PATH }).first().dblclick();
    await panel.waitForSelector('.detail');
    await panel.locator('[data-tab="messages"]').click();
    await panel.waitForFunction(() => Array.from(document.querySelectorAll('.vrow .c-label')).some((l) => l.textContent === 'grpc-web message 3 fields {1, 2}'), null, { timeout: 15_000 });
    const rows = await panel.locator('.vrow .c-label').allTextContents();
    expect(rows.slice(rows.indexOf('grpc-web message 1 fields {1, 2}')).slice(0, 3), rows.join('\n')).toEqual(['grpc-web message 1 fields {1, 2}', 'grpc-web message 2 fields {1, 2}', 'grpc-web message 3 fields {1, 2}']);
    await panel.close();
    // Still open: no end, no trailers; the analysis counts the frames read so far, each once.
    const c = await capture(tabId, (x) => x.events.filter((e) => e.type === 'http.chunk' && e.data !== undefined).length >= 3);
    const conn = c.events.find((e): e is Extract<CaptureEvent, { type: 'http.request' }> => e.type === 'http.request' && new URL(e.url).pathname === PATH)!.conn;
    expect(c.events.filter((e) => 'conn' in e && e.conn === conn && (e.type === 'http.end' || e.type === 'http.error'))).toEqual([]);
    const chunks = c.events.filter((e): e is Extract<CaptureEvent, { type: 'http.chunk' }> => e.type === 'http.chunk' && e.conn === conn);
    expect(chunks.every((e) => e.data?.encoding === 'binary' && e.data.size === e.size)).toBe(true);
    const analyzer = new Analyzer();
    analyzer.ingest(c.events);
    const channel = analyzer.report().channels.find((ch) => ch.transport === 'fetch' && new URL(ch.url).pathname === PATH)!;
    expect(channel.protocol).toBe('grpc-web');
    const roles = analyzer.channelSeries(channel.id)!.messages.role;
    expect(roles.length).toBeGreaterThanOrEqual(3);
    expect(new Set(roles)).toEqual(new Set(['data']));
    await page.close();
  });

  it('gRPC-web, JSON codec: the trailers flag read through the text capture still ends the stream', async () => {
    const { page, tabId } = await open(RPC_PAGE('grpc-web', false, [{ count: 2 }]));
    await untilLog(page, (l) => l.some((e) => e.kind === 'done'), 'the call');
    const c = await capture(tabId, hasBody(PATH));
    const channel = channelOf(c, PATH);
    expect(channel.protocol, describeChannels(c.channels)).toBe('grpc-web');
    expect(labels(c, channel)).toEqual(['data grpc-web message 1 {n, text}', 'data grpc-web message 2 {n, text}', 'control grpc-web trailers grpc-status=0 (OK)']);
  });

  it('Connect, JSON (connect-web default) and binary: messages, end-of-stream, end-of-stream with an error', async () => {
    for (const binary of [false, true]) {
      const { page, tabId } = await open(RPC_PAGE('connect', binary, [{ count: 2 }, { count: 1, failWith: 'no tick after 1' }]));
      const log = await untilLog(page, (l) => l.some((e) => e.kind === 'done'), 'both calls');
      expect(log.find((e) => e.kind === 'error')).toEqual({ kind: 'error', code: 5, message: 'no tick after 1' });
      const c = await capture(tabId, hasFrames(PATH, 5));
      const channel = channelOf(c, PATH);
      expect(channel.protocol, describeChannels(c.channels)).toBe('connect');
      const fields = binary ? 'fields {1, 2}' : '{n, text}';
      expect(labels(c, channel), `binary=${binary}`).toEqual([
        `data connect message 1 ${fields}`,
        `data connect message 2 ${fields}`,
        'control connect end-of-stream',
        `data connect message 1 ${fields}`,
        'error connect end-of-stream error=not_found "no tick after 1"',
      ]);
    }
  });
});

/** Apollo Client 3.14's HttpLink (link/http/parseAndCheckHttpResponse.js readMultipartBody): a @defer query, then a multipart subscription. */
const APOLLO_PAGE = `<!doctype html><script type="module">
  import { execute, HttpLink, gql } from '/vendor/apollo.js';
  window.log = [];
  const link = new HttpLink({ uri: location.origin + '/graphql/multipart' });
  const run = (query) => new Promise((resolve) => execute(link, { query: gql(query) }).subscribe({
    next: (r) => log.push({ kind: 'next', r }),
    error: (e) => (log.push({ kind: 'error', e: String(e) }), resolve()),
    complete: () => (log.push({ kind: 'complete' }), resolve()),
  }));
  await run('query Hero { hero { id name ... @defer(label: "friends") { friends { id name } } ... @defer(label: "films") { appearsIn } } }');
  await run('subscription Ticks { ticks }');
  log.push({ kind: 'done' });
</script>`;

const GRAPHQL = '/graphql/multipart';

describe('GraphQL over multipart/mixed (Apollo Client HttpLink)', { timeout: E2E_TIMEOUT_MS }, () => {
  it('@defer parts read as initial / subsequent (incremental) / hasNext=false; subscription heartbeats {} as heartbeats', async () => {
    const { page, tabId } = await open(APOLLO_PAGE);
    const log = await untilLog(page, (l) => l.some((e) => e.kind === 'done'), 'both operations');
    expect(log.filter((e) => e.kind === 'error'), JSON.stringify(log)).toEqual([]);
    // Apollo delivers the initial result, both deferred payloads, and the three subscription events.
    expect(log.filter((e) => e.kind === 'next').length, JSON.stringify(log)).toBe(6);
    const requests = (await capture(tabId, hasBody(GRAPHQL, 2))).events.filter((e): e is Extract<CaptureEvent, { type: 'http.request' }> => e.type === 'http.request' && e.url.endsWith(GRAPHQL));
    // What Apollo Client asked for (link/http/createHttpLink.js).
    expect(requests.map((r) => r.headers.find(([k]) => k === 'accept')?.[1])).toEqual([
      'multipart/mixed;deferSpec=20220824,application/json',
      'multipart/mixed;boundary=graphql;subscriptionSpec=1.0,application/json',
    ]);
    const c = await capture(tabId, hasBody(GRAPHQL, 2));
    const channel = channelOf(c, GRAPHQL);
    expect(channel.protocol, describeChannels(c.channels)).toBe('graphql-multipart');
    expect(labels(c, channel)).toEqual([
      'data graphql-multipart initial {hero} hasNext=true',
      'data graphql-multipart subsequent (incremental ×1) hasNext=true',
      'data graphql-multipart subsequent (incremental ×1) hasNext=false',
      'heartbeat graphql-multipart heartbeat',
      'heartbeat graphql-multipart heartbeat',
      'data graphql-multipart subscription next {ticks}',
      'heartbeat graphql-multipart heartbeat',
      'data graphql-multipart subscription next {ticks}',
      'heartbeat graphql-multipart heartbeat',
      'data graphql-multipart subscription next {ticks}',
    ]);
    expect(labels(c, channel).filter((l) => / (text|binary) /.test(l))).toEqual([]);
    // The {} parts, read from the chunks as they came, are the channel's heartbeat: the fixture's period, from the server.
    expect(channel.kind, describeChannels(c.channels)).toBe('streaming');
    expect(channel.heartbeat, JSON.stringify(channel.heartbeat)).toMatchObject({ direction: 'server', source: 'protocol' });
    console.log(`multipart heartbeat: measured ${channel.heartbeat!.intervalMs} ms, fixture ${HEARTBEAT_MS} ms, jitter ${channel.heartbeat!.jitterMs} ms`);
    expect(channel.heartbeat!.intervalMs!).toBeGreaterThan(HEARTBEAT_MS * 0.75);
    expect(channel.heartbeat!.intervalMs!).toBeLessThan(HEARTBEAT_MS * 1.5);
  });
});
