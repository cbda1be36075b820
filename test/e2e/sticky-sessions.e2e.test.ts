/**
 * Sticky sessions, end to end through `audit` with the built extension in real Chromium:
 * two real server instances behind a local load balancer (test/support/round-robin-proxy.ts).
 * - SockJS: two sockjs 0.3 servers (WebSocket off, as behind a proxy that does not pass
 *   upgrades) and a real sockjs-client 1.6 on xhr-polling. Round-robin sends the session's
 *   requests to both instances: the finding must name it. Routed by the /<server>/ path
 *   segment (what SockJS puts it there for), nothing is reported.
 * - SignalR: a real @microsoft/signalr 10 client, negotiate then connect, against two
 *   instances that each know only the connection tokens they issued (as ASP.NET Core's
 *   HttpConnectionDispatcher: 404 "No Connection with that ID" otherwise). Round-robin: the
 *   finding names the WebSocket channel; everything on one instance: nothing reported.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AddressInfo, Socket } from 'node:net';
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { WebSocketServer } from 'ws';
import { launchInspector, type InspectorSession } from '../../src/cli/browser.ts';
import { auditPage, type AuditRun } from '../../src/cli/audit-run.ts';
import type { ChannelReport, Finding } from '../../src/core/report-types.ts';
import { serveSignalrHub, signalrNegotiateResponse } from '../support/protocol-servers.ts';
import { startRoundRobinProxy, type RoundRobinProxy } from '../support/round-robin-proxy.ts';

const require = createRequire(import.meta.url);
/** sockjs-client 1.6 browser build, @microsoft/signalr 10.0 browser build: as pages load them. */
const SOCKJS_JS = readFileSync(require.resolve('sockjs-client/dist/sockjs.min.js'), 'utf8');
const SIGNALR_JS = readFileSync(require.resolve('@microsoft/signalr/dist/browser/signalr.js'), 'utf8');

const SOCKJS_PAGE = `<!doctype html><title>sockjs</title><script src="/vendor/sockjs.js"></script><script>
let attempts = 0;
function connect() {
  const sock = new SockJS('/echo', null, { transports: ['xhr-polling'] });
  sock.onopen = () => sock.send('hello ' + attempts);
  sock.onclose = () => { if (++attempts < 3) setTimeout(connect, 300); };
}
connect();
</script>`;

const SIGNALR_PAGE = `<!doctype html><title>signalr</title><script src="/vendor/signalr.js"></script><script>
let attempts = 0;
function start() {
  const connection = new signalR.HubConnectionBuilder().withUrl('/hub').configureLogging(signalR.LogLevel.None).build();
  connection.start().catch(() => { if (++attempts < 3) setTimeout(start, 300); });
}
start();
</script>`;

/** 22 lowercase letters, as long as an ASP.NET Core connection token. */
function letterToken(): string {
  let token = '';
  for (let i = 0; i < 22; i++) token += String.fromCharCode(97 + randomInt(26));
  return token;
}

const NO_CONNECTION = 'No Connection with that ID';

/** One server instance: the pages and vendor scripts, and a SignalR hub at /hub knowing only the tokens it issued. */
async function startInstance(): Promise<Server> {
  const tokens = new Set<string>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (url.pathname === '/page/sockjs') send(200, 'text/html; charset=utf-8', SOCKJS_PAGE);
    else if (url.pathname === '/page/signalr') send(200, 'text/html; charset=utf-8', SIGNALR_PAGE);
    else if (url.pathname === '/vendor/sockjs.js') send(200, 'text/javascript', SOCKJS_JS);
    else if (url.pathname === '/vendor/signalr.js') send(200, 'text/javascript', SIGNALR_JS);
    else if (url.pathname === '/hub/negotiate' && req.method === 'POST') {
      const token = letterToken();
      tokens.add(token);
      send(200, 'application/json', signalrNegotiateResponse(token, ['WebSockets', 'LongPolling']));
    } else if (url.pathname === '/hub') {
      // Long polling: only the issuing instance knows the token (the other answers as ASP.NET Core does).
      if (!tokens.has(url.searchParams.get('id') ?? '')) send(404, 'text/plain', NO_CONNECTION);
      else send(204, 'text/plain', '');
    } else send(404, 'text/plain', 'not found');
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/hub' && tokens.has(url.searchParams.get('id') ?? '')) {
      wss.handleUpgrade(req, socket, head, (ws) => serveSignalrHub(ws));
      return;
    }
    socket.end(`HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: ${NO_CONNECTION.length}\r\nConnection: close\r\n\r\n${NO_CONNECTION}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** A SockJS instance in its own process (test/support/sockjs-instance.mjs); resolves with its port. */
function startSockjsInstance(): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(fileURLToPath(new URL('../support/sockjs-instance.mjs', import.meta.url)), [], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdout!.once('data', (d: Buffer) => resolve({ child, port: Number(d.toString().trim()) }));
  });
}

/** Backends 0 and 1: instances serving the pages and the SignalR hub; 2 and 3: SockJS instances. */
let instances: Server[] = [];
let sockjsInstances: Array<{ child: ChildProcess; port: number }> = [];
let session: InspectorSession;
const proxies: RoundRobinProxy[] = [];

beforeAll(async () => {
  instances = [await startInstance(), await startInstance()];
  sockjsInstances = [await startSockjsInstance(), await startSockjsInstance()];
  session = await launchInspector();
}, 60_000);

afterAll(async () => {
  await session?.close();
  for (const p of proxies) await p.close();
  for (const s of instances) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
  for (const { child } of sockjsInstances) child.kill();
});

/**
 * A balancer: the app's own paths (/echo for SockJS, /hub for SignalR) go to the backend
 * `pick` chooses of its two (round-robin unless given), everything else (pages, scripts,
 * the favicon) to backend 0, so the browser's own requests do not shift the rotation.
 */
async function proxy(pick?: (path: string, next: number) => number): Promise<RoundRobinProxy> {
  const backends = [...instances.map((s) => (s.address() as AddressInfo).port), ...sockjsInstances.map((s) => s.port)].map((port) => ({ host: '127.0.0.1', port }));
  let counter = 0;
  const p = await startRoundRobinProxy(backends, (req) => {
    const path = req.url ?? '';
    const app = path.startsWith('/echo') ? 2 : path.startsWith('/hub') ? 0 : -1;
    if (app < 0) return 0;
    const next = counter++ % 2;
    return app + (pick ? pick(path, next) : next);
  });
  proxies.push(p);
  return p;
}

const sticky = (c: ChannelReport): Finding | undefined => c.findings.find((f) => f.code === 'no-sticky-sessions');
const describeRun = (run: AuditRun) => run.report.channels.map((c) => `${c.transport} ${c.url} ×${c.connections} [${c.findings.map((f) => f.code).join(',')}]`).join('; ');

describe('sticky sessions behind a load balancer (real Chromium, built extension, audit)', { timeout: 90_000 }, () => {
  it('SockJS on xhr-polling, round-robin: the session reaches both servers and the finding says so', async () => {
    const p = await proxy();
    const run = await auditPage(session, { url: `${p.origin}/page/sockjs`, durationMs: 5000, faults: [] });
    const context = describeRun(run);
    console.log(`sockjs round-robin: ${context}`);
    const named = run.report.channels.filter((c) => sticky(c) !== undefined);
    expect(named.length, context).toBeGreaterThan(0);
    for (const c of named) expect(c.url, context).toMatch(/\/echo\/:server\/:session\/xhr(_send)?$/);
    const evidence = named.map((c) => sticky(c)!.evidence);
    expect(evidence.some((e) => (e.reopenedSessions as number) > 0 || e.status === 404), context).toBe(true);
    // Both instances saw the session's requests.
    const backendsOf = new Set(p.log.filter((l) => /\/echo\/\d+\//.test(l.path)).map((l) => l.backend));
    expect(backendsOf).toEqual(new Set([2, 3]));
  });

  it('SockJS routed by its /<server>/ segment: nothing reported', async () => {
    const p = await proxy((path, next) => {
      const m = /\/echo\/(\d{1,3})\//.exec(path);
      return m ? Number(m[1]) % 2 : next;
    });
    const run = await auditPage(session, { url: `${p.origin}/page/sockjs`, durationMs: 4000, faults: [] });
    const context = describeRun(run);
    expect(run.report.channels.some((c) => c.url.endsWith('/xhr')), context).toBe(true);
    for (const c of run.report.channels) expect(sticky(c), context).toBeUndefined();
  });

  it('SignalR negotiate then connect, round-robin: the negotiated token is refused by the other server, on the WebSocket channel', async () => {
    const p = await proxy();
    const run = await auditPage(session, { url: `${p.origin}/page/signalr`, durationMs: 5000, faults: [] });
    const context = describeRun(run);
    console.log(`signalr round-robin: ${context}`);
    const ws = run.report.channels.filter((c) => c.transport === 'websocket');
    expect(ws, context).toHaveLength(1);
    const finding = sticky(ws[0]!);
    expect(finding, context).toBeDefined();
    console.log(`signalr finding: ${finding!.message}`);
    expect(finding!.evidence.negotiatedRefused as number).toBeGreaterThanOrEqual(1);
    // The WebSocket was refused for its token, not blocked on the way: no upgrade-blocked verdict on any channel.
    for (const c of run.report.channels) expect(c.findings.map((f) => f.code), context).not.toContain('ws-upgrade-blocked');
  });

  it('SignalR with every request on one server: it connects and nothing is reported', async () => {
    const p = await proxy(() => 0);
    const run = await auditPage(session, { url: `${p.origin}/page/signalr`, durationMs: 4000, faults: [] });
    const context = describeRun(run);
    const ws = run.report.channels.filter((c) => c.transport === 'websocket');
    expect(ws, context).toHaveLength(1);
    expect(ws[0]!.protocol).toBe('signalr');
    for (const c of run.report.channels) expect(sticky(c), context).toBeUndefined();
  });
});
