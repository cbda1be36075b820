/**
 * Realistic synthetic capture streams for the core and panel benchmarks,
 * shaped like what the hooks record on a real app:
 *  - a socket.io (engine.io v4) WebSocket: chat/ticker events both ways, the
 *    server's ping "2" every 25 s answered by the client's pong "3"
 *    (engine.io 6.x lib/server.ts: pingInterval 25000), and, every few minutes,
 *    a drop (close 1006) followed by socket.io-client's reconnect with
 *    exponential backoff (socket.io-client 4.x lib/manager.ts:
 *    reconnectionDelay 1000, factor 2, cap 5000, randomizationFactor 0.5);
 *  - an EventSource with ids and named events;
 *  - a polling loop (fetch every 2 s with a cache-buster, most responses unchanged,
 *    some 304), the classic waste case (docs/domain.md);
 *  - a few one-off API calls.
 * Deterministic (seeded) so that every run ingests the same stream.
 */
import type { CaptureEvent, Payload } from '../src/core/events.ts';

/** Mulberry32: a tiny deterministic PRNG (also seeds the tests' simulations). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const text = (data: string): Payload => ({ size: data.length, encoding: 'text', data, truncated: false });

export interface SynthOptions {
  /** Total number of events to generate (approximately; exact when reached). */
  events: number;
  /** Messages per second on the WebSocket (sets how much wall time the stream spans). */
  wsRatePerSecond?: number;
  seed?: number;
  /** Epoch ms of the first event. */
  start?: number;
  /** Which parts to generate (default all). */
  parts?: Array<'ws' | 'sse' | 'poll' | 'oneoff'>;
}

/** The share of each part of the stream: the WebSocket dominates, as on a busy app. */
const SHARE = { ws: 0.7, sse: 0.2 } as const;

/**
 * Generate a capture stream of `events` events in time order.
 * The WebSocket carries wsRatePerSecond messages/s (default 100), the SSE
 * stream a third of that, and the poll runs every 2 s.
 */
export function synthesizeCapture(opts: SynthOptions): CaptureEvent[] {
  const random = rng(opts.seed ?? 42);
  const wsRate = opts.wsRatePerSecond ?? 100;
  const start = opts.start ?? Date.UTC(2026, 10, 24, 12, 0, 0);
  const doc = 'd1';
  const out: CaptureEvent[] = [];
  let pseq = 0;
  const base = (t: number) => ({ seq: 0, pseq: ++pseq, t, frameId: 0, doc });
  let connN = 0;
  const newConn = () => `${doc}:${++connN}`;

  out.push({ ...base(start), type: 'doc.start', url: 'https://app.example.com/dashboard', title: 'Dashboard', top: true, parentDoc: null });

  // Parallel sources advance on their own clocks; the merge takes the earliest next event.
  type Source = { part: string; next: number; emit: (t: number) => void };
  const sources: Source[] = [];

  // --- socket.io WebSocket ---
  let wsConn = '';
  let sid = 0;
  let wsOpen = false;
  let lastPing = start;
  let reconnectAttempt = 0;
  let msgI = 0;
  const openWs = (t: number) => {
    wsConn = newConn();
    sid++;
    out.push({ ...base(t), type: 'ws.create', conn: wsConn, url: `wss://app.example.com/socket.io/?EIO=4&transport=websocket&sid=${sid.toString(36)}x${sid}`, protocols: [] });
    out.push({ ...base(t + 8), type: 'ws.open', conn: wsConn, protocol: '', extensions: 'permessage-deflate' });
    out.push({ ...base(t + 9), type: 'ws.message', conn: wsConn, dir: 'in', data: text(`0{"sid":"s${sid}","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`) });
    out.push({ ...base(t + 10), type: 'ws.message', conn: wsConn, dir: 'out', data: text('40') });
    out.push({ ...base(t + 12), type: 'ws.message', conn: wsConn, dir: 'in', data: text(`40{"sid":"n${sid}"}`) });
    wsOpen = true;
    lastPing = t;
  };
  sources.push({
    part: 'ws',
    next: start + 5,
    emit(t) {
      if (!wsOpen) {
        openWs(t);
        this.next = t + 20 + random() * (1000 / wsRate);
        return;
      }
      if (t - lastPing >= 25_000) {
        out.push({ ...base(t), type: 'ws.message', conn: wsConn, dir: 'in', data: text('2') });
        out.push({ ...base(t + 1.5), type: 'ws.message', conn: wsConn, dir: 'out', data: text('3') });
        lastPing = t;
      } else if (random() < 0.00002 * (1000 / wsRate)) {
        // A network drop about every few minutes, then socket.io-client's backoff.
        out.push({ ...base(t), type: 'ws.close', conn: wsConn, code: 1006, reason: '', wasClean: false, initiator: 'server' });
        wsOpen = false;
        const delay = Math.min(1000 * 2 ** reconnectAttempt, 5000) * (1 + (random() * 2 - 1) * 0.5);
        reconnectAttempt = (reconnectAttempt + 1) % 4;
        this.next = t + delay;
        return;
      } else {
        const dir = random() < 0.85 ? 'in' : 'out';
        msgI++;
        const data =
          dir === 'in'
            ? `42["tick",{"sym":"ABC","price":${(100 + random() * 5).toFixed(3)},"i":${msgI}}]`
            : `42["chat",{"room":"general","text":"message ${msgI}"}]`;
        out.push({ ...base(t), type: 'ws.message', conn: wsConn, dir, data: text(data) });
      }
      this.next = t + (-Math.log(1 - random()) * 1000) / wsRate;
    },
  });

  // --- EventSource ---
  let sseConn = '';
  let sseId = 0;
  const sseRate = wsRate * (SHARE.sse / SHARE.ws);
  sources.push({
    part: 'sse',
    next: start + 3,
    emit(t) {
      if (!sseConn) {
        sseConn = newConn();
        out.push({ ...base(t), type: 'sse.create', conn: sseConn, transport: 'eventsource', url: 'https://app.example.com/events/stream', withCredentials: false });
        out.push({ ...base(t + 15), type: 'sse.open', conn: sseConn });
      } else {
        sseId++;
        const event = random() < 0.8 ? 'message' : 'notification';
        out.push({ ...base(t), type: 'sse.message', conn: sseConn, event, data: text(`{"kind":"${event}","n":${sseId},"unread":${sseId % 17}}`), id: String(sseId), lastEventId: String(sseId), retry: null });
      }
      this.next = t + (-Math.log(1 - random()) * 1000) / sseRate;
    },
  });

  // --- polling fetch every 2 s, mostly unchanged ---
  let pollBody = '{"items":[],"version":1}';
  sources.push({
    part: 'poll',
    next: start + 50,
    emit(t) {
      const conn = newConn();
      const url = `https://app.example.com/api/notifications?since=${Math.floor(t - 2000)}&_=${Math.floor(t)}`;
      out.push({ ...base(t), type: 'http.request', conn, transport: 'fetch', method: 'GET', url, headers: [['accept', 'application/json']], bodySize: 0 });
      const ttfb = 20 + random() * 60;
      const roll = random();
      if (roll < 0.1) pollBody = `{"items":[{"id":${Math.floor(t)}}],"version":${Math.floor(t)}}`;
      const status = roll > 0.9 ? 304 : 200;
      out.push({ ...base(t + ttfb), type: 'http.response', conn, status, statusText: status === 200 ? 'OK' : 'Not Modified', headers: [['content-type', 'application/json']], url, contentType: 'application/json' });
      const body = status === 200 ? pollBody : '';
      out.push({ ...base(t + ttfb + 2), type: 'http.end', conn, size: body.length, bodyHash: fnv1a(body), body: text(body) });
      this.next = t + 2000;
    },
  });

  // --- one-off API calls, now and then ---
  sources.push({
    part: 'oneoff',
    next: start + 400,
    emit(t) {
      const conn = newConn();
      const url = `https://app.example.com/api/profile/${1000 + Math.floor(random() * 9000)}`;
      out.push({ ...base(t), type: 'http.request', conn, transport: 'xhr', method: 'GET', url, headers: [], bodySize: null });
      out.push({ ...base(t + 90), type: 'http.response', conn, status: 200, statusText: 'OK', headers: [['content-type', 'application/json']], url, contentType: 'application/json' });
      out.push({ ...base(t + 95), type: 'http.end', conn, size: 48, bodyHash: fnv1a(url), body: text(`{"profile":"${url.slice(-4)}","name":"User"}`.padEnd(48)) });
      this.next = t + 30_000 + random() * 60_000;
    },
  });

  const parts = opts.parts ?? ['ws', 'sse', 'poll', 'oneoff'];
  const active = sources.filter((s) => parts.includes(s.part as never));
  while (out.length < opts.events) {
    let s = active[0]!;
    for (const c of active) if (c.next < s.next) s = c;
    s.emit(s.next);
  }
  out.length = opts.events;
  // Sub-events (response after request) can run ahead of the merge clock: restore time order.
  out.sort((a, b) => a.t - b.t || a.pseq - b.pseq);
  for (let i = 0; i < out.length; i++) {
    out[i]!.seq = i + 1;
    out[i]!.pseq = i + 1;
  }
  return out;
}

/** FNV-1a 32-bit hex, the schema's body hash. */
function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}
