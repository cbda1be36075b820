import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { LAB_TOKEN, startLab, type Lab } from '../../lab/server.ts';
import { LAB_PAGES, labPath } from '../../lab/catalog.ts';

let lab: Lab;
beforeAll(async () => {
  lab = await startLab({ port: 0, scale: 0.1 });
});
afterAll(async () => {
  await lab?.close();
});

const ws = (path: string) => new WebSocket(`${lab.url.replace('http', 'ws')}${path}`);

/** Resolve with the close code, or with the HTTP status of a refused handshake. */
function outcome(socket: WebSocket): Promise<{ opened: boolean; code?: number; status?: number }> {
  return new Promise((resolve) => {
    let opened = false;
    socket.on('open', () => (opened = true));
    socket.on('unexpected-response', (_req, res) => {
      resolve({ opened, status: res.statusCode });
      socket.terminate();
    });
    socket.on('close', (code) => resolve({ opened, code }));
    socket.on('error', () => {});
  });
}

describe('lab server', () => {
  it('listens on 127.0.0.1 and lists every catalog page on the index', async () => {
    expect(lab.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const index = await (await fetch(`${lab.url}/`)).text();
    for (const page of LAB_PAGES) {
      expect(index).toContain(labPath(page).replace(/&/g, '&#38;'));
      const html = await fetch(`${lab.url}${labPath(page)}`);
      expect(html.status, page.id).toBe(200);
    }
    for (const lib of ['socket.io.min.js', 'graphql-ws.min.js']) {
      const res = await fetch(`${lab.url}/vendor/${lib}`);
      expect(res.status).toBe(200);
      expect((await res.text()).length).toBeGreaterThan(10_000);
    }
    expect((await fetch(`${lab.url}/pages/..%2Fserver.ts`)).status).toBe(404);
  });

  it('serves /private/ pages only with the bearer token or the session cookie', async () => {
    const path = `/private${labPath(LAB_PAGES[0]!)}`;
    expect((await fetch(`${lab.url}${path}`)).status).toBe(401);
    expect((await fetch(`${lab.url}${path}`, { headers: { Authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(`${lab.url}${path}`, { headers: { Authorization: `Bearer ${LAB_TOKEN}` } })).status).toBe(200);
    expect((await fetch(`${lab.url}${path}`, { headers: { Cookie: `other=1; lab_session=${LAB_TOKEN}` } })).status).toBe(200);
  });

  it('naive polling repeats the same body; ETag polling answers 304 to a matching If-None-Match', async () => {
    const a = await (await fetch(`${lab.url}/api/poll/naive?client=t1&change=60000`)).text();
    const b = await (await fetch(`${lab.url}/api/poll/naive?client=t1&change=60000`)).text();
    expect(b).toBe(a);
    const first = await fetch(`${lab.url}/api/poll/etag?client=t1&change=60000`);
    const etag = first.headers.get('etag');
    expect(first.status).toBe(200);
    expect(etag).toMatch(/^"v\d+"$/);
    const again = await fetch(`${lab.url}/api/poll/etag?client=t1&change=60000`, { headers: { 'If-None-Match': etag! } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });

  it('long-poll holds until the hold expires when nothing happens, and the proxy cuts at its timeout with 504', async () => {
    let started = Date.now();
    const held = await fetch(`${lab.url}/api/longpoll?client=t2&hold=600&every=600000&cursor=0`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(550);
    expect(await held.json()).toEqual({ cursor: 0, events: [] });
    started = Date.now();
    const cut = await fetch(`${lab.url}/proxy/longpoll?client=t2&timeout=400&hold=5000&every=600000&cursor=0`);
    const elapsed = Date.now() - started;
    expect(cut.status).toBe(504);
    expect(elapsed).toBeGreaterThanOrEqual(350);
    expect(elapsed).toBeLessThan(2000);
  });

  it('long-poll answers as soon as the feed has an event', async () => {
    const started = Date.now();
    const res = await fetch(`${lab.url}/api/longpoll?client=t3&hold=10000&every=200&cursor=0`);
    const body = (await res.json()) as { cursor: number; events: unknown[] };
    expect(body.events.length).toBeGreaterThan(0);
    expect(body.cursor).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('SSE sends retry: and id:, ends the stream, and resumes after Last-Event-ID', async () => {
    const first = await (await fetch(`${lab.url}/sse/feed?every=60&end=700&retry=500`)).text();
    expect(first).toMatch(/^retry: 500\n/);
    const ids = [...first.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(ids.length).toBeGreaterThan(2);
    expect(ids).toEqual(ids.map((_, i) => i + 1));
    const resumed = await (await fetch(`${lab.url}/sse/feed?every=60&end=400&retry=500`, { headers: { 'Last-Event-ID': '41' } })).text();
    expect(resumed.match(/^id: (\d+)$/m)?.[1]).toBe('42');
  });

  it('the buffering proxy delivers SSE events in bursts', async () => {
    const controller = new AbortController();
    const res = await fetch(`${lab.url}/proxy/sse?every=50&flush=500`, { signal: controller.signal });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    const bursts: Array<{ at: number; events: number }> = [];
    const started = Date.now();
    while (bursts.length < 2) {
      const { value } = await reader.read();
      const events = (decoder.decode(value).match(/^data: /gm) ?? []).length;
      if (events) bursts.push({ at: Date.now() - started, events });
    }
    controller.abort();
    const [first, second] = bursts;
    expect(first?.events).toBeGreaterThanOrEqual(4);
    expect(second?.events).toBeGreaterThanOrEqual(4);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(400);
  });

  it('answers the JSON heartbeat and keeps the idle socket silent after its welcome', async () => {
    const hb = ws('/ws/heartbeat?every=100000');
    await new Promise((r) => hb.once('open', r));
    hb.send(JSON.stringify({ type: 'ping', id: 7 }));
    const pong = await new Promise<string>((r) => hb.once('message', (d) => r(String(d))));
    expect(JSON.parse(pong)).toEqual({ type: 'pong', id: 7 });
    hb.close();
    const idle = ws('/ws/idle');
    const messages: string[] = [];
    await new Promise<void>((r) => idle.on('message', (d) => (messages.push(String(d)), r())));
    await new Promise((r) => setTimeout(r, 400));
    expect(messages).toEqual([JSON.stringify({ type: 'connected', server: 'lab' })]);
    idle.close();
  });

  it('the flaky backend drops the socket without a close frame, then refuses connections during its outage', async () => {
    const first = ws('/ws/flaky?client=t4&up=300&down=800&every=1000');
    expect(await outcome(first)).toEqual({ opened: true, code: 1006 });
    expect(await outcome(ws('/ws/flaky?client=t4&up=300&down=800'))).toEqual({ opened: false, status: 503 });
    // After the outage the backend accepts again (retried: on a busy machine the server's timers run late).
    await new Promise((r) => setTimeout(r, 900));
    let back: { opened: boolean; status?: number } = { opened: false };
    for (let i = 0; i < 20 && !back.opened; i++) {
      const socket = ws('/ws/flaky?client=t4&up=300&down=800');
      back = await new Promise((resolve) => {
        socket.once('open', () => {
          resolve({ opened: true });
          socket.terminate();
        });
        socket.once('unexpected-response', (_req, res) => {
          resolve({ opened: false, status: res.statusCode });
          socket.terminate();
        });
        socket.on('error', () => {});
      });
      if (!back.opened) await new Promise((r) => setTimeout(r, 250));
    }
    expect(back.opened).toBe(true);
  });

  it('socket.io polls on both paths but the path behind the proxy refuses the WebSocket upgrade', async () => {
    for (const path of ['/socket.io/', '/behind-proxy/socket.io/']) {
      const handshake = await (await fetch(`${lab.url}${path}?EIO=4&transport=polling`)).text();
      expect(handshake, path).toMatch(/^0\{"sid":"[^"]+","upgrades":\["websocket"\],"pingInterval":2500,"pingTimeout":2000/);
    }
    const direct = ws('/socket.io/?EIO=4&transport=websocket');
    await new Promise((r) => direct.once('open', r));
    direct.terminate();
    expect(await outcome(ws('/behind-proxy/socket.io/?EIO=4&transport=websocket'))).toEqual({ opened: false, status: 400 });
  });
});
