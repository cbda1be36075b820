/**
 * A document that goes away (navigation, reload, a discarded or closed tab, a crash) takes its
 * connections with it, and the page gets no close event for them. The background records a
 * `doc.end` when the document's relay port closes and does not come back; the analysis ends the
 * connections the document left open there, or at the next top-level document shown when the
 * worker missed the close. test/e2e/doc-end.e2e.test.ts does the same in Chromium, with a real
 * navigation and a real tab discard.
 */
import { describe, expect, it } from 'vitest';
import { Frame, relayOfDoc, until, World } from './relay-harness.ts';
import { pageEventsMessage } from '../../src/shared/page-bridge.ts';
import { DOC_END_GRACE_MS } from '../../src/shared/constants.ts';
import type { PortLike } from '../../src/shared/messages.ts';
import type { CaptureEvent, EventOf } from '../../src/core/events.ts';
import { analyzeCapture } from '../../src/core/index.ts';
import type { ChannelReport } from '../../src/core/report-types.ts';
import { CaptureBuilder, T0 } from './core-builders.ts';

const SOCKET = 'wss://live.example/socket';

/** A relay of (tabId, frame 0) whose document can go away: its port closes and its relay is never heard from again. */
function mortalRelay(world: World, tabId: number, doc: string) {
  let current: PortLike | null = null;
  let gone = false;
  const relay = relayOfDoc(doc, () => {
    if (gone) throw new Error('Extension context invalidated.');
    current = world.connectRelay(tabId, 0);
    return current;
  });
  let pseq = 0;
  return {
    relay,
    post(events: CaptureEvent[]) {
      relay.receiveFromPage(JSON.stringify(pageEventsMessage(events)));
    },
    docStart(): CaptureEvent {
      return { type: 'doc.start', seq: 0, pseq: ++pseq, t: Date.now(), frameId: 0, doc, url: `http://x/${doc}`, title: doc, top: true, parentDoc: null };
    },
    /** The browser tears the document down: the background sees the port close; nothing on the page side runs again. */
    goAway() {
      gone = true;
      current?.disconnect();
    },
  };
}

const ends = (events: readonly CaptureEvent[]) => events.filter((e): e is EventOf<'doc.end'> => e.type === 'doc.end');

describe('doc.end: background (node)', () => {
  it('records a doc.end at the moment the port closed when the relay does not come back; none when it does', async () => {
    const world = new World();
    const leaving = mortalRelay(world, 1, 'docA');
    const staying = new Frame(world, 2, 0, 'docB');
    await until(() => leaving.relay.stats().connected && staying.relay.stats().connected);
    leaving.post([leaving.docStart()]);
    staying.post([staying.docStart('http://x/docB'), staying.event('before')]);
    await until(() => leaving.relay.stats().heldEvents === 0 && staying.relay.stats().heldEvents === 0);

    const closedAt = Date.now();
    leaving.goAway();
    // Tab 2's port closes too, but its relay says hello again at once (as after a late welcome).
    world.severRelays();
    await until(() => staying.relay.stats().connected);
    staying.post([staying.event('after')]);
    await new Promise((r) => setTimeout(r, DOC_END_GRACE_MS + 500));

    const gone = ends((await world.hub.api.exportTab(1)).events);
    expect(gone).toHaveLength(1);
    expect(gone[0]).toMatchObject({ doc: 'docA', frameId: 0 });
    // Stamped when the port closed, not when the grace ran out.
    expect(Math.abs(gone[0]!.t - closedAt)).toBeLessThan(500);
    expect(ends((await world.hub.api.exportTab(2)).events)).toEqual([]);
  }, 20_000);

  it('refuses a doc.end sent by the page, and counts it', async () => {
    const world = new World();
    const frame = new Frame(world, 1, 0, 'd1');
    const forged: CaptureEvent = { type: 'doc.end', seq: 0, pseq: 1, t: T0, frameId: 0, doc: 'd1' };
    frame.post([forged, frame.event('real')]);
    await until(() => frame.relay.stats().heldEvents === 0);
    const file = await world.hub.api.exportTab(1);
    expect(ends(file.events)).toEqual([]);
    expect((await world.hub.api.stats(1)).rejected).toBe(1);
  });

  it('keeps the capture of a tab the browser replaced by a new id (a discarded tab), and goes on under the new id', async () => {
    const world = new World();
    const before = new Frame(world, 7, 0, 'docA');
    before.post([before.docStart('http://x/a'), before.event('a1')]);
    await until(() => before.relay.stats().heldEvents === 0);
    await world.hub.replaceTab(7, 8);
    const after = new Frame(world, 8, 0, 'docB');
    after.post([after.docStart('http://x/a'), after.event('b1')]);
    await until(() => after.relay.stats().heldEvents === 0);
    const file = await world.hub.api.exportTab(8);
    const docs = file.events.filter((e) => e.type === 'doc.start').map((e) => e.doc);
    expect(docs).toEqual(['docA', 'docB']);
    // One sequence across the replacement.
    const seqs = file.events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect((await world.hub.api.tabs()).map((t) => t.tabId)).not.toContain(7);
  });
});

/** A socket of document `doc` that ticks every second from `from` to `to` (ms after T0), left open. */
function tickingSocket(b: CaptureBuilder, from: number, to: number): string {
  const conn = b.wsCreate(T0 + from, SOCKET);
  b.wsOpen(T0 + from + 10, conn);
  for (let t = from + 1000; t <= to; t += 1000) b.wsMsg(T0 + t, conn, 'in', '{"tick":1}');
  return conn;
}

function report(...builders: CaptureBuilder[]): ChannelReport {
  const events = builders.flatMap((b) => b.sorted()).sort((x, y) => x.t - y.t);
  return analyzeCapture(events).channels.find((c) => c.url === SOCKET)!;
}

const docEnd = (doc: string, t: number): CaptureEvent => ({ type: 'doc.end', seq: 0, pseq: 0, t, frameId: 0, doc });

describe('doc.end: analysis', () => {
  it("ends the connections a discarded document left open where it went, not when the tab came back an hour later", () => {
    const a = new CaptureBuilder('docA');
    a.docStart(T0, 'https://app.example/', 'App');
    tickingSocket(a, 10, 20_000);
    a.push(docEnd('docA', T0 + 20_400));
    const b = new CaptureBuilder('docB');
    b.docStart(T0 + 3_600_000, 'https://app.example/', 'App');
    tickingSocket(b, 3_600_010, 3_610_000);
    const ch = report(a, b);
    expect(ch.heartbeat!.maxIdleMs).toBeLessThan(2000);
    expect(ch.findings.map((f) => f.code)).not.toContain('idle-gap-over-nat-timeout');
    // The new document's socket is the page starting over, not a reconnect of the old one.
    expect(ch.connections).toBe(2);
    expect(ch.reconnects).toEqual([]);
  });

  it('without a doc.end (the worker was asleep), ends them at the next top-level document, not at the end of the capture', () => {
    const a = new CaptureBuilder('docA');
    a.docStart(T0, 'https://app.example/', 'App');
    tickingSocket(a, 10, 20_000);
    const b = new CaptureBuilder('docB');
    b.docStart(T0 + 20_500, 'https://app.example/next', 'Next');
    // The capture goes on for ten minutes on a page without the socket.
    b.http({ at: T0 + 600_000, url: 'https://app.example/api/ping' });
    const ch = report(a, b);
    expect(ch.heartbeat!.maxIdleMs).toBeLessThan(2000);
    expect(ch.findings.map((f) => f.code)).not.toContain('idle-gap-over-nat-timeout');
    expect(ch.findings.map((f) => f.code)).not.toContain('no-heartbeat');
  });

  it("leaves a shared worker's socket open across the page's navigation: it belongs to no document", () => {
    const a = new CaptureBuilder('docA');
    a.docStart(T0, 'https://app.example/', 'App');
    const w = new CaptureBuilder('worker:shared-1');
    const origin = { kind: 'shared' as const, url: 'https://app.example/shared.js' };
    const conn = w.wsCreate(T0 + 10, SOCKET);
    w.wsOpen(T0 + 20, conn);
    w.wsMsg(T0 + 1000, conn, 'in', '{"tick":1}');
    const worker = w.sorted().map((e) => ({ ...e, frameId: -1, origin }));
    const b = new CaptureBuilder('docB');
    b.docStart(T0 + 5000, 'https://app.example/next', 'Next');
    b.http({ at: T0 + 60_000, url: 'https://app.example/api/ping' });
    const events = [...a.sorted(), ...worker, ...b.sorted()].sort((x, y) => x.t - y.t);
    const ch = analyzeCapture(events).channels.find((c) => c.url === SOCKET)!;
    expect(ch.origin).toEqual(origin);
    // Still open when the capture ended, 59 s after its last message.
    expect(ch.heartbeat!.maxIdleMs).toBeGreaterThan(58_000);
  });

  it('leaves alone what a document opened after it came back from the back/forward cache', () => {
    const a = new CaptureBuilder('docA');
    a.docStart(T0, 'https://app.example/', 'App');
    tickingSocket(a, 10, 5000);
    // Into the cache at 5.2 s (its port closed: doc.end), back at 60 s, a new socket that stays quiet for 40 s.
    a.push(docEnd('docA', T0 + 5200));
    a.push({ type: 'doc.restored', seq: 0, pseq: 0, t: T0 + 60_000, frameId: 0, doc: 'docA', cachedAt: T0 + 5200 });
    const conn = a.wsCreate(T0 + 60_100, SOCKET);
    a.wsOpen(T0 + 60_150, conn);
    a.wsMsg(T0 + 61_000, conn, 'in', '{"tick":1}');
    const b = new CaptureBuilder('docB');
    b.http({ at: T0 + 101_000, url: 'https://app.example/api/ping' });
    const ch = report(a, b);
    // The first socket ended with its document's stay in the cache; the second one is really silent for 40 s.
    expect(ch.heartbeat!.maxIdleMs).toBeGreaterThan(39_000);
    expect(ch.findings.map((f) => f.code)).toContain('idle-gap-over-nat-timeout');
  });
});
