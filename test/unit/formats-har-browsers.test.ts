/**
 * HARs saved by the browsers themselves, recorded from one real session
 * (test/fixtures/har/record-browser-hars.ts, FIXTURE_PLAN): a WebSocket on
 * /live closed by the server at once three times, then idle for 35 s, then
 * chatting until the HAR was saved, reconnecting after 250, 500, 1000 and
 * 2000 ms; two attempts on a closed port 300 ms apart; one upgrade answered
 * with 404. Each tool writes this differently (src/core/formats/har/source.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CaptureEvent, EventOf } from '../../src/core/events.ts';
import { eventsToHar, importHar, type Har } from '../../src/core/formats/index.ts';
import { analyzeCapture } from '../../src/core/index.ts';
import { FIXTURE_PLAN } from '../fixtures/har/reconnect-site.ts';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '..', 'fixtures', 'har', name), 'utf8');
const ofType = <K extends CaptureEvent['type']>(events: CaptureEvent[], type: K) => events.filter((e): e is EventOf<K> => e.type === type);
const byConn = (events: CaptureEvent[], conn: string) => events.filter((e) => 'conn' in e && e.conn === conn);

/** The connections to a URL path, in order, with their events. */
function sockets(events: CaptureEvent[], path: string) {
  return ofType(events, 'ws.create')
    .filter((c) => new URL(c.url).pathname === path)
    .map((create) => {
      const own = byConn(events, create.conn);
      return {
        create,
        open: ofType(own, 'ws.open')[0],
        close: ofType(own, 'ws.close')[0],
        errors: ofType(own, 'ws.error'),
        messages: ofType(own, 'ws.message'),
      };
    });
}

/** Delays the page waited before each reconnect (FIXTURE_PLAN.retryDelaysMs), as its timers fired on a busy machine. */
const PLANNED = FIXTURE_PLAN.retryDelaysMs;
/** Page timers and a local handshake add a few ms; a loaded 2-core machine up to tens. */
const TIMER_SLACK_MS = 40;
const IDLE_MS = 35_000;

describe("Chrome DevTools' HAR (Save all as HAR, Chromium 156)", () => {
  const result = importHar(fixture('chrome-devtools-reconnects.har'));
  const { events } = result;
  const live = sockets(events, '/live');

  it('is recognised, fully read, and timed on the wall clock throughout', () => {
    expect(result.source).toBe('chrome');
    expect(result.skipped).toEqual([]);
    expect(result.notes).toEqual([]);
    const docStart = ofType(events, 'doc.start')[0]!;
    // Chrome wrote the page's start on its monotonic clock (1970); it is its main request's start.
    expect(new Date(docStart.t).getUTCFullYear()).toBeGreaterThan(2020);
    for (const e of events) expect(e.t).toBeGreaterThanOrEqual(docStart.t);
  });

  it('reads one URL with several entries one after another as reconnects, each closed at startedDateTime + time', () => {
    expect(live).toHaveLength(FIXTURE_PLAN.attempts);
    const har = JSON.parse(fixture('chrome-devtools-reconnects.har')) as Har;
    const entries = har.log.entries.filter((e) => e.request.url.endsWith('/live'));
    live.slice(0, -1).forEach((s, i) => {
      expect(s.open, `socket ${i}`).toBeDefined();
      expect(s.close!.t).toBeCloseTo(Date.parse(entries[i]!.startedDateTime) + entries[i]!.time, 6);
      expect(s.close).toMatchObject({ code: 1005, wasClean: false });
    });
    // Entries with no _webSocketMessages (an empty list) are connections that carried nothing.
    expect(live.slice(0, 4).map((s) => s.messages.length)).toEqual([0, 0, 0, 0]);
    const delays = live.slice(1).map((s, i) => s.create.t - live[i]!.close!.t);
    delays.forEach((d, i) => expect(Math.abs(d - PLANNED[i]!), `delay ${i}: ${d}`).toBeLessThan(TIMER_SLACK_MS));
  });

  it('reads the idle connection as lived 35 s, so the idle finding fires', () => {
    const idle = live[3]!;
    expect(idle.close!.t - idle.open!.t).toBeGreaterThan(IDLE_MS);
    expect(idle.close!.t - idle.open!.t).toBeLessThan(IDLE_MS + 1000);
    const report = analyzeCapture(events);
    const channel = report.channels.find((c) => c.url.endsWith('/live'))!;
    expect(channel.connections).toBe(FIXTURE_PLAN.attempts);
    expect(channel.heartbeat!.maxIdleMs).toBeGreaterThan(IDLE_MS);
    expect(channel.findings.map((f) => f.code)).toContain('idle-gap-over-nat-timeout');
    expect(channel.reconnects.map((r) => Math.round(r.delayMs / 100) * 100)).toEqual([300, 500, 1000, 2000]);
    expect(channel.backoff?.model).toBe('exponential');
  });

  it('reads _webSocketMessages by type, time (epoch seconds) and opcode, and keeps a socket open at save time open', () => {
    const chat = live.at(-1)!;
    expect(chat.close).toBeUndefined();
    expect(chat.messages[0]).toMatchObject({ dir: 'in', data: { encoding: 'text', data: '{"type":"welcome"}' } });
    expect(chat.messages.filter((m) => m.dir === 'out').map((m) => m.data.data)).toEqual(expect.arrayContaining(['hello', 'AQID', '{"type":"ping"}']));
    expect(chat.messages.find((m) => m.data.encoding === 'binary')).toMatchObject({ dir: 'out', data: { data: 'AQID', size: 3 } });
    for (const m of chat.messages) {
      expect(m.t).toBeGreaterThanOrEqual(chat.open!.t);
      expect(m.t - chat.open!.t).toBeLessThan(10_000);
    }
  });

  it('reads a refused upgrade (404) as an error and a 1006 close, and never as open', () => {
    const [missing] = sockets(events, '/missing');
    expect(missing!.open).toBeUndefined();
    expect(missing!.errors).toHaveLength(1);
    expect(missing!.close).toMatchObject({ code: 1006, wasClean: false });
  });

  it('places attempts refused before their handshake (timed on Chrome\'s monotonic clock) exactly, through the page start', () => {
    const down = sockets(events, '/down');
    expect(down).toHaveLength(FIXTURE_PLAN.refused!.attempts);
    for (const s of down) {
      expect(s.open).toBeUndefined();
      expect(s.close).toMatchObject({ code: 1006 });
      // The page opens /down right after its first /live attempt.
      expect(s.create.t).toBeGreaterThan(live[0]!.create.t);
    }
    expect(down[0]!.create.t - live[0]!.create.t).toBeLessThan(200);
    expect(Math.abs(down[1]!.create.t - down[0]!.close!.t - FIXTURE_PLAN.refused!.delayMs)).toBeLessThan(TIMER_SLACK_MS);
  });

  it('without the main request to set its clock by, places them in a gap that holds them and says it estimated', () => {
    const har = JSON.parse(fixture('chrome-devtools-reconnects.har')) as Har;
    har.log.entries = har.log.entries.filter((e) => e._resourceType !== 'document');
    const estimated = importHar(har);
    expect(estimated.notes).toHaveLength(1);
    expect(estimated.notes[0]).toMatch(/monotonic clock/);
    const down = sockets(estimated.events, '/down');
    expect(new Date(down[0]!.create.t).getUTCFullYear()).toBeGreaterThan(2020);
    // Their spacing is Chrome's own, whatever their place.
    const exact = sockets(events, '/down');
    expect(down[1]!.create.t - down[0]!.create.t).toBeCloseTo(exact[1]!.create.t - exact[0]!.create.t, 6);
  });
});

describe("Playwright's recordHar (playwright-core 1.65)", () => {
  const result = importHar(fixture('playwright-reconnects.har'));
  const { events } = result;
  const live = sockets(events, '/live');

  it('reads frame times in epoch milliseconds', () => {
    expect(result.source).toBe('playwright');
    const chat = live.at(-1)!;
    expect(chat.messages).toHaveLength(9);
    for (const m of chat.messages) expect(m.t - chat.create.t).toBeLessThan(10_000);
    expect(chat.messages.find((m) => m.data.encoding === 'binary')?.data.data).toBe('AQID');
  });

  it('reads failures from status -1 and _failureText', () => {
    for (const path of ['/down', '/missing']) {
      for (const s of sockets(events, path)) {
        expect(s.open, path).toBeUndefined();
        expect(s.close, path).toMatchObject({ code: 1006 });
      }
    }
  });

  it('ends a socket the page replaced, lists the reconnects, and fits no backoff to delays it cannot know', () => {
    expect(live).toHaveLength(FIXTURE_PLAN.attempts);
    for (const s of live.slice(0, -1)) expect(s.close?.t).toBeLessThanOrEqual(s.create.t + 10);
    expect(live.at(-1)!.close).toBeUndefined();
    const channel = analyzeCapture(events).channels.find((c) => c.url.endsWith('/live'))!;
    expect(channel.reconnects).toHaveLength(FIXTURE_PLAN.attempts - 1);
    // Playwright records no close: the 35 s idle socket's life would read as a 37 s delay.
    expect(channel.backoff).toBeNull();
  });
});

describe("Firefox's HAR (Network Monitor, 153 ESR)", () => {
  const result = importHar(fixture('firefox-reconnects.har'));
  const { events } = result;
  const live = sockets(events, '/live');

  it('reads ws:// entries (no _resourceType, no frames) as WebSocket handshakes', () => {
    expect(result.source).toBe('firefox');
    expect(live).toHaveLength(FIXTURE_PLAN.attempts);
    for (const s of live) {
      expect(s.open!.t).toBeGreaterThanOrEqual(s.create.t);
      expect(s.messages).toEqual([]);
    }
  });

  it('reads a refused connection (status 0) and a 404 upgrade as failures, timed by the entry', () => {
    const down = sockets(events, '/down');
    expect(down).toHaveLength(2);
    const [missing] = sockets(events, '/missing');
    for (const s of [...down, missing!]) {
      expect(s.open).toBeUndefined();
      expect(s.close).toMatchObject({ code: 1006 });
    }
  });

  it('lists the reconnects but fits no backoff: Firefox records no close', () => {
    const channel = analyzeCapture(events).channels.find((c) => c.url.endsWith('/live'))!;
    expect(channel.connections).toBe(FIXTURE_PLAN.attempts);
    expect(channel.reconnects).toHaveLength(FIXTURE_PLAN.attempts - 1);
    expect(channel.backoff).toBeNull();
  });
});

describe('our HAR export times WebSocket entries as Chrome does', () => {
  it("writes a socket's life as its time, so a viewer (or an import without our fields) reads when it closed", () => {
    const T = Date.UTC(2026, 10, 24, 12);
    const ids = { frameId: 0, doc: 'd', conn: 'd:1' };
    const text = (data: string) => ({ size: data.length, encoding: 'text' as const, data, truncated: false });
    const session: CaptureEvent[] = [
      { type: 'doc.start', t: T, seq: 1, pseq: 1, frameId: 0, doc: 'd', url: 'https://a.test/', title: 'a', top: true, parentDoc: null },
      { type: 'ws.create', t: T + 100, seq: 2, pseq: 2, ...ids, url: 'wss://a.test/live', protocols: [] },
      { type: 'ws.open', t: T + 120, seq: 3, pseq: 3, ...ids, protocol: '', extensions: '' },
      { type: 'ws.message', t: T + 5_000, seq: 4, pseq: 4, ...ids, dir: 'in', data: text('tick') },
      { type: 'ws.close', t: T + 40_100, seq: 5, pseq: 5, ...ids, code: 1001, reason: '', wasClean: true, initiator: 'server' },
    ];
    const har = JSON.parse(JSON.stringify(eventsToHar(session, { redact: false }))) as Har;
    const entry = har.log.entries[0]!;
    expect(entry.time).toBe(40_000);
    expect(entry.timings).toMatchObject({ wait: 4_900, receive: 35_100 });
    delete entry._realtimeInspector;
    delete entry._webSocketClose;
    har.log.creator.name = 'WebInspector';
    const plain = sockets(importHar(har).events, '/live');
    expect(plain[0]!.close!.t).toBe(T + 40_100);
  });
});
