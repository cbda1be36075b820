import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Frame, panel, texts, tick, until, World } from './relay-harness.ts';
import {
  PAGE_MESSAGE_MAX_CHARS,
  RELAY_BATCH_MAX_CHARS,
  RELAY_BATCH_MAX_EVENTS,
  RELAY_FLUSH_MS,
  RELAY_MAX_HELD_EVENTS,
  RELAY_MAX_IN_FLIGHT,
  WELCOME_TIMEOUT_MS,
  ACK_TIMEOUT_MS,
  RECONNECT_DELAYS_MS,
} from '../../src/shared/constants.ts';
import { PAGE_BRIDGE_VERSION, pageEventsCount, pageEventsMessage } from '../../src/shared/page-bridge.ts';
import { Relay } from '../../src/content/relay.ts';
import { wire, type PortLike, type ToRelayMessages } from '../../src/shared/messages.ts';
import type { CaptureEvent } from '../../src/core/events.ts';

describe('relay batching (node, in-memory ports)', () => {
  it('sends a lone event within the flush interval, not at once', async () => {
    const world = new World();
    const frame = new Frame(world, 1, 0, 'd1');
    await until(() => frame.relay.stats().connected);
    // Read the clock before posting: the flush timer starts inside post().
    const posted = Date.now();
    frame.post([frame.event('hello')]);
    expect(frame.relay.stats().queued).toBe(1);
    await until(() => frame.relay.stats().queued === 0);
    expect(Date.now() - posted).toBeGreaterThanOrEqual(RELAY_FLUSH_MS - 1);
    await until(() => frame.relay.stats().heldEvents === 0);
    const file = await world.hub.api.exportTab(1);
    expect(texts(file.events)).toEqual(['hello']);
  });

  it('splits a flood into batches within RELAY_BATCH_MAX_EVENTS and RELAY_BATCH_MAX_CHARS, whole page messages each, and acknowledges them all', async () => {
    const world = new World();
    const frame = new Frame(world, 1, 0, 'd1');
    // A second relay on the same tab whose port is tapped: what it sends is what the background gets.
    const batches: Array<{ pages: string[] }> = [];
    const relay = new Relay({
      connect: () => {
        const port = world.connectRelay(1, 0);
        return {
          ...port,
          postMessage: (m: unknown) => {
            const message = m as { type: string; payload: { pages: string[] } };
            if (message.type === 'batch') batches.push(message.payload);
            port.postMessage(m);
          },
        };
      },
      postToPage: () => {},
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      relayId: 'tapped',
    });
    relay.start();
    await until(() => relay.stats().connected);
    const post = (events: CaptureEvent[]) => relay.receiveFromPage(JSON.stringify(pageEventsMessage(events)));
    // Several page messages per batch, and messages of 300-char texts that fill one sooner.
    const small = RELAY_BATCH_MAX_EVENTS * 2 + 500;
    for (let i = 0; i < small; i += 250) post(Array.from({ length: 250 }, (_, j) => frame.event(`m${i + j}`)));
    const large = 2000;
    for (let i = 0; i < large; i += 100) post(Array.from({ length: 100 }, (_, j) => frame.event(`L${i + j}`.padEnd(300, '.'))));
    await until(() => relay.stats().heldEvents === 0);
    expect(relay.stats().unacked).toBe(0);
    const counts = batches.map((b) => b.pages.reduce((n, page) => n + pageEventsCount(page)!, 0));
    const chars = batches.map((b) => b.pages.reduce((n, page) => n + page.length, 0));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(small + large);
    expect(Math.max(...counts)).toBeLessThanOrEqual(RELAY_BATCH_MAX_EVENTS);
    expect(Math.max(...chars)).toBeLessThanOrEqual(RELAY_BATCH_MAX_CHARS);
    const file = await world.hub.api.exportTab(1);
    expect(file.events.map((e) => e.seq)).toEqual(Array.from({ length: small + large }, (_, i) => i + 1));
    expect(texts(file.events)).toEqual([
      ...Array.from({ length: small }, (_, i) => `m${i}`),
      ...Array.from({ length: large }, (_, i) => `L${i}`.padEnd(300, '.')),
    ]);
  });

  it('queues events posted before the background answered, and delivers them in order', async () => {
    const world = new World();
    const frame = new Frame(world, 1, 0, 'd1');
    frame.postMany(50, 7);
    expect(frame.relay.stats().connected).toBe(false);
    await until(() => frame.relay.stats().heldEvents === 0 && frame.relay.stats().connected);
    expect(texts((await world.hub.api.exportTab(1)).events)).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
  });

  it('sets frameId from the port and seq per tab, whatever the page claims', async () => {
    const world = new World();
    const top = new Frame(world, 7, 0, 'top');
    const sub = new Frame(world, 7, 3, 'sub');
    const forged = { ...top.event('forged'), seq: 999, frameId: 42 };
    top.post([forged]);
    await tick(RELAY_FLUSH_MS + 10);
    sub.post([sub.event('sub')]);
    await until(() => top.relay.stats().heldEvents + sub.relay.stats().heldEvents === 0);
    const events = (await world.hub.api.exportTab(7)).events;
    expect(events.map((e) => [e.seq, e.frameId, e.doc])).toEqual([
      [1, 0, 'top'],
      [2, 3, 'sub'],
    ]);
  });

  it('forwards config to the page on hello and fault commands from the background', async () => {
    const world = new World();
    const frame = new Frame(world, 1, 0, 'd1');
    await until(() => frame.relay.stats().connected);
    frame.relay.receiveFromPage(JSON.stringify({ v: PAGE_BRIDGE_VERSION, kind: 'hello', doc: 'd1' }));
    expect(frame.toPage.at(-2)).toEqual({ v: PAGE_BRIDGE_VERSION, kind: 'ready' });
    expect(frame.toPage.at(-1)).toMatchObject({ kind: 'config', recording: true });
    await world.hub.api.setRecording(1, false);
    await until(() => frame.toPage.some((m) => m.kind === 'config' && !m.recording));
    await world.hub.api.injectFault(1, { fault: 'close', code: 4001, reason: 'test', conn: null });
    await until(() => frame.toPage.some((m) => m.kind === 'fault'));
    expect(frame.toPage.at(-1)).toEqual({ v: PAGE_BRIDGE_VERSION, kind: 'fault', command: { fault: 'close', code: 4001, reason: 'test', conn: null } });
    await expect(world.hub.api.injectFault(1, { fault: 'drop', conn: null }, 5)).rejects.toThrow(/no connected frame 5/);
  });
});

describe('relay when the document goes away (node)', () => {
  it('on pagehide sends what is queued at once and every later message past the in-flight window', async () => {
    // A background that welcomes the relay and never acknowledges (as when the port closes with the document).
    const sent: Array<{ type: string }> = [];
    let deliver: (message: unknown) => void = () => {};
    const port: PortLike = {
      name: 'x',
      postMessage: (m) => {
        const message = m as { type: string };
        sent.push(message);
        if (message.type === 'hello') {
          setTimeout(() => deliver(wire<ToRelayMessages, 'welcome'>('welcome', { ackedBatch: 0, config: { recording: true, maxTextChars: 100 } })), 0);
        }
      },
      disconnect: () => {},
      onMessage: { addListener: (l) => void (deliver = l) },
      onDisconnect: { addListener: () => {} },
    };
    const relay = new Relay({ connect: () => port, postToPage: () => {}, setTimeout: (fn, ms) => setTimeout(fn, ms), relayId: 'r' });
    relay.start();
    await until(() => relay.stats().connected);
    const frame = new Frame(new World(), 1, 0, 'd1');
    const messages = RELAY_MAX_IN_FLIGHT + 2;
    const post = () => relay.receiveFromPage(JSON.stringify(pageEventsMessage(Array.from({ length: RELAY_BATCH_MAX_EVENTS }, (_, i) => frame.event(`e${i}`)))));
    for (let i = 0; i < messages; i++) post();
    // Full batches went out up to the in-flight window; the rest waits for acknowledgements that will not come.
    expect(relay.stats()).toMatchObject({ unacked: RELAY_MAX_IN_FLIGHT, queued: 2 * RELAY_BATCH_MAX_EVENTS });
    relay.pageHidden();
    expect(relay.stats()).toMatchObject({ unacked: messages, queued: 0 });
    // A lone event after pagehide is not held for the flush interval.
    relay.receiveFromPage(JSON.stringify(pageEventsMessage([frame.event('last')])));
    expect(relay.stats()).toMatchObject({ unacked: messages + 1, queued: 0 });
    expect(sent.filter((m) => m.type === 'batch')).toHaveLength(messages + 1);
    relay.pageShown();
    relay.receiveFromPage(JSON.stringify(pageEventsMessage([frame.event('restored')])));
    expect(relay.stats().queued).toBe(1);
  });
});

describe('relay rejects page junk (node)', () => {
  it('counts every malformed or oversized message and reports it as capture.dropped where relay', async () => {
    const world = new World();
    const frame = new Frame(world, 1, 0, 'd1');
    const good = frame.event('good');
    // Rejected by the relay itself: not an events message's header (one each).
    const junk: unknown[] = [
      null,
      { v: 1, kind: 'events', events: [] },
      '{not json',
      JSON.stringify({ v: 99, kind: 'events', n: 1, events: [good] }),
      JSON.stringify({ v: PAGE_BRIDGE_VERSION, kind: 'exec', code: 'chrome.tabs.remove(1)' }),
      JSON.stringify({ v: PAGE_BRIDGE_VERSION, kind: 'events', events: [good] }),
      JSON.stringify({ v: PAGE_BRIDGE_VERSION, kind: 'events', n: 0, events: [] }),
      JSON.stringify({ v: PAGE_BRIDGE_VERSION, kind: 'events', n: 10_001, events: [good] }),
      'x'.repeat(PAGE_MESSAGE_MAX_CHARS + 1),
    ];
    for (const j of junk) frame.relay.receiveFromPage(j);
    // Forwarded by the relay, rejected by the background when it parses them: every event their header claims.
    frame.relay.receiveFromPage('{"v":1,"kind":"events","n":3,"events":[{broken');
    frame.relay.receiveFromPage(JSON.stringify({ ...pageEventsMessage([good, good]), n: 5 }).replace('"n":2', '"n":5'));
    const badWhole = 3 + 5;
    // One message mixing good and bad events: only the bad ones are rejected.
    const forgedDrop = { type: 'capture.dropped', seq: 0, pseq: 9, t: 1, frameId: 0, doc: 'd1', count: 1e6, where: 'background' };
    frame.relay.receiveFromPage(
      JSON.stringify(pageEventsMessage([good, { ...good, type: 'evil' }, { ...good, extra: 1 }, forgedDrop] as CaptureEvent[])),
    );
    await until(() => frame.relay.stats().heldEvents === 0 && frame.relay.stats().unacked === 0 && frame.relay.stats().connected);
    await world.hub.settled();
    expect(frame.relay.stats().rejected).toBe(junk.length);
    const events = (await world.hub.api.exportTab(1)).events;
    expect(texts(events)).toEqual(['good']);
    const drops = events.filter((e) => e.type === 'capture.dropped');
    const total = junk.length + badWhole + 3;
    expect(drops.every((d) => d.type === 'capture.dropped' && d.where === 'relay')).toBe(true);
    expect(drops.reduce((n, d) => n + (d.type === 'capture.dropped' ? d.count : 0), 0)).toBe(total);
    const stats = await world.hub.api.stats(1);
    expect(stats.rejected).toBe(total);
    expect(stats.dropped).toEqual({ page: 0, relay: 0, background: 0 });
  });

  it('drops and counts events beyond its hold bound while the background does not answer', async () => {
    const silent: PortLike = {
      name: 'x',
      postMessage: () => {},
      disconnect: () => {},
      onMessage: { addListener: () => {} },
      onDisconnect: { addListener: () => {} },
    };
    const relay = new Relay({
      connect: () => silent,
      postToPage: () => {},
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      relayId: 'r',
    });
    relay.start();
    const world = new World();
    const frame = new Frame(world, 1, 0, 'd1');
    const batch = Array.from({ length: 1000 }, (_, i) => frame.event(`e${i}`));
    const message = JSON.stringify(pageEventsMessage(batch));
    for (let i = 0; i < RELAY_MAX_HELD_EVENTS / 1000 + 3; i++) relay.receiveFromPage(message);
    expect(relay.stats().heldEvents).toBe(RELAY_MAX_HELD_EVENTS);
    expect(relay.stats().dropped).toBe(3000);
  });
});

describe('relay ack/resend across service-worker restarts (node)', () => {
  it('reopens a port that never gets a welcome (opened while the worker was stopping)', async () => {
    const world = new World();
    const silent: PortLike = {
      name: 'silent',
      postMessage: () => {},
      disconnect: () => {},
      onMessage: { addListener: () => {} },
      onDisconnect: { addListener: () => {} },
    };
    let opened = 0;
    const toPage: unknown[] = [];
    const relay = new Relay({
      connect: () => (opened++ === 0 ? silent : world.connectRelay(1, 0)),
      postToPage: (m) => toPage.push(m),
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      relayId: 'late',
    });
    relay.start();
    const frame = new Frame(world, 2, 0, 'other');
    relay.receiveFromPage(JSON.stringify(pageEventsMessage([frame.event('waited')])));
    await tick(WELCOME_TIMEOUT_MS - 200);
    expect(relay.stats().connected).toBe(false);
    await until(() => relay.stats().connected && relay.stats().heldEvents === 0, WELCOME_TIMEOUT_MS + 5000);
    expect(opened).toBe(2);
    expect(texts((await world.hub.api.exportTab(1)).events)).toEqual(['waited']);
  });

  it('replaces a welcomed port that goes silent (no disconnect, no acks) after ACK_TIMEOUT_MS, and resends what it swallowed', async () => {
    const world = new World();
    let silenced = false;
    const ports: PortLike[] = [];
    const timers: number[] = [];
    const relay = new Relay({
      connect: () => {
        const port = world.connectRelay(1, 0);
        const first = ports.length === 0;
        ports.push(port);
        // The first port goes dead without a word once `silenced`: what is posted on it vanishes.
        return { ...port, postMessage: (m: unknown) => void (first && silenced ? undefined : port.postMessage(m)) };
      },
      postToPage: () => {},
      // The watchdog's long timer runs 100 times faster here; every other timer as given.
      setTimeout: (fn, ms) => {
        timers.push(ms);
        return setTimeout(fn, ms === ACK_TIMEOUT_MS ? ACK_TIMEOUT_MS / 100 : ms);
      },
      relayId: 'silent-later',
    });
    relay.start();
    const frame = new Frame(world, 2, 0, 'other');
    await until(() => relay.stats().connected);
    relay.receiveFromPage(JSON.stringify(pageEventsMessage([frame.event('heard')])));
    await until(() => relay.stats().heldEvents === 0);
    silenced = true;
    relay.receiveFromPage(JSON.stringify(pageEventsMessage([frame.event('swallowed')])));
    await until(() => relay.stats().unacked === 1);
    await until(() => ports.length === 2 && relay.stats().connected && relay.stats().heldEvents === 0);
    expect(timers).toContain(ACK_TIMEOUT_MS);
    expect(texts((await world.hub.api.exportTab(1)).events)).toEqual(['heard', 'swallowed']);
  });

  it('keeps a port whose acknowledgements come, however long the capture goes on', async () => {
    const world = new World();
    const frame = new Frame(world, 1, 0, 'd1');
    let opened = 0;
    const relay = new Relay({
      connect: () => {
        opened++;
        return world.connectRelay(1, 0);
      },
      postToPage: () => {},
      setTimeout: (fn, ms) => setTimeout(fn, ms === ACK_TIMEOUT_MS ? ACK_TIMEOUT_MS / 100 : ms),
      relayId: 'steady',
    });
    relay.start();
    for (let i = 0; i < 20; i++) {
      relay.receiveFromPage(JSON.stringify(pageEventsMessage([frame.event(`m${i}`)])));
      await tick(ACK_TIMEOUT_MS / 100);
    }
    await until(() => relay.stats().heldEvents === 0);
    expect(opened).toBe(1);
  });

  it('retries a connect that throws while the extension is still there, and stops when it is gone', async () => {
    const world = new World();
    const frame = new Frame(world, 2, 0, 'other');
    const relayWith = (alive: boolean | undefined, failures: number) => {
      let attempts = 0;
      const relay = new Relay({
        connect: () => {
          if (attempts++ < failures) throw new Error('Could not establish connection.');
          return world.connectRelay(1, 0);
        },
        postToPage: () => {},
        setTimeout: (fn, ms) => setTimeout(fn, ms),
        relayId: `alive-${alive}`,
        ...(alive === undefined ? {} : { extensionAlive: () => alive }),
      });
      relay.start();
      return { relay, attempts: () => attempts };
    };
    const alive = relayWith(true, 3);
    alive.relay.receiveFromPage(JSON.stringify(pageEventsMessage([frame.event('kept')])));
    await until(() => alive.relay.stats().connected && alive.relay.stats().heldEvents === 0);
    expect(alive.attempts()).toBe(4);
    expect(texts((await world.hub.api.exportTab(1)).events)).toEqual(['kept']);

    for (const gone of [relayWith(false, 1), relayWith(undefined, 1)]) {
      await tick(RECONNECT_DELAYS_MS.at(-1)!);
      expect(gone.attempts()).toBe(1);
      expect(gone.relay.stats().connected).toBe(false);
    }
  });

  it('resends unacknowledged batches after a restart; the panel sees each event once', async () => {
    const world = new World();
    const frame = new Frame(world, 1, 0, 'd1');
    const view = panel(world, 1);
    frame.postMany(300, 30, 'a');
    await until(() => view.events().length === 300);
    // Stop the worker while a commit is held: its write is lost, nothing was acked.
    let release!: () => void;
    world.store.gate = new Promise((r) => (release = r));
    frame.postMany(200, 40, 'b');
    await until(() => frame.relay.stats().unacked > 0);
    await tick(10);
    world.killWorker('lose');
    world.store.gate = null;
    release();
    frame.postMany(100, 25, 'c');
    await until(() => view.events().length >= 600 && frame.relay.stats().heldEvents === 0);
    await tick(50);
    const want = [
      ...Array.from({ length: 300 }, (_, i) => `a${i}`),
      ...Array.from({ length: 200 }, (_, i) => `b${i}`),
      ...Array.from({ length: 100 }, (_, i) => `c${i}`),
    ];
    expect(texts(view.events())).toEqual(want);
    expect(view.events().map((e) => e.seq)).toEqual(want.map((_, i) => i + 1));
    expect(view.status().reconnects).toBe(1);
    expect(view.status().state).toBe('connected');
    expect(texts((await world.hub.api.exportTab(1)).events)).toEqual(want);
  });

  it('property: any interleaving of traffic and worker kills delivers every event exactly once, in order', async () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('post' as const), count: fc.integer({ min: 1, max: 120 }), per: fc.integer({ min: 1, max: 50 }) }),
      fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 25 }) }),
      fc.record({ kind: fc.constant('kill' as const), writes: fc.constantFrom('apply' as const, 'lose' as const), hold: fc.boolean() }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
        const world = new World();
        const frame = new Frame(world, 1, 0, 'd1');
        const view = panel(world, 1);
        let posted = 0;
        for (const s of steps) {
          if (s.kind === 'post') {
            frame.postMany(s.count, s.per, `p${posted}-`);
            posted += s.count;
          } else if (s.kind === 'wait') {
            await tick(s.ms);
          } else {
            let release: (() => void) | null = null;
            if (s.hold) world.store.gate = new Promise((r) => (release = r));
            await tick(RELAY_FLUSH_MS + 2);
            world.killWorker(s.writes);
            world.store.gate = null;
            (release as (() => void) | null)?.();
          }
        }
        await until(() => frame.relay.stats().heldEvents === 0 && view.events().length >= posted, 10_000);
        await tick(30);
        const got = view.events();
        expect(got.length).toBe(posted);
        expect(got.map((e) => e.pseq)).toEqual(Array.from({ length: posted }, (_, i) => i + 1));
        expect(got.map((e) => e.seq)).toEqual(Array.from({ length: posted }, (_, i) => i + 1));
        const exported = (await world.hub.api.exportTab(1)).events;
        expect(exported.map((e) => e.pseq)).toEqual(got.map((e) => e.pseq));
        view.close();
      }),
      { numRuns: 25 },
    );
  });
});
