/**
 * Waste with HTTP validators, on real exchanges: a node:http server on 127.0.0.1
 * answering conditional GETs the way GitHub's events API documents it (ETag,
 * If-None-Match, 304, X-Poll-Interval) or with Last-Modified/If-Modified-Since,
 * polled by Node's own fetch (undici) and recorded as the page hooks record a fetch.
 * The polls run on the real clock, so a server clock in the body moves as it does in
 * production.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CaptureEvent } from '../../src/core/events.ts';
import { bodyHashOf } from '../../src/core/formats/body-hash.ts';
import { text } from './core-builders.ts';
import { judgeEvents } from './core-waste-polls.ts';

/**
 * Polls 1 s apart: a polling loop to the classifier (≥ 200 ms, regular within 30%). At 400 ms
 * a loaded CI machine (a full run, browsers in the other worker) made one poll 120 ms late
 * often enough that the loop read as irregular one-off requests (twice in about twenty runs).
 */
const POLL_EVERY_MS = 1000;

/** Server state the tests change between polls. */
const state = {
  events: [] as Array<{ id: string; type: string; repo: { name: string }; created_at: string }>,
  job: { state: 'running', progress: 40 },
  jobModified: Date.now(),
  touches: 0,
};

function etagOf(body: string): string {
  return `"${createHash('sha1').update(body).digest('hex')}"`;
}

let server: Server;
let origin: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const send = (status: number, headers: Record<string, string>, body = '') => {
      res.writeHead(status, headers);
      res.end(body);
    };
    if (path === '/repos/octo/app/events') {
      // https://docs.github.com/en/rest/activity/events: "optimized for polling with the ETag header";
      // a 304 when nothing new, and X-Poll-Interval in seconds.
      const body = JSON.stringify(state.events);
      const etag = etagOf(body);
      const headers = { etag, 'x-poll-interval': '60', 'cache-control': 'private, max-age=60, s-maxage=60' };
      if (req.headers['if-none-match'] === etag) return send(304, headers);
      return send(200, { ...headers, 'content-type': 'application/json; charset=utf-8' }, body);
    }
    if (path === '/jobs/81') {
      // RFC 9110 §13.1.3: If-Modified-Since, compared at the HTTP-date's one-second resolution.
      const lastModified = new Date(Math.floor(state.jobModified / 1000) * 1000);
      const since = Date.parse(String(req.headers['if-modified-since'] ?? ''));
      const headers = { 'last-modified': lastModified.toUTCString(), 'cache-control': 'no-cache' };
      if (Number.isFinite(since) && lastModified.getTime() <= since) return send(304, headers);
      return send(200, { ...headers, 'content-type': 'application/json' }, JSON.stringify({ id: 81, ...state.job }));
    }
    if (path === '/feed/clocked') {
      // A server that tags the whole body, its clock included: the tag changes on every poll, so it never answers 304.
      const body = JSON.stringify({ items: state.events.map((e) => ({ id: e.id })), serverTime: Date.now() });
      const etag = etagOf(body);
      if (req.headers['if-none-match'] === etag) return send(304, { etag });
      return send(200, { etag, 'content-type': 'application/json' }, body);
    }
    if (path === '/feed/touched') {
      // A weak tag from a counter bumped on every write, even a write that changes nothing.
      state.touches++;
      const etag = `W/"${state.touches}"`;
      if (req.headers['if-none-match'] === etag) return send(304, { etag });
      return send(200, { etag, 'content-type': 'application/json' }, JSON.stringify({ items: state.events.map((e) => e.id) }));
    }
    send(404, { 'content-type': 'text/plain' }, 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** A fetch that records what the page hooks emit for it (src/content/page/fetch.ts): request, response, end with the body's hash. */
function recordingFetch(events: CaptureEvent[]) {
  let n = 0;
  let pseq = 0;
  const base = (t: number) => ({ seq: ++pseq, pseq, t, frameId: 0, doc: 'node' });
  return async (url: string, headers: Record<string, string>) => {
    const conn = `node:${++n}`;
    events.push({ ...base(Date.now()), conn, type: 'http.request', transport: 'fetch', method: 'GET', url, headers: Object.entries(headers), bodySize: 0 });
    const res = await fetch(url, { headers });
    const contentType = (res.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    events.push({ ...base(Date.now()), conn, type: 'http.response', status: res.status, statusText: res.statusText, headers: [...res.headers], url: res.url, contentType });
    const bytes = new Uint8Array(await res.arrayBuffer());
    const body = bytes.length > 0 ? text(new TextDecoder().decode(bytes)) : null;
    events.push({ ...base(Date.now()), conn, type: 'http.end', size: bytes.length, bodyHash: bodyHashOf(bytes), body });
    return res;
  };
}

let eventId = 41_000_000_000;
function publish(type: string): void {
  state.events.unshift({ id: String(++eventId), type, repo: { name: 'octo/app' }, created_at: new Date().toISOString().replace(/\.\d+Z$/, 'Z') });
}

/**
 * Poll `path` `count` times on a fixed schedule (late timers do not push the next poll back), running `before(i)`
 * ahead of poll i; `conditional` sends the validators of the last 200 back, as GitHub asks pollers to.
 */
async function pollLoop(path: string, count: number, before: (i: number) => void, conditional: 'etag' | 'last-modified' | null) {
  const events: CaptureEvent[] = [];
  const get = recordingFetch(events);
  const statuses: number[] = [];
  let validator: string | null = null;
  const start = Date.now();
  for (let i = 0; i < count; i++) {
    const due = start + i * POLL_EVERY_MS;
    if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
    before(i);
    const headers: Record<string, string> = { accept: 'application/vnd.github+json' };
    if (validator !== null) headers[conditional === 'etag' ? 'if-none-match' : 'if-modified-since'] = validator;
    const res = await get(`${origin}${path}`, headers);
    statuses.push(res.status);
    if (res.status === 200 && conditional !== null) validator = res.headers.get(conditional === 'etag' ? 'etag' : 'last-modified');
  }
  return { statuses, ...judgeEvents(events) };
}

describe('waste with validators (ETag / Last-Modified, 200 vs 304), on a real server', () => {
  it('GitHub-style events with If-None-Match: 304s are waste, a 200 after a new event is news', async () => {
    state.events = [];
    publish('PushEvent');
    const r = await pollLoop('/repos/octo/app/events', 8, (i) => (i === 3 || i === 6 ? publish(i === 3 ? 'IssuesEvent' : 'WatchEvent') : undefined), 'etag');
    expect(r.statuses).toEqual([200, 304, 304, 200, 304, 304, 200, 304]);
    expect(r.reasons).toEqual([null, 'status-304', 'status-304', null, 'status-304', 'status-304', null, 'status-304']);
  });

  it('the same API polled without validators: every unchanged 200 is waste', async () => {
    state.events = [];
    publish('PushEvent');
    const r = await pollLoop('/repos/octo/app/events', 7, (i) => (i === 4 ? publish('ForkEvent') : undefined), null);
    expect(r.statuses.every((s) => s === 200)).toBe(true);
    expect(r.reasons).toEqual([null, 'unchanged', 'unchanged', 'unchanged', null, 'unchanged', 'unchanged']);
  });

  it('Last-Modified / If-Modified-Since: a status flip after 304s is news', async () => {
    state.job = { state: 'running', progress: 40 };
    state.jobModified = Date.now();
    const r = await pollLoop(
      '/jobs/81',
      8,
      (i) => {
        if (i === 5) {
          state.job = { state: 'succeeded', progress: 100 };
          state.jobModified = Date.now();
        }
      },
      'last-modified',
    );
    expect(r.statuses).toEqual([200, 304, 304, 304, 304, 200, 304, 304]);
    expect(r.reasons).toEqual([null, 'status-304', 'status-304', 'status-304', 'status-304', null, 'status-304', 'status-304']);
  });

  it('a tag over a body with a server clock never matches: every 200 differs only in its clock, and that is waste', async () => {
    state.events = [];
    publish('PushEvent');
    const r = await pollLoop('/feed/clocked', 8, (i) => (i === 5 ? publish('ReleaseEvent') : undefined), 'etag');
    expect(r.statuses.every((s) => s === 200)).toBe(true);
    expect(r.clocks).toEqual(['serverTime']);
    expect(r.reasons).toEqual([null, 'clocks-only', 'clocks-only', 'clocks-only', 'clocks-only', null, 'clocks-only', 'clocks-only']);
  });

  it('a weak tag bumped by writes that change nothing: the same body under a new tag is waste', async () => {
    state.events = [];
    publish('PushEvent');
    const r = await pollLoop('/feed/touched', 6, () => undefined, 'etag');
    expect(r.statuses.every((s) => s === 200)).toBe(true);
    expect(r.reasons).toEqual([null, 'unchanged', 'unchanged', 'unchanged', 'unchanged', 'unchanged']);
  });
});
