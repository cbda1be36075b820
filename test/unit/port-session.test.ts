/**
 * The one reconnecting port that the content relay and the panel bridge share
 * (src/shared/port-session.ts), against in-memory ports and a virtual clock:
 * a worker that dies, one that stays silent, a context that is gone, in any order.
 * The relay's and the bridge's own tests (relay.test.ts, panel-live.test.ts) run
 * it inside them with the background's real hub.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PortSession } from '../../src/shared/port-session.ts';
import { RECONNECT_DELAYS_MS, WELCOME_TIMEOUT_MS } from '../../src/shared/constants.ts';
import type { PortLike } from '../../src/shared/messages.ts';

class FakePort implements PortLike {
  readonly name = 'test';
  closedBySession = false;
  readonly sent: unknown[] = [];
  private readonly messageListeners: Array<(m: unknown) => void> = [];
  private readonly disconnectListeners: Array<() => void> = [];
  onMessage = { addListener: (l: (m: unknown) => void) => void this.messageListeners.push(l) };
  onDisconnect = { addListener: (l: () => void) => void this.disconnectListeners.push(l) };
  postMessage(message: unknown): void {
    this.sent.push(message);
  }
  disconnect(): void {
    this.closedBySession = true;
  }
  /** The background's side: a message, or the worker going away. */
  deliver(message: unknown): void {
    for (const l of this.messageListeners) l(message);
  }
  drop(): void {
    for (const l of this.disconnectListeners) l();
  }
}

class Clock {
  now = 0;
  private timers: Array<{ at: number; fn: () => void }> = [];
  setTimeout = (fn: () => void, ms: number) => {
    this.timers.push({ at: this.now + ms, fn });
    return this.timers.length;
  };
  advance(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > until) break;
      this.timers.shift();
      this.now = next.at;
      next.fn();
    }
    this.now = until;
  }
}

function harness(opts: { failConnect?: () => boolean; onError?: 'stop' | 'retry' } = {}) {
  const clock = new Clock();
  const ports: FakePort[] = [];
  const received: Array<{ message: unknown; port: PortLike }> = [];
  const delays: number[] = [];
  const session = new PortSession({
    connect: () => {
      if (opts.failConnect?.()) throw new Error('Extension context invalidated.');
      const port = new FakePort();
      ports.push(port);
      return port;
    },
    setTimeout: clock.setTimeout,
    greet: (port) => port.postMessage('hello'),
    onMessage: (message, port) => {
      received.push({ message, port });
      if (message === 'welcome') session.welcomed();
    },
    onReconnecting: (ms) => delays.push(ms),
    onConnectError: () => opts.onError ?? 'retry',
  });
  return { clock, ports, received, delays, session };
}

describe('PortSession', () => {
  it('greets on every new port, and a welcome keeps the port', () => {
    const { clock, ports, session } = harness();
    session.open();
    expect(ports).toHaveLength(1);
    expect(ports[0]!.sent).toEqual(['hello']);
    ports[0]!.deliver('welcome');
    clock.advance(10 * WELCOME_TIMEOUT_MS);
    expect(ports).toHaveLength(1);
    expect(session.isWelcomed()).toBe(true);
  });

  it('a port that stays silent (opened while the worker was stopping) is replaced after the welcome timeout', () => {
    const { clock, ports, session, delays } = harness();
    session.open();
    clock.advance(WELCOME_TIMEOUT_MS - 1);
    expect(ports).toHaveLength(1);
    clock.advance(1);
    expect(ports[0]!.closedBySession).toBe(true);
    expect(delays).toEqual([RECONNECT_DELAYS_MS[0]]);
    clock.advance(RECONNECT_DELAYS_MS[0]!);
    expect(ports).toHaveLength(2);
    expect(ports[1]!.sent).toEqual(['hello']);
  });

  it('backs off along RECONNECT_DELAYS_MS while the worker keeps dying, and starts over once the owner says the link works', () => {
    const { clock, ports, session, delays } = harness();
    session.open();
    for (let i = 0; i < RECONNECT_DELAYS_MS.length + 2; i++) {
      ports.at(-1)!.drop();
      // The next port opens within the longest delay, before its welcome timeout.
      clock.advance(RECONNECT_DELAYS_MS.at(-1)!);
    }
    expect(delays).toEqual([...RECONNECT_DELAYS_MS, RECONNECT_DELAYS_MS.at(-1), RECONNECT_DELAYS_MS.at(-1)]);
    ports.at(-1)!.deliver('welcome');
    session.resetBackoff();
    ports.at(-1)!.drop();
    expect(delays.at(-1)).toBe(RECONNECT_DELAYS_MS[0]);
  });

  it('a context that is gone stops the session when the owner says so, and retries when it does not', () => {
    const stop = harness({ failConnect: () => true, onError: 'stop' });
    stop.session.open();
    stop.clock.advance(60_000);
    expect(stop.session.isStopped()).toBe(true);
    expect(stop.delays).toEqual([]);

    let failures = 2;
    const retry = harness({ failConnect: () => failures-- > 0, onError: 'retry' });
    retry.session.open();
    retry.clock.advance(WELCOME_TIMEOUT_MS - 1);
    expect(retry.ports).toHaveLength(1);
    expect(retry.delays).toEqual(RECONNECT_DELAYS_MS.slice(0, 2));
  });

  it('renew replaces the current port at once, and a reopen still waiting then opens nothing', () => {
    const { clock, ports, session, delays } = harness();
    session.open();
    ports[0]!.deliver('welcome');
    // The worker drops the port: a reopen waits for its delay on the clock.
    ports[0]!.drop();
    expect(delays).toEqual([RECONNECT_DELAYS_MS[0]]);
    session.renew();
    expect(ports).toHaveLength(2);
    expect(ports[1]!.sent).toEqual(['hello']);
    // The waiting reopen's time comes, before the renewed port's welcome timeout: it opens nothing.
    clock.advance(WELCOME_TIMEOUT_MS - 1);
    expect(ports).toHaveLength(2);
    expect(ports[1]!.closedBySession).toBe(false);
    expect(session.current()).toBe(ports[1]);

    // A welcomed port that renew replaces is disconnected, and its late messages go unheard.
    const fresh = harness();
    fresh.session.open();
    fresh.ports[0]!.deliver('welcome');
    fresh.session.renew();
    expect(fresh.ports[0]!.closedBySession).toBe(true);
    fresh.ports[0]!.deliver('late');
    expect(fresh.received.map((r) => r.message)).toEqual(['welcome']);
    expect(fresh.ports[1]!.sent).toEqual(['hello']);
  });

  it('close disconnects and opens nothing more, whatever the old port does after', () => {
    const { clock, ports, session, received } = harness();
    session.open();
    session.close();
    expect(ports[0]!.closedBySession).toBe(true);
    ports[0]!.deliver('late');
    ports[0]!.drop();
    clock.advance(60_000);
    expect(ports).toHaveLength(1);
    expect(received).toEqual([]);
  });

  it('property: under any interleaving of drops, silences, welcomes and stray messages, one port at most is live and only it is heard', () => {
    type Step = { kind: 'drop' | 'welcome' | 'stray' | 'message' | 'wait' | 'renew'; ms: number; old: number };
    const step = fc.record({
      kind: fc.constantFrom<Step['kind']>('drop', 'welcome', 'stray', 'message', 'wait', 'renew'),
      ms: fc.integer({ min: 0, max: 2 * WELCOME_TIMEOUT_MS }),
      old: fc.nat(),
    });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const { clock, ports, session, received } = harness();
        session.open();
        let expectedHeard = 0;
        for (const s of steps) {
          const current = session.current() as FakePort | null;
          switch (s.kind) {
            case 'drop':
              current?.drop();
              break;
            case 'welcome':
              if (current) {
                current.deliver('welcome');
                expectedHeard++;
              }
              break;
            case 'message':
              if (current) {
                current.deliver('data');
                expectedHeard++;
              }
              break;
            case 'stray': {
              // A message or a disconnect from a port that is no longer the current one.
              const old = ports.filter((p) => p !== current);
              const p = old.length > 0 ? old[s.old % old.length]! : null;
              p?.deliver('stray');
              p?.drop();
              break;
            }
            case 'wait':
              clock.advance(s.ms);
              break;
            case 'renew':
              // The owner knows the port is dead (a restored document), whatever the session is waiting for.
              session.renew();
              break;
          }
          // Every port but the current one was disconnected by the session.
          const live = ports.filter((p) => !p.closedBySession);
          expect(live.length).toBeLessThanOrEqual(1);
          if (live.length === 1) expect(live[0]).toBe(session.current());
        }
        expect(received.every((r) => r.message !== 'stray')).toBe(true);
        expect(received).toHaveLength(expectedHeard);
        // Left alone, it ends with a port that was greeted.
        clock.advance(10 * WELCOME_TIMEOUT_MS);
        const last = session.current() as FakePort | null;
        if (last) expect(last.sent[0]).toBe('hello');
      }),
      { numRuns: 300 },
    );
  });
});
