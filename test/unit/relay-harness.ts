/**
 * An in-memory stand-in for what Chrome provides the pipeline: port pairs that
 * deliver asynchronously and JSON-serialize like runtime ports, a session store,
 * and a "worker" that can be killed and restarted (its ports disconnect, messages
 * in flight are lost, memory is gone, storage stays) — the real Relay, Hub and
 * bridge run on top of it.
 */
import { Hub, type HubLimits, type SessionStore } from '../../src/background/hub.ts';
import { Relay } from '../../src/content/relay.ts';
import { connectPanel, type PanelBridge } from '../../src/panel/bridge.ts';
import { PANEL_PORT_NAME, RELAY_PORT_NAME } from '../../src/shared/constants.ts';
import type { RelayToPage } from '../../src/shared/page-bridge.ts';
import { PAGE_BRIDGE_VERSION, pageEventsMessage } from '../../src/shared/page-bridge.ts';
import { API_MESSAGE_CHECKS, parseWire, type ApiMessages, type PortLike } from '../../src/shared/messages.ts';
import type { CaptureEvent } from '../../src/core/events.ts';

type Listener<T extends unknown[]> = (...args: T) => void;

class MemoryPort implements PortLike {
  other!: MemoryPort;
  alive = true;
  private readonly messageListeners: Listener<[unknown]>[] = [];
  private readonly disconnectListeners: Listener<[]>[] = [];
  onMessage = { addListener: (l: Listener<[unknown]>) => void this.messageListeners.push(l) };
  onDisconnect = { addListener: (l: Listener<[]>) => void this.disconnectListeners.push(l) };
  constructor(readonly name: string) {}

  postMessage(message: unknown): void {
    if (!this.alive) throw new Error('Attempting to use a disconnected port object');
    const copy = JSON.stringify(message);
    const target = this.other;
    setTimeout(() => {
      if (target.alive) for (const l of target.messageListeners) l(JSON.parse(copy));
    }, 0);
  }

  disconnect(): void {
    if (!this.alive) return;
    this.alive = false;
    this.other.drop();
  }

  /** The other side went away (or the worker died): Chrome fires onDisconnect here only. */
  drop(): void {
    if (!this.alive) return;
    this.alive = false;
    setTimeout(() => this.disconnectListeners.forEach((l) => l()), 0);
  }
}

function portPair(name: string): [MemoryPort, MemoryPort] {
  const a = new MemoryPort(name);
  const b = new MemoryPort(name);
  a.other = b;
  b.other = a;
  return [a, b];
}

/** The buffer's store in memory (values are JSON copies; reads ordered after earlier writes, as IndexedDB orders transactions). */
export class MemoryStore implements SessionStore {
  readonly data = new Map<string, string>();
  /** When set, `set` waits for this gate (to kill the worker mid-commit). */
  gate: Promise<void> | null = null;
  writes = 0;
  /** The next this many writes fail (as a full quota would). */
  failWrites = 0;

  /** Writes not yet settled: like IndexedDB, a later read waits for earlier writes on its store. */
  private readonly pending = new Set<Promise<void>>();

  async getAll(): Promise<Record<string, unknown>> {
    await Promise.allSettled([...this.pending]);
    return Object.fromEntries([...this.data].map(([k, v]) => [k, JSON.parse(v)]));
  }
  set(items: Record<string, unknown>, applies: () => boolean = () => true): Promise<void> {
    const write = this.write(items, applies);
    this.pending.add(write);
    const settle = () => this.pending.delete(write);
    write.then(settle, settle);
    return write;
  }
  private async write(items: Record<string, unknown>, applies: () => boolean): Promise<void> {
    const copy = Object.entries(items).map(([k, v]) => [k, JSON.stringify(v)] as const);
    if (this.gate) await this.gate;
    if (this.failWrites > 0) {
      this.failWrites--;
      throw new Error('QuotaExceededError');
    }
    if (!applies()) return;
    for (const [k, v] of copy) this.data.set(k, v);
    this.writes++;
  }
  async remove(keys: string[]): Promise<void> {
    for (const k of keys) this.data.delete(k);
  }
}

/** Wait for pending timers (port deliveries, flushes, commits) to run. */
export const tick = (ms = 0) => new Promise<void>((r) => setTimeout(r, ms));

/** Poll until `check` holds (or fail after `timeoutMs`). */
export async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await tick(5);
  }
}

/** A worker (Hub) that can be killed and restarted over the same store. */
export class World {
  hub: Hub;
  readonly store = new MemoryStore();
  private workerPorts: MemoryPort[] = [];
  private relayClients: MemoryPort[] = [];
  /** Set when the current worker dies: how its storage write in flight ends. */
  restarts = 0;

  constructor(private readonly limits: Partial<HubLimits> = {}) {
    this.hub = this.startWorker();
  }

  /** A new worker with its own view of the store: once dead, it can no longer write. */
  private startWorker(): Hub {
    const life = { dead: null as { inFlightWrites: 'apply' | 'lose' } | null };
    const store = this.store;
    const view: SessionStore = {
      getAll: () => store.getAll(),
      set: (items) =>
        life.dead ? new Promise(() => {}) : store.set(items, () => life.dead?.inFlightWrites !== 'lose').then(() => {
          if (life.dead) return new Promise(() => {});
        }),
      remove: (keys) => (life.dead ? new Promise(() => {}) : store.remove(keys)),
    };
    this.kill = (mode) => {
      life.dead = mode;
    };
    return new Hub(view, { limits: this.limits });
  }

  private kill: (mode: { inFlightWrites: 'apply' | 'lose' }) => void = () => {};

  /** What chrome.runtime.connect does from a content script of (tabId, frameId). */
  connectRelay(tabId: number, frameId: number): PortLike {
    const [client, worker] = portPair(RELAY_PORT_NAME);
    this.workerPorts.push(worker);
    this.relayClients.push(client);
    this.hub.connectRelay(worker, tabId, frameId);
    return client;
  }

  connectPanelPort(): PortLike {
    const [client, worker] = portPair(PANEL_PORT_NAME);
    this.workerPorts.push(worker);
    this.hub.connectPanel(worker);
    return client;
  }

  /** What chrome.runtime.sendMessage from an extension page does. */
  async request(message: unknown): Promise<unknown> {
    const hub = this.hub;
    const request = parseWire<ApiMessages>(JSON.parse(JSON.stringify(message)), API_MESSAGE_CHECKS);
    if (!request) return undefined;
    const call = hub.api[request.payload.method] as (...a: unknown[]) => Promise<unknown>;
    try {
      return JSON.parse(JSON.stringify({ ok: true, result: (await call(...request.payload.args)) ?? null }));
    } catch (error) {
      return { ok: false, error: (error as Error).message };
    }
  }

  /** Chrome closes relay ports while the worker lives (a page entering the back/forward cache): both sides see onDisconnect. */
  severRelays(): void {
    for (const client of this.relayClients) {
      client.drop();
      client.other.drop();
    }
    this.relayClients = [];
  }

  /**
   * Chrome stops the worker: ports drop, memory is lost, storage stays, a storage
   * write in flight either lands or not; a new worker starts on demand.
   */
  killWorker(inFlightWrites: 'apply' | 'lose' = 'apply'): void {
    this.kill({ inFlightWrites });
    for (const p of this.workerPorts) p.disconnect();
    this.workerPorts = [];
    this.hub = this.startWorker();
    this.restarts++;
  }
}

/** A frame: the real Relay against the World, and the page side's view of what the relay posted. */
export class Frame {
  readonly relay: Relay;
  readonly toPage: RelayToPage[] = [];
  private pseq = 0;
  constructor(
    world: World,
    readonly tabId: number,
    readonly frameId: number,
    readonly doc: string,
    relayId = `${doc}-relay`,
  ) {
    this.relay = new Relay({
      connect: () => world.connectRelay(tabId, frameId),
      postToPage: (m) => this.toPage.push(m),
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      relayId,
    });
    this.relay.start();
  }

  /** A well-formed ws.message event of this document (what the hooks would emit). */
  event(text: string): CaptureEvent {
    this.pseq++;
    return {
      type: 'ws.message', seq: 0, pseq: this.pseq, t: 1_700_000_000_000 + this.pseq, frameId: 0, doc: this.doc,
      conn: `${this.doc}:1`, dir: 'in', data: { size: text.length, encoding: 'text', data: text, truncated: false },
    };
  }

  docStart(url: string, top = this.frameId === 0): CaptureEvent {
    this.pseq++;
    return { type: 'doc.start', seq: 0, pseq: this.pseq, t: 1_700_000_000_000, frameId: 0, doc: this.doc, url, title: url, top, parentDoc: null };
  }

  /** Dispatch events as the hooks do: one JSON string per message. */
  post(events: CaptureEvent[]): void {
    this.relay.receiveFromPage(JSON.stringify(pageEventsMessage(events)));
  }

  /** Post `count` numbered ws.message events in messages of `perMessage`. */
  postMany(count: number, perMessage = 100, prefix = 'm'): void {
    for (let i = 0; i < count; i += perMessage) {
      const n = Math.min(perMessage, count - i);
      this.post(Array.from({ length: n }, (_, j) => this.event(`${prefix}${i + j}`)));
    }
  }
}

/** A panel bridge connected to the World (reconnects when the worker is killed). */
export function panel(world: World, tabId: number): PanelBridge {
  return connectPanel(tabId, undefined, {
    connect: () => world.connectPanelPort(),
    request: (m) => world.request(m),
    setTimeout: (fn, ms) => setTimeout(fn, ms),
  });
}

/** The text payloads of ws.message events, in order. */
export function texts(events: readonly CaptureEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'ws.message' ? [e.data.data] : []));
}

/** A started Relay of document `doc` on ports from `connect`, told its document id by the hooks' hello. */
export function relayOfDoc(doc: string, connect: () => PortLike): Relay {
  const relay = new Relay({
    connect,
    postToPage: () => {},
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    relayId: `${doc}-relay`,
  });
  relay.start();
  relay.receiveFromPage(JSON.stringify({ v: PAGE_BRIDGE_VERSION, kind: 'hello', doc }));
  return relay;
}
