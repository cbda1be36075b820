/**
 * The protocols beyond the classics (issue 15 section 2), end to end: the real
 * client libraries' browser builds in real Chromium with the built extension
 * (RI_DIST), real servers on 127.0.0.1 (test/e2e/fixtures/beyond-server.ts).
 * Each test reads the tab's capture from the extension, analyses it as the panel
 * and `audit` do, and asserts the channel's protocol and the labels the message
 * list shows for its messages (decodeMessage with the channel's protocol, as
 * src/panel/messages.ts labels rows).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchInspector, type InspectorSession } from '../../src/cli/browser.ts';
import { describeChannels, protocolTabs, type Captured } from './fixtures/protocol-tabs.ts';
import type { CaptureEvent, Direction, Payload } from '../../src/core/events.ts';
import type { ChannelReport } from '../../src/core/report-types.ts';
import { decodeMessage } from '../../src/core/protocols/index.ts';
import { flattenDecoded } from '../../src/core/protocols/util.ts';
import { startBeyondServer, type BeyondServer } from './fixtures/beyond-server.ts';

const E2E_TIMEOUT_MS = 120_000;

let server: BeyondServer;
let session: InspectorSession;
const { open, untilLog, capture } = protocolTabs(() => session, () => server, 'p');

beforeAll(async () => {
  server = await startBeyondServer({ pingIntervalMs: 1000, pingTimeoutMs: 4000, socketIoTickMs: 700, fayeTimeoutS: 1, fayeTickMs: 2500 });
  session = await launchInspector();
}, 60_000);
afterAll(async () => {
  await session?.close();
  await server?.close();
});

function channelOf(c: Captured, transport: string, path: string): ChannelReport {
  const channel = c.channels.find((ch) => ch.transport === transport && new URL(ch.url).pathname.startsWith(path));
  if (!channel) throw new Error(`no ${transport} channel on ${path}: ${describeChannels(c.channels)}`);
  return channel;
}

/** The payloads of a channel's connections as the message list shows them: WebSocket frames, SSE data, HTTP response bodies. */
function payloads(c: Captured, channel: ChannelReport): Array<{ dir: Direction; data: Payload; event?: string; source: CaptureEvent }> {
  const conns = new Set<string>();
  const path = new URL(channel.url).pathname;
  for (const e of c.events) {
    if (e.type !== 'http.request' && e.type !== 'ws.create' && e.type !== 'sse.create') continue;
    const transport = e.type === 'ws.create' ? 'websocket' : e.transport;
    if (transport === channel.transport && new URL(e.url).pathname === path) conns.add(e.conn);
  }
  // An SSE response's body is its raw event stream: its events are listed instead.
  const sseConns = new Set(c.events.flatMap((e) => (e.type === 'sse.create' ? [e.conn] : [])));
  const out: Array<{ dir: Direction; data: Payload; event?: string; source: CaptureEvent }> = [];
  for (const e of c.events) {
    if (!('conn' in e) || e.conn === null || !conns.has(e.conn)) continue;
    if (e.type === 'ws.message') out.push({ dir: e.dir, data: e.data, source: e });
    else if (e.type === 'sse.message') out.push({ dir: 'in', data: e.data, event: e.event, source: e });
    else if (e.type === 'http.end' && e.body && !sseConns.has(e.conn)) out.push({ dir: 'in', data: e.body, source: e });
  }
  return out;
}

/** `<role> <label>` of every message of the channel, batches flattened. */
function labels(c: Captured, channel: ChannelReport): string[] {
  return payloads(c, channel).flatMap((p) => flattenDecoded(decodeMessage(channel.protocol, p.data, p.dir)).map((d) => `${p.dir} ${d.role} ${d.label}`));
}

const SOCKET_IO_PAGE = (options: string) => `<!doctype html><script src="/vendor/socket.io.js"></script><script>
  window.log = [];
  const socket = io(${options});
  socket.on('connect', () => {
    log.push({ kind: 'connect', transport: socket.io.engine.transport.name });
    socket.emit('hello', 'from the page', (reply) => log.push({ kind: 'ack', reply }));
  });
  socket.on('tick', (n) => log.push({ kind: 'tick', n }));
  socket.io.engine.on('ping', () => log.push({ kind: 'ping' }));
  socket.io.engine.on('upgradeError', (e) => log.push({ kind: 'upgradeError', message: String(e && e.message) }));
</script>`;

describe('socket.io over plain polling', { timeout: E2E_TIMEOUT_MS }, () => {
  it("transports: ['polling'] reads as socket.io, with open, CONNECT, pings and events labelled", async () => {
    const { page, tabId } = await open(SOCKET_IO_PAGE("{ transports: ['polling'] }"));
    await untilLog(page, (log) => log.filter((e) => (e as { kind: string }).kind === 'ping').length >= 2 && log.some((e) => (e as { kind: string }).kind === 'ack'), 'two pings and the ack');
    const c = await capture(tabId, (cc) => cc.channels.some((ch) => ch.transport === 'xhr' && (ch.heartbeat?.intervalMs ?? 0) > 0));
    const channel = channelOf(c, 'xhr', '/socket.io/');
    expect(channel.protocol, describeChannels(c.channels)).toBe('socket.io');
    expect(channel.kind).toBe('long-polling');
    expect(new URL(channel.url).searchParams.get('EIO')).toBe('4');
    const seen = labels(c, channel);
    expect(seen).toContain('in handshake engine.io open pingInterval=1000');
    expect(seen).toContain('in handshake socket.io CONNECT');
    expect(seen).toContain('in heartbeat engine.io ping');
    expect(seen).toContain('in data socket.io EVENT "tick"');
    expect(seen).toContain('in ack socket.io ACK id=0');
    // Each POST (pong, emit) is answered "ok".
    expect(seen).toContain('in ack engine.io polling POST ok');
    expect(channel.heartbeat?.intervalMs).toBeGreaterThan(0);
  });

  it('a WebSocket upgrade refused by a proxy, on an app-chosen path: the polls and the failed socket read as socket.io', async () => {
    const { page, tabId } = await open(SOCKET_IO_PAGE("{ path: '/live/' }"));
    await untilLog(page, (log) => log.filter((e) => (e as { kind: string }).kind === 'tick').length >= 3, 'three ticks');
    const log = await page.evaluate(() => (window as unknown as { log: Array<{ kind: string; transport?: string }> }).log);
    expect(log.find((e) => e.kind === 'connect')?.transport).toBe('polling');
    expect(log.some((e) => e.kind === 'upgradeError')).toBe(true);
    const c = await capture(tabId, (cc) => cc.channels.some((ch) => ch.transport === 'websocket') && cc.channels.some((ch) => ch.transport === 'xhr' && ch.protocol !== null));
    const polls = channelOf(c, 'xhr', '/live/');
    expect(polls.protocol, describeChannels(c.channels)).toBe('socket.io');
    expect(polls.kind).toBe('long-polling');
    const seen = labels(c, polls);
    expect(seen).toContain('in handshake engine.io open pingInterval=1000');
    expect(seen).toContain('in data socket.io EVENT "tick"');
    // The probe never opened: no frame to go by, only engine.io-client's query (EIO=4&transport=websocket).
    const socket = channelOf(c, 'websocket', '/live/');
    expect(socket.protocol, describeChannels(c.channels)).toBe('socket.io');
    expect(payloads(c, socket)).toEqual([]);
    expect(socket.findings.map((f) => f.code).concat(polls.findings.map((f) => f.code))).toContain('ws-upgrade-blocked');
  });
});

/** faye's browser client (client/faye-browser.js): subscribe to /ticks, publish once; `disable` picks the transport. */
const FAYE_PAGE = (disable: string[], publishOnTick = false) => `<!doctype html><script src="/vendor/faye.js"></script><script>
  window.log = [];
  const client = new Faye.Client(location.origin + '/faye');
  ${disable.map((d) => `client.disable(${JSON.stringify(d)});`).join('\n  ')}
  client.on('transport:up', () => log.push({ kind: 'up' }));
  // A publish right after subscribing can still go out by long-polling while the WebSocket comes
  // up (a loaded machine): publishing on every tick puts later ones on the socket.
  const onTick = (m) => { log.push({ kind: 'tick', n: m.n }); ${publishOnTick ? "client.publish('/chat', { text: 'tick ' + m.n }).then(() => log.push({ kind: 'published' }));" : ''} };
  client.subscribe('/ticks', onTick).then(() => {
    log.push({ kind: 'subscribed' });
    return client.publish('/chat', { text: 'hi' });
  }).then(() => log.push({ kind: 'published' }));
</script>`;

const count = (log: unknown[], kind: string) => log.filter((e) => (e as { kind: string }).kind === kind).length;

describe('Bayeux (faye)', { timeout: E2E_TIMEOUT_MS }, () => {
  it('long-polling: the /faye channel reads as bayeux (not json), connect cycles are its heartbeat', async () => {
    const { page, tabId } = await open(FAYE_PAGE(['websocket', 'eventsource']));
    await untilLog(page, (log) => count(log, 'tick') >= 2 && count(log, 'published') === 1, 'two ticks and the publish');
    const c = await capture(tabId, (cc) => cc.channels.some((ch) => ch.protocol === 'bayeux' && (ch.heartbeat?.intervalMs ?? 0) > 0));
    const channel = channelOf(c, 'xhr', '/faye');
    expect(channel.protocol, describeChannels(c.channels)).toBe('bayeux');
    expect(channel.kind, `${describeChannels(c.channels)} ${channel.evidence}`).toBe('long-polling');
    const seen = labels(c, channel);
    expect(seen.some((l) => /^in handshake bayeux \/meta\/handshake ok clientId=\w+ advice reconnect=retry timeout=1000 interval=0 id=\w+$/.test(l)), seen.join('\n')).toBe(true);
    expect(seen.some((l) => /^in control bayeux \/meta\/subscribe ok \/ticks id=\w+$/.test(l)), seen.join('\n')).toBe(true);
    // Idle connects come back after advice.timeout with the reply alone.
    expect(seen.some((l) => /^in heartbeat bayeux \/meta\/connect ok advice reconnect=retry timeout=1000 interval=0 id=\w+$/.test(l)), seen.join('\n')).toBe(true);
    expect(seen.some((l) => /^in data bayeux message \/ticks/.test(l)), seen.join('\n')).toBe(true);
    expect(seen.some((l) => /^in ack bayeux publish ok \/chat id=\w+$/.test(l)), seen.join('\n')).toBe(true);
    expect(seen.filter((l) => / text "/.test(l))).toEqual([]);
    // The connect cycle (≈ advice.timeout = 1 s here) is the heartbeat the analysis measures.
    expect(channel.heartbeat?.intervalMs).toBeGreaterThan(500);
    expect(channel.heartbeat?.intervalMs).toBeLessThan(2500);

    // The panel's message list labels the response rows with their Bayeux messages.
    const panel = await session.context.newPage();
    await panel.goto(`chrome-extension://${session.extensionId}/src/panel/panel.html?tabId=${tabId}`);
    // The long-polling channel's row (other /faye channels, sorted by severity, may come first).
    await panel.locator('.overview-table tbody tr', { hasText: '/faye' }).filter({ hasText: 'Long-poll' }).first().dblclick();
    await panel.waitForSelector('.detail');
    await panel.locator('[data-tab="messages"]').click();
    // The list is virtualised and follows a live channel's newest rows (MessageList's follow mode):
    // scroll it to the top, which stops following, to read the session's first rows.
    await panel.waitForFunction(() => Array.from(document.querySelectorAll('.vrow .c-label')).some((l) => /bayeux \/meta\/connect ok advice/.test(l.textContent ?? '')), null, { timeout: 15_000 });
    await panel.locator('.vlist').evaluate((el) => {
      el.scrollTop = 0;
      el.dispatchEvent(new Event('scroll'));
    });
    await panel.waitForFunction(() => Array.from(document.querySelectorAll('.vrow .c-label')).some((l) => /bayeux \/meta\/handshake ok/.test(l.textContent ?? '')), null, { timeout: 15_000 });
    const rows = await panel.locator('.vrow .c-label').allTextContents();
    expect(rows.some((r) => /bayeux \/meta\/connect ok advice/.test(r)), rows.join('\n')).toBe(true);
    expect(rows.some((r) => /bayeux message \/ticks/.test(r)), rows.join('\n')).toBe(true);
    await panel.close();
  });

  it('WebSocket: the handshake polls and the socket both read as bayeux, connects go out as heartbeats', async () => {
    const { page, tabId } = await open(FAYE_PAGE([], true));
    await untilLog(page, (log) => count(log, 'tick') >= 3 && count(log, 'published') >= 3, 'three ticks and three publishes');
    const c = await capture(tabId, (cc) => cc.channels.some((ch) => ch.transport === 'websocket' && ch.protocol === 'bayeux'));
    const socket = channelOf(c, 'websocket', '/faye');
    expect(socket.protocol, describeChannels(c.channels)).toBe('bayeux');
    const seen = labels(c, socket);
    expect(seen.some((l) => /^out heartbeat bayeux \/meta\/connect \(websocket\) id=\w+$/.test(l)), seen.join('\n')).toBe(true);
    expect(seen.some((l) => /^in heartbeat bayeux \/meta\/connect ok advice reconnect=retry timeout=1000 interval=0 id=\w+$/.test(l)), seen.join('\n')).toBe(true);
    expect(seen.some((l) => /^in data bayeux message \/ticks/.test(l)), seen.join('\n')).toBe(true);
    expect(seen.some((l) => /^out data bayeux publish \/chat id=\w+$/.test(l)), seen.join('\n')).toBe(true);
    expect(seen.filter((l) => / text "/.test(l))).toEqual([]);
    for (const channel of c.channels.filter((ch) => new URL(ch.url).pathname === '/faye')) expect(channel.protocol, describeChannels(c.channels)).toBe('bayeux');
    expect(socket.heartbeat?.intervalMs).toBeGreaterThan(0);
  });
});

/** graphql-sse's browser client (umd/graphql-sse.js): a query, then a subscription of 3 ticks. */
const GRAPHQL_SSE_PAGE = (singleConnection: boolean) => `<!doctype html><script src="/vendor/graphql-sse.js"></script><script>
  window.log = [];
  const client = graphqlSse.createClient({ url: location.origin + '/graphql/stream', singleConnection: ${singleConnection} });
  const run = (payload) => new Promise((resolve, reject) =>
    client.subscribe(payload, { next: (r) => log.push({ kind: 'next', r }), error: (e) => (log.push({ kind: 'error', e: String(e) }), reject(e)), complete: resolve }));
  run({ query: '{ hello }' })
    .then(() => run({ query: 'subscription Ticks { ticks(count: 3, every: 300) }' }))
    .then(() => log.push({ kind: 'done' }));
</script>`;

/** The SSE events of the capture's streams on the channels' path: `<event> <role> <label>` as the message list labels them. */
function sseLabels(c: Captured, channels: ChannelReport[]): string[] {
  const seen = new Set<CaptureEvent>();
  const out: string[] = [];
  for (const channel of channels) {
    for (const p of payloads(c, channel)) {
      if (p.event === undefined || seen.has(p.source)) continue;
      seen.add(p.source);
      const d = decodeMessage(channel.protocol, p.data, p.dir, { event: p.event });
      out.push(`${p.event} ${d.role} ${d.label}`);
    }
  }
  return out;
}

describe("Bayeux: the server's advice sets the analysis' expectations", { timeout: E2E_TIMEOUT_MS }, () => {
  it('a stall on the faye WebSocket is judged against 1.2 × advice.timeout, not the 60 s default', async () => {
    const { page, tabId } = await open(FAYE_PAGE([]));
    await untilLog(page, (log) => count(log, 'tick') >= 1 && count(log, 'published') === 1, 'a tick and the publish');
    const before = await capture(tabId, (cc) => cc.channels.some((ch) => ch.transport === 'websocket' && (ch.heartbeat?.intervalMs ?? 0) > 0));
    expect(channelOf(before, 'websocket', '/faye').heartbeat?.intervalMs).toBeGreaterThan(0);
    for (let i = 0; ; i++) {
      try {
        await session.injectFault(tabId, { fault: 'stall', durationMs: 4000, conn: null });
        break;
      } catch (error) {
        if (i > 30) throw error;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const c = await capture(tabId, (cc) => cc.channels.some((ch) => ch.transport === 'websocket' && ch.findings.some((f) => f.code === 'stall-undetected')));
    const socket = channelOf(c, 'websocket', '/faye');
    const finding = socket.findings.find((f) => f.code === 'stall-undetected');
    expect(finding, describeChannels(c.channels)).toBeDefined();
    const evidence = finding!.evidence as { expectedWithinMs: number };
    // One beat (the connect cycle, about 1 s here) plus the client's 1.2 × advice.timeout = 1.2 s;
    // faye's defaults would have said a beat plus 72 s.
    expect(evidence.expectedWithinMs - socket.heartbeat!.intervalMs!).toBeCloseTo(1200, 0);
  });
});

/** The CometD client (cometd 9.0.0, ES modules) against the faye server: the same Bayeux protocol from another library. */
const COMETD_PAGE = (transport: 'websocket' | 'long-polling') => `<!doctype html><script type="module">
  import { CometD } from '/vendor/cometd/cometd.js';
  window.log = [];
  const cometd = new CometD();
  ${transport === 'long-polling' ? "cometd.unregisterTransport('websocket');" : ''}
  // faye serves Bayeux at its mount path only: no /handshake, /connect suffixes (Client.js appendMessageTypeToURL).
  cometd.configure({ url: location.origin + '/faye', appendMessageTypeToURL: false });
  cometd.handshake((reply) => {
    log.push({ kind: 'handshake', ok: reply.successful });
    if (!reply.successful) return;
    cometd.subscribe('/ticks', (m) => log.push({ kind: 'tick', n: m.data.n }), () => {
      log.push({ kind: 'subscribed' });
      cometd.publish('/chat', { text: 'hi' }, (r) => log.push({ kind: 'published', ok: r.successful }));
    });
  });
</script>`;

describe('Bayeux (CometD client)', { timeout: E2E_TIMEOUT_MS }, () => {
  for (const transport of ['long-polling', 'websocket'] as const) {
    it(`${transport}: a CometD client reads as bayeux, its connects labelled as heartbeats`, async () => {
      const { page, tabId } = await open(COMETD_PAGE(transport));
      await untilLog(page, (log) => count(log, 'tick') >= 2 && count(log, 'published') === 1, 'two ticks and the publish');
      const c = await capture(tabId, (cc) => cc.channels.some((ch) => ch.protocol === 'bayeux' && (transport === 'long-polling' ? ch.transport === 'xhr' : ch.transport === 'websocket')));
      const faye = c.channels.filter((ch) => new URL(ch.url).pathname === '/faye');
      expect(faye.length, describeChannels(c.channels)).toBeGreaterThan(0);
      for (const channel of faye) expect(channel.protocol, describeChannels(c.channels)).toBe('bayeux');
      const seen = faye.flatMap((ch) => labels(c, ch));
      expect(seen.some((l) => /^in handshake bayeux \/meta\/handshake ok clientId=\w+ advice reconnect=retry timeout=1000 interval=0/.test(l)), seen.join('\n')).toBe(true);
      expect(seen.some((l) => /^in data bayeux message \/ticks/.test(l)), seen.join('\n')).toBe(true);
      expect(seen.some((l) => /^in heartbeat bayeux \/meta\/connect ok/.test(l)), seen.join('\n')).toBe(true);
      expect(seen.filter((l) => / text "/.test(l))).toEqual([]);
      if (transport === 'websocket') expect(seen.some((l) => /^out heartbeat bayeux \/meta\/connect \(websocket\)/.test(l)), seen.join('\n')).toBe(true);
      else expect(faye.find((ch) => ch.transport === 'xhr')?.kind).toBe('long-polling');
    });
  }
});

describe('GraphQL over SSE (graphql-sse)', { timeout: E2E_TIMEOUT_MS }, () => {
  it('distinct connections: each operation is a POST whose event stream reads as graphql-sse next/complete, not json', async () => {
    const { page, tabId } = await open(GRAPHQL_SSE_PAGE(false));
    const log = await untilLog(page, (l) => count(l, 'done') === 1 || count(l, 'error') > 0, 'both operations');
    expect(count(log, 'error'), JSON.stringify(log)).toBe(0);
    expect(count(log, 'next')).toBe(4);
    const c = await capture(tabId, (cc) => cc.events.filter((e) => e.type === 'sse.message' && e.event === 'complete').length >= 2);
    const streams = c.channels.filter((ch) => new URL(ch.url).pathname === '/graphql/stream');
    expect(streams.length, describeChannels(c.channels)).toBeGreaterThan(0);
    for (const ch of streams) expect(ch.protocol, describeChannels(c.channels)).toBe('graphql-sse');
    const seen = sseLabels(c, streams);
    expect(seen, seen.join('\n')).toEqual([
      'next data graphql-sse next hello',
      'complete control graphql-sse complete',
      'next data graphql-sse next ticks',
      'next data graphql-sse next ticks',
      'next data graphql-sse next ticks',
      'complete control graphql-sse complete',
    ]);

    // The panel's message list labels the stream's rows with the event and its decoding.
    const panel = await session.context.newPage();
    await panel.goto(`chrome-extension://${session.extensionId}/src/panel/panel.html?tabId=${tabId}`);
    await panel.locator('.overview-table tbody tr', { hasText: '/graphql/stream' }).first().dblclick();
    await panel.waitForSelector('.detail');
    await panel.locator('[data-tab="messages"]').click();
    await panel.waitForFunction(() => Array.from(document.querySelectorAll('.vrow .c-label')).filter((l) => /graphql-sse complete/.test(l.textContent ?? '')).length >= 2, null, { timeout: 15_000 });
    const rows = await panel.locator('.vrow .c-label').allTextContents();
    expect(rows, rows.join('\n')).toEqual(expect.arrayContaining(['event: next graphql-sse next hello', 'event: next graphql-sse next ticks', 'event: complete graphql-sse complete']));
    await panel.close();
  });

  it('single connection: the reservation PUT, the token-bearing stream and operations read as graphql-sse', async () => {
    const { page, tabId } = await open(GRAPHQL_SSE_PAGE(true));
    const log = await untilLog(page, (l) => count(l, 'done') === 1 || count(l, 'error') > 0, 'both operations');
    expect(count(log, 'error'), JSON.stringify(log)).toBe(0);
    const c = await capture(tabId, (cc) => cc.events.filter((e) => e.type === 'sse.message' && e.event === 'complete').length >= 2);
    const requests = c.events.filter((e): e is Extract<CaptureEvent, { type: 'http.request' }> => e.type === 'http.request' && e.url.includes('/graphql/stream'));
    expect(requests.map((r) => r.method)).toEqual(expect.arrayContaining(['PUT', 'GET', 'POST']));
    const streams = c.channels.filter((ch) => new URL(ch.url).pathname === '/graphql/stream');
    for (const ch of streams) expect(ch.protocol, describeChannels(c.channels)).toBe('graphql-sse');
    const all = streams.flatMap((ch) => labels(c, ch));
    expect(all, all.join('\n')).toContain('in handshake graphql-sse reservation token');
    const events = sseLabels(c, streams);
    expect(events.filter((l) => /^next data graphql-sse next id=[\w-]+ hello$/.test(l)), events.join('\n')).toHaveLength(1);
    expect(events.filter((l) => /^next data graphql-sse next id=[\w-]+ ticks$/.test(l)), events.join('\n')).toHaveLength(3);
    expect(events.filter((l) => /^complete control graphql-sse complete id=[\w-]+$/.test(l)), events.join('\n')).toHaveLength(2);
  });
});
