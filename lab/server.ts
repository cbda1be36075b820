/**
 * The demo lab: one local server (127.0.0.1 only, no internet) with a page per
 * real-time technique, each in a good and a bad variant, built on the real
 * libraries (socket.io, graphql-ws, ws) and reproducing the production
 * realities (a buffering proxy, a 30 s intermediary timeout, a blocked upgrade).
 *
 * Run it alone with `npx tsx lab/server.ts [--port 8080] [--scale 1]`.
 *
 * Every timing a page uses travels in its request's query string, so the server is
 * stateless about time except for engine.io's ping, which is per server and follows
 * `scale`. Per-client state (feeds, outages) is keyed by the page's random `client`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';
import { Server as SocketIoServer } from 'socket.io';
import { Server as EngineServer } from 'engine.io';
import { useServer } from 'graphql-ws/use/ws';
import { LAB_PAGES, labPath } from './catalog.ts';

export interface LabOptions {
  /** 0 picks a free port. */
  port?: number;
  /** Multiplies every timing of the pages (1 = realistic; tests use less). */
  scale?: number;
}

export interface Lab {
  /** http://127.0.0.1:<port> */
  url: string;
  scale: number;
  close(): Promise<void>;
}

const PAGES_DIR = join(import.meta.dirname, 'pages');
const require = createRequire(import.meta.url);
// graphql 16 has no "exports" map: bundler-style resolution (vitest, vite) picks index.mjs while graphql-ws,
// loaded by Node, gets index.js, and graphql refuses a schema from "another realm". Load it the way Node does.
const { GraphQLInt, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLString } = require('graphql') as typeof import('graphql');

/** Browser builds of the client libraries, served from node_modules. */
const VENDOR: Record<string, string> = {
  'socket.io.min.js': join(dirname(require.resolve('socket.io-client/package.json')), 'dist/socket.io.min.js'),
  'graphql-ws.min.js': join(dirname(require.resolve('graphql-ws/package.json')), 'umd/graphql-ws.min.js'),
};

// engine.io 6.6 lib/server.ts defaults (pingInterval 25000, pingTimeout 20000), which socket.io 4.8 keeps.
const ENGINE_PING_INTERVAL_MS = 25_000;
const ENGINE_PING_TIMEOUT_MS = 20_000;
// graphql-ws 6.4 src/use/ws.ts: useServer's keepAlive default (WebSocket ping control frames, invisible to pages).
const GRAPHQL_WS_SERVER_KEEPALIVE_MS = 12_000;
/** The credential of the lab's `/private/` pages (a demo value, not a secret). */
export const LAB_TOKEN = 'lab-demo-token';
/** Forget a client's feed or outage after this much silence. */
const CLIENT_IDLE_MS = 5 * 60_000;

/** Read a positive integer query parameter, clamped so a page cannot make the server spin. */
function msParam(url: URL, name: string, fallback: number, min = 10): number {
  const value = Number(url.searchParams.get(name));
  if (!Number.isFinite(value) || value <= 0) return fallback;
  return Math.max(min, Math.min(Math.round(value), 3_600_000));
}

function clientParam(url: URL): string {
  const client = url.searchParams.get('client') ?? 'anonymous';
  return /^[\w-]{1,64}$/.test(client) ? client : 'anonymous';
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Random delay around `mean` (±50%), so feeds look organic rather than metronomic. */
function around(mean: number): number {
  return Math.round(mean * (0.5 + Math.random()));
}

interface FeedEvent {
  id: number;
  at: number;
  value: number;
}

/** A per-client event source with cursor reads: what a long-poll backend waits on. */
class Feed {
  events: FeedEvent[] = [];
  private waiters = new Set<() => void>();
  private timer: NodeJS.Timeout | null = null;
  lastUsed = Date.now();

  constructor(private everyMs: number) {
    this.schedule();
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      const id = (this.events.at(-1)?.id ?? 0) + 1;
      this.events.push({ id, at: Date.now(), value: Math.round(Math.random() * 1000) });
      if (this.events.length > 100) this.events.shift();
      for (const wake of this.waiters) wake();
      this.schedule();
    }, around(this.everyMs));
  }

  after(cursor: number): FeedEvent[] {
    return this.events.filter((e) => e.id > cursor);
  }

  /** Resolve with the events after `cursor` as soon as there are some, or with [] after `holdMs`. */
  wait(cursor: number, holdMs: number, signal: AbortSignal): Promise<FeedEvent[]> {
    this.lastUsed = Date.now();
    const ready = this.after(cursor);
    if (ready.length) return Promise.resolve(ready);
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timeout);
        this.waiters.delete(wake);
        signal.removeEventListener('abort', finish);
        resolve(this.after(cursor));
      };
      const wake = () => finish();
      const timeout = setTimeout(finish, holdMs);
      this.waiters.add(wake);
      signal.addEventListener('abort', finish);
    });
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const wake of this.waiters) wake();
  }
}

/** Up/down cycle of a flaky backend, per client: up for `upMs`, then refusing connections for `downMs`. */
interface Outage {
  start: number;
  upMs: number;
  downMs: number;
  lastUsed: number;
}

function outagePhase(outage: Outage, now: number): { up: boolean; msLeft: number } {
  if (outage.downMs === 0) return { up: true, msLeft: Infinity };
  const cycle = outage.upMs + outage.downMs;
  const into = (now - outage.start) % cycle;
  return into < outage.upMs ? { up: true, msLeft: outage.upMs - into } : { up: false, msLeft: cycle - into };
}

function graphqlSchema(): import('graphql').GraphQLSchema {
  return new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields: { hello: { type: GraphQLString, resolve: () => 'lab' } } }),
    subscription: new GraphQLObjectType({
      name: 'Subscription',
      fields: {
        ticks: {
          type: GraphQLInt,
          args: { every: { type: new GraphQLNonNull(GraphQLInt) } },
          subscribe: async function* (_root: unknown, args: { every: number }) {
            const every = Math.max(50, Math.min(args.every, 3_600_000));
            for (let n = 1; ; n++) {
              await new Promise((resolve) => setTimeout(resolve, n === 1 ? 200 : around(every)));
              yield { ticks: n };
            }
          },
        },
      },
    }),
  });
}

/** Start the lab. Resolves once it listens. */
export async function startLab(options: LabOptions = {}): Promise<Lab> {
  const scale = options.scale ?? 1;
  const started = Date.now();
  const feeds = new Map<string, Feed>();
  const outages = new Map<string, Outage>();

  const sweep = setInterval(() => {
    const now = Date.now();
    for (const [key, feed] of feeds) if (now - feed.lastUsed > CLIENT_IDLE_MS) (feed.stop(), feeds.delete(key));
    for (const [key, outage] of outages) if (now - outage.lastUsed > CLIENT_IDLE_MS) outages.delete(key);
  }, 60_000);

  function feedFor(key: string, everyMs: number): Feed {
    let feed = feeds.get(key);
    if (!feed) feeds.set(key, (feed = new Feed(everyMs)));
    return feed;
  }

  // socket.io on an engine we route ourselves, so that one path can sit "behind a proxy" that refuses upgrades.
  const engine = new EngineServer({
    pingInterval: Math.round(ENGINE_PING_INTERVAL_MS * scale),
    pingTimeout: Math.round(ENGINE_PING_TIMEOUT_MS * scale),
    cors: undefined,
  });
  const io = new SocketIoServer({ serveClient: false });
  io.bind(engine);
  io.on('connection', (socket) => {
    const everyMs = Math.max(50, Number(socket.handshake.query.every) || 5000 * scale);
    let timer: NodeJS.Timeout;
    const tick = () => {
      socket.emit('price', { symbol: 'LAB', value: Math.round(Math.random() * 10_000) / 100 });
      timer = setTimeout(tick, around(everyMs));
    };
    timer = setTimeout(tick, around(everyMs));
    socket.on('disconnect', () => clearTimeout(timer));
  });

  const wsHeartbeat = new WebSocketServer({ noServer: true });
  wsHeartbeat.on('connection', (ws: WebSocket, req: IncomingMessage) => {
    const url = new URL(req.url ?? '/', 'http://lab');
    const everyMs = msParam(url, 'every', 5000 * scale, 50);
    let seq = 0;
    let timer: NodeJS.Timeout;
    const push = () => {
      ws.send(JSON.stringify({ type: 'update', seq: ++seq, value: Math.round(Math.random() * 1000) }));
      timer = setTimeout(push, around(everyMs));
    };
    timer = setTimeout(push, around(everyMs));
    ws.on('message', (data) => {
      try {
        const message = JSON.parse(String(data)) as { type?: string; id?: unknown };
        if (message.type === 'ping') ws.send(JSON.stringify({ type: 'pong', id: message.id ?? null }));
      } catch {
        // Not JSON: the lab ignores it, as a server would.
      }
    });
    ws.on('close', () => clearTimeout(timer));
  });

  const wsIdle = new WebSocketServer({ noServer: true });
  wsIdle.on('connection', (ws: WebSocket) => {
    ws.send(JSON.stringify({ type: 'connected', server: 'lab' }));
  });

  const wsFlaky = new WebSocketServer({ noServer: true });
  wsFlaky.on('connection', (ws: WebSocket, req: IncomingMessage) => {
    const url = new URL(req.url ?? '/', 'http://lab');
    const outage = outages.get(clientParam(url));
    const everyMs = msParam(url, 'every', 1000 * scale, 50);
    const tick = setInterval(() => ws.send(JSON.stringify({ type: 'tick', t: Date.now() })), everyMs);
    const msLeft = outage ? outagePhase(outage, Date.now()).msLeft : Infinity;
    // The backend dies: no close frame, the TCP connection just ends (the page sees 1006).
    const crash = Number.isFinite(msLeft) ? setTimeout(() => ws.terminate(), msLeft) : null;
    ws.on('close', () => {
      clearInterval(tick);
      if (crash) clearTimeout(crash);
    });
  });

  const wsGraphql = new WebSocketServer({ noServer: true });
  const graphqlServer = useServer({ schema: graphqlSchema() }, wsGraphql, GRAPHQL_WS_SERVER_KEEPALIVE_MS);

  function rejectUpgrade(socket: Duplex, status: string): void {
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  }

  function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://lab');
    const path = url.pathname;
    if (path.startsWith('/socket.io/')) return engine.handleUpgrade(req, socket, head);
    // The "corporate proxy" in front of this path strips the Upgrade, and the backend answers a plain GET with 400.
    if (path.startsWith('/behind-proxy/socket.io/')) return rejectUpgrade(socket, '400 Bad Request');
    if (path === '/graphql') return wsGraphql.handleUpgrade(req, socket, head, (ws) => wsGraphql.emit('connection', ws, req));
    if (path === '/ws/heartbeat') return wsHeartbeat.handleUpgrade(req, socket, head, (ws) => wsHeartbeat.emit('connection', ws, req));
    if (path === '/ws/idle') return wsIdle.handleUpgrade(req, socket, head, (ws) => wsIdle.emit('connection', ws, req));
    if (path === '/ws/flaky') {
      const client = clientParam(url);
      let outage = outages.get(client);
      if (!outage) {
        outage = { start: Date.now(), upMs: msParam(url, 'up', 6000 * scale), downMs: 0, lastUsed: Date.now() };
        outage.downMs = url.searchParams.get('down') === '0' ? 0 : msParam(url, 'down', 20_000 * scale);
        outages.set(client, outage);
      }
      outage.lastUsed = Date.now();
      if (!outagePhase(outage, Date.now()).up) return rejectUpgrade(socket, '503 Service Unavailable');
      return wsFlaky.handleUpgrade(req, socket, head, (ws) => wsFlaky.emit('connection', ws, req));
    }
    rejectUpgrade(socket, '404 Not Found');
  }

  function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
    res.end(text);
  }

  function pollData(url: URL): { version: number; body: string } {
    const changeMs = msParam(url, 'change', 30_000 * scale);
    const version = Math.floor((Date.now() - started) / changeMs);
    const items = Array.from({ length: 20 }, (_, i) => ({ id: i + 1, name: `item ${i + 1}`, stock: (version * 7 + i * 3) % 50 }));
    return { version, body: JSON.stringify({ version, items }) };
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://lab');
    const path = url.pathname;
    const closed = new AbortController();
    res.on('close', () => closed.abort());

    if (path.startsWith('/socket.io/')) return engine.handleRequest(req, res);
    if (path.startsWith('/behind-proxy/socket.io/')) {
      // The proxy forwards plain HTTP (engine.io's long-polling) unchanged.
      req.url = (req.url ?? '').replace('/behind-proxy', '');
      return engine.handleRequest(req, res);
    }
    if (path === '/favicon.ico') return void res.writeHead(204).end();
    if (path === '/' || path === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return void res.end(indexHtml(scale));
    }
    if (path === '/lab.js') {
      const source = await readFile(join(PAGES_DIR, 'lab.js'), 'utf8');
      const config = { scale, pages: LAB_PAGES.map(({ id, title, summary, variant }) => ({ id, title, summary, variant })) };
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' });
      return void res.end(`window.LAB_CONFIG = ${JSON.stringify(config)};\n${source}`);
    }
    // The same pages "behind a login", to try `audit --header` and `--cookie`: a bearer token or a session cookie.
    const privateMatch = /^\/private(\/pages\/[a-z-]+\.html)$/.exec(path);
    if (privateMatch) {
      const cookies = (req.headers.cookie ?? '').split(';').map((c) => c.trim());
      if (req.headers.authorization !== `Bearer ${LAB_TOKEN}` && !cookies.includes(`lab_session=${LAB_TOKEN}`)) {
        res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' });
        return void res.end('log in first\n');
      }
    }
    const pageMatch = /^\/pages\/([a-z-]+)\.html$/.exec(privateMatch?.[1] ?? path);
    if (pageMatch) {
      const html = await readFile(join(PAGES_DIR, `${pageMatch[1]}.html`), 'utf8').catch(() => null);
      if (html === null) return sendJson(res, 404, { error: 'no such page' });
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      return void res.end(html);
    }
    const vendorFile = VENDOR[/^\/vendor\/([\w.-]+)$/.exec(path)?.[1] ?? ''];
    if (vendorFile) {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
      return void res.end(await readFile(vendorFile));
    }

    if (path === '/api/poll/naive') return sendJson(res, 200, JSON.parse(pollData(url).body));
    if (path === '/api/poll/etag') {
      const { version, body } = pollData(url);
      const etag = `"v${version}"`;
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, { etag, 'cache-control': 'no-cache' });
        return void res.end();
      }
      res.writeHead(200, { 'content-type': 'application/json', etag, 'cache-control': 'no-cache' });
      return void res.end(body);
    }

    if (path === '/api/longpoll' || path === '/proxy/longpoll') {
      const feed = feedFor(`${path}:${clientParam(url)}`, msParam(url, 'every', 5000 * scale));
      const cursor = Number(url.searchParams.get('cursor')) || 0;
      const holdMs = msParam(url, 'hold', 25_000 * scale);
      if (path === '/proxy/longpoll') {
        // An intermediary with a shorter timeout than the backend's hold answers 504 and drops the backend's answer.
        const timeoutMs = msParam(url, 'timeout', 30_000 * scale);
        const proxyGaveUp = new AbortController();
        const cut = setTimeout(() => proxyGaveUp.abort(), timeoutMs);
        closed.signal.addEventListener('abort', () => proxyGaveUp.abort());
        const events = await feed.wait(cursor, holdMs, proxyGaveUp.signal);
        clearTimeout(cut);
        if (res.destroyed) return;
        if (proxyGaveUp.signal.aborted && !events.length) {
          res.writeHead(504, { 'content-type': 'text/html', 'cache-control': 'no-store' });
          return void res.end('<html><body><h1>504 Gateway Time-out</h1></body></html>');
        }
        return sendJson(res, 200, { cursor: events.at(-1)?.id ?? cursor, events });
      }
      const events = await feed.wait(cursor, holdMs, closed.signal);
      if (res.destroyed) return;
      return sendJson(res, 200, { cursor: events.at(-1)?.id ?? cursor, events });
    }

    if (path === '/sse/feed') return sseFeed(req, res, url, closed.signal);
    if (path === '/proxy/sse') return sseBuffered(res, url, closed.signal);

    sendJson(res, 404, { error: 'not found' });
  }

  /** SSE with id:, retry:, and a server that ends the stream after `end` ms; resumes after Last-Event-ID. */
  function sseFeed(req: IncomingMessage, res: ServerResponse, url: URL, closed: AbortSignal): void {
    const everyMs = msParam(url, 'every', 2000 * scale, 50);
    const endMs = msParam(url, 'end', 20_000 * scale, 100);
    const retryMs = msParam(url, 'retry', 3000 * scale, 50);
    const lastEventId = Number(req.headers['last-event-id']);
    let id = Number.isFinite(lastEventId) ? lastEventId : 0;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
    res.write(`retry: ${retryMs}\n: resumed after ${Number.isFinite(lastEventId) ? lastEventId : 'nothing'}\n\n`);
    let timer: NodeJS.Timeout;
    const emit = () => {
      id += 1;
      res.write(`id: ${id}\nevent: tick\ndata: ${JSON.stringify({ n: id, value: Math.round(Math.random() * 1000) })}\n\n`);
      timer = setTimeout(emit, around(everyMs));
    };
    timer = setTimeout(emit, around(everyMs));
    const end = setTimeout(() => res.end(), endMs);
    closed.addEventListener('abort', () => {
      clearTimeout(timer);
      clearTimeout(end);
    });
  }

  /** An SSE backend that emits every `every` ms behind a proxy that flushes its buffer every `flush` ms. */
  function sseBuffered(res: ServerResponse, url: URL, closed: AbortSignal): void {
    const everyMs = msParam(url, 'every', 1000 * scale, 50);
    const flushMs = msParam(url, 'flush', 10_000 * scale, 100);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
    res.flushHeaders();
    let id = 0;
    let buffered = '';
    const produce = setInterval(() => {
      id += 1;
      buffered += `id: ${id}\ndata: ${JSON.stringify({ n: id, at: Date.now() })}\n\n`;
    }, everyMs);
    const flush = setInterval(() => {
      if (buffered) res.write(buffered);
      buffered = '';
    }, flushMs);
    closed.addEventListener('abort', () => {
      clearInterval(produce);
      clearInterval(flush);
    });
  }

  const server = createServer((req, res) => {
    onRequest(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: String(err) });
      else res.destroy();
    });
  });
  server.on('upgrade', onUpgrade);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('lab: no TCP address');

  return {
    url: `http://127.0.0.1:${address.port}`,
    scale,
    async close() {
      clearInterval(sweep);
      for (const feed of feeds.values()) feed.stop();
      await Promise.resolve(graphqlServer.dispose()).catch(() => {});
      io.disconnectSockets(true);
      engine.close();
      for (const wss of [wsHeartbeat, wsIdle, wsFlaky, wsGraphql]) {
        for (const client of wss.clients) client.terminate();
        wss.close();
      }
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function indexHtml(scale: number): string {
  const techniques = [...new Set(LAB_PAGES.map((p) => p.page))];
  const sections = techniques.map((technique) => {
    const rows = LAB_PAGES.filter((p) => p.page === technique)
      .map(
        (p) =>
          `<li class="${p.variant}"><a href="${escapeHtml(labPath(p))}">${escapeHtml(p.title)}</a> <b>${p.variant}</b><br><small>${escapeHtml(p.summary)}</small></li>`,
      )
      .join('\n');
    return `<h2>${escapeHtml(technique)}</h2>\n<ul>${rows}</ul>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Realtime Inspector lab</title>
<style>body{font:15px system-ui,sans-serif;max-width:56rem;margin:2rem auto;padding:0 1rem}li{margin:.6rem 0}
b{font-size:.75rem;padding:.1rem .35rem;border-radius:.3rem}.good b{background:#d6f5d6}.bad b{background:#f9d6d6}small{color:#555}</style>
</head><body>
<h1>Realtime Inspector lab</h1>
<p>One page per real-time technique, each in a good and a bad variant. Open DevTools on a page and pick the <b>Realtime</b> panel.
Time scale: ${scale} (timings below are at scale 1).</p>
${sections.join('\n')}
</body></html>`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const value = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const lab = await startLab({ port: Number(value('--port') ?? 8080), scale: Number(value('--scale') ?? 1) });
  process.stdout.write(`Realtime Inspector lab: ${lab.url}/\n`);
  const stop = () => void lab.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
