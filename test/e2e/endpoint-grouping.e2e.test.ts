/**
 * Endpoint grouping in real Chromium with the built extension, through `audit`: a real
 * @microsoft/signalr client (negotiate, then the WebSocket `?id=<connectionToken>`) whose
 * server hands out connection tokens with no digit and no capital (nothing a pattern of
 * "what a token looks like" would fold) and drops the socket twice. Its reconnect history
 * must stay one channel. On the same page, a poller of `?topic=a` and `?topic=b` must
 * stay two.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { WebSocketServer } from 'ws';
import { launchInspector, type InspectorSession } from '../../src/cli/browser.ts';
import { auditPage } from '../../src/cli/audit-run.ts';
import { serveSignalrHub, signalrNegotiateResponse } from '../support/protocol-servers.ts';

const require = createRequire(import.meta.url);
/** @microsoft/signalr 10.0 browser build (dist/browser/signalr.js), as a page loads it. */
const SIGNALR_JS = readFileSync(require.resolve('@microsoft/signalr/dist/browser/signalr.js'), 'utf8');

/** The server drops the first sockets this long after the handshake: two reconnects. */
const DROP_AFTER_MS = 1200;
const DROPS = 2;

/** 22 lowercase letters: as long as an ASP.NET Core connection token, with no digit and no capital. */
function letterToken(): string {
  let token = '';
  for (let i = 0; i < 22; i++) token += String.fromCharCode(97 + randomInt(26));
  return token;
}

const PAGE = `<!doctype html><title>signalr</title><script src="/vendor/signalr.js"></script><script>
const connection = new signalR.HubConnectionBuilder()
  .withUrl('/hub')
  .withAutomaticReconnect([0, 300, 300, 300])
  .configureLogging(signalR.LogLevel.None)
  .build();
connection.start();
let round = 0;
const poll = () => {
  if (round++ >= 6) return;
  fetch('/api/feed?topic=' + (round % 2 ? 'a' : 'b')).then((r) => r.text()).then(() => setTimeout(poll, 300));
};
poll();
</script>`;

let server: Server;
let origin: string;
let session: InspectorSession;
const tokens: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/page') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(PAGE);
    } else if (url.pathname === '/vendor/signalr.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(SIGNALR_JS);
    } else if (url.pathname === '/hub/negotiate' && req.method === 'POST') {
      const token = letterToken();
      tokens.push(token);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(signalrNegotiateResponse(token, ['WebSockets']));
    } else if (url.pathname === '/api/feed') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify({ topic: url.searchParams.get('topic'), at: Date.now() }));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  const wss = new WebSocketServer({ server, path: '/hub' });
  let sockets = 0;
  wss.on('connection', (socket) => {
    const n = sockets++;
    serveSignalrHub(socket, {
      onHandshake() {
        if (n < DROPS) setTimeout(() => socket.terminate(), DROP_AFTER_MS);
      },
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  session = await launchInspector();
}, 60_000);

afterAll(async () => {
  await session?.close();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => server?.close(() => resolve()));
});

describe('endpoint grouping (real Chromium, built extension, audit)', { timeout: 90_000 }, () => {
  it('a SignalR client reconnecting with digitless tokens is one channel; ?topic=a and ?topic=b are two', async () => {
    const run = await auditPage(session, { url: `${origin}/page`, durationMs: DROPS * DROP_AFTER_MS + 4000, faults: [] });
    const list = run.report.channels.map((c) => `${c.transport} ${c.url} ×${c.connections}`).join('; ');
    console.log(`tokens ${tokens.join(', ')}; channels: ${list}`);
    expect(tokens.length, list).toBeGreaterThanOrEqual(DROPS + 1);
    for (const token of tokens) expect(token).toMatch(/^[a-z]{22}$/);
    const sockets = run.report.channels.filter((c) => c.transport === 'websocket');
    expect(sockets.map((c) => c.url), list).toEqual([`${origin.replace('http:', 'ws:')}/hub?id=:token`]);
    expect(sockets[0]!.protocol).toBe('signalr');
    expect(sockets[0]!.connections, list).toBe(tokens.length);
    expect(sockets[0]!.reconnects.length, list).toBe(tokens.length - 1);
    const feeds = run.report.channels.filter((c) => c.url.includes('/api/feed')).map((c) => c.url).sort();
    expect(feeds, list).toEqual([`${origin}/api/feed?topic=a`, `${origin}/api/feed?topic=b`]);
  });
});
