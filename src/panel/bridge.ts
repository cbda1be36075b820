/**
 * The panel's data connection to the background: history first, then live
 * events, in seq order, without gaps or duplicates, across service-worker
 * restarts (the port is reopened and asks only for events after the last seq it
 * holds). Commands (clear, recording, faults, export) go through the background API.
 *
 * The panel UI builds on `connectPanel`; tests read `globalThis.__riPanel`.
 */
import type { CaptureEvent, CaptureFile } from '../core/index.ts';
import { PANEL_PORT_NAME, PROTOCOL_VERSION, TAB_MAX_EVENTS } from '../shared/constants.ts';
import { PortSession } from '../shared/port-session.ts';
import type { FaultCommand } from '../shared/page-bridge.ts';
import {
  parseWire,
  send,
  TO_PANEL_MESSAGE_CHECKS,
  wire,
  wireVersion,
  type ApiMessages,
  type ApiMethods,
  type ApiReply,
  type PanelMessages,
  type PortLike,
  type TabStats,
  type ToPanelMessages,
} from '../shared/messages.ts';

/** Connection state shown by the panel. */
export type BridgeState = 'connecting' | 'connected' | 'reconnecting' | 'incompatible' | 'closed';

/** What the panel shows about the connection. */
export interface BridgeStatus {
  state: BridgeState;
  /** Events lost anywhere (page, relay, background bounds, and this panel's own bound). */
  dropped: number;
  /** Page messages rejected as malformed by the relays (also counted in `dropped`). */
  rejected: number;
  /** The background's latest counters for the tab. */
  stats: TabStats | null;
  /** How many times the port was reopened (service-worker restarts). */
  reconnects: number;
  /** Events this panel evicted from its own list to stay bounded. */
  panelEvicted: number;
}

/** A change the listener is told about. */
export type BridgeUpdate =
  | { kind: 'events'; events: CaptureEvent[]; history: boolean }
  | { kind: 'cleared' }
  | { kind: 'status'; status: BridgeStatus };

export type BridgeListener = (update: BridgeUpdate) => void;

/** The panel's handle on one tab's capture. */
export interface PanelBridge {
  readonly tabId: number;
  /** Every received event, in seq order. */
  events(): CaptureEvent[];
  /** The events to show: the current page only, unless preserve log is on. */
  visibleEvents(): CaptureEvent[];
  subscribe(listener: BridgeListener): () => void;
  status(): BridgeStatus;
  clear(): Promise<void>;
  setRecording(on: boolean): Promise<void>;
  setPreserveLog(on: boolean): void;
  preserveLog(): boolean;
  injectFault(command: FaultCommand, frameId?: number): Promise<void>;
  /** The tab's whole capture from the background (raw; redaction is the exporter's job). */
  exportCapture(): Promise<CaptureFile>;
  close(): void;
}

/** How the bridge reaches the background (chrome.runtime by default; tests pass an in-memory one). */
export interface BridgeTransport {
  connect(): PortLike;
  request(message: unknown): Promise<unknown>;
  setTimeout(fn: () => void, ms: number): unknown;
}

const chromeTransport = (): BridgeTransport => ({
  connect: () => chrome.runtime.connect({ name: PANEL_PORT_NAME }),
  request: (message) => chrome.runtime.sendMessage(message),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
});

/** A top-level navigation: a new top document, or one shown again from the back/forward cache. */
export function isTopNavigation(e: CaptureEvent): boolean {
  return (e.type === 'doc.start' || e.type === 'doc.restored') && e.frameId === 0;
}

/**
 * How far apart two frames of one page may see the same pagehide (the browser hides a
 * page's frames in one go; other processes' frames a little later on a loaded machine).
 */
const SAME_PAGEHIDE_MS = 1000;

/** The documents of the current page and of earlier ones, from the last top-level navigation (`from`, -1 when none). */
export function pageDocuments(events: readonly CaptureEvent[]): { from: number; current: Set<string>; earlier: Set<string> } {
  let from = -1;
  for (let i = events.length - 1; i >= 0; i--) {
    if (isTopNavigation(events[i]!)) {
      from = i;
      break;
    }
  }
  const current = new Set<string>();
  const earlier = new Set<string>();
  if (from < 0) return { from, current, earlier };
  const boundary = events[from]!;
  // A page back from the back/forward cache brings its frames back with it; their doc.restored
  // may be handled before the top document's.
  const cachedAt = boundary.type === 'doc.restored' ? boundary.cachedAt : null;
  const restoredWithIt = (e: CaptureEvent) => e.type === 'doc.restored' && cachedAt !== null && Math.abs(e.cachedAt - cachedAt) <= SAME_PAGEHIDE_MS;
  events.forEach((e, i) => {
    const announces = e.type === 'doc.start' || e.type === 'doc.restored';
    if (i >= from ? announces : restoredWithIt(e)) current.add(e.doc);
    else if (e.type === 'doc.start') earlier.add(e.doc);
  });
  for (const doc of current) earlier.delete(doc);
  return { from, current, earlier };
}

/**
 * The events of the current page: from the last top-level navigation on (a `doc.start`, or a
 * `doc.restored` from the back/forward cache), of its documents, of documents that started after
 * it (its frames), or of documents never announced.
 */
export function currentPageEvents(events: readonly CaptureEvent[]): CaptureEvent[] {
  const { from, current, earlier } = pageDocuments(events);
  if (from < 0) return events.slice();
  return events.slice(from).filter((e) => current.has(e.doc) || !earlier.has(e.doc));
}

/** Connect the panel to `tabId`'s capture. */
export function connectPanel(tabId: number, listener?: BridgeListener, transport: BridgeTransport = chromeTransport()): PanelBridge {
  let events: CaptureEvent[] = [];
  let lastSeq = 0;
  let preserve = false;
  const listeners = new Set<BridgeListener>(listener ? [listener] : []);
  const status: BridgeStatus = { state: 'connecting', dropped: 0, rejected: 0, stats: null, reconnects: 0, panelEvicted: 0 };

  const emit = (update: BridgeUpdate) => {
    for (const l of listeners) {
      try {
        l(update);
      } catch (error) {
        // A failing view must not stop the connection (nor the other listeners).
        console.error('[realtime-inspector] bridge listener failed', error);
      }
    }
  };
  const emitStatus = () => emit({ kind: 'status', status: { ...status } });
  const setStats = (stats: TabStats) => {
    status.stats = stats;
    status.rejected = stats.rejected;
    status.dropped = stats.dropped.page + stats.dropped.relay + stats.dropped.background + stats.rejected + status.panelEvicted;
  };

  const forgetThrough = (seq: number) => {
    if (events.length && events[0]!.seq <= seq) {
      events = events.filter((e) => e.seq > seq);
      emit({ kind: 'cleared' });
      if (events.length) emit({ kind: 'events', events: events.slice(), history: true });
    }
    lastSeq = Math.max(lastSeq, seq);
  };

  const receive = (raw: unknown) => {
    const message = parseWire<ToPanelMessages>(raw, TO_PANEL_MESSAGE_CHECKS);
    if (!message) {
      const v = wireVersion(raw);
      if (v !== null && v !== PROTOCOL_VERSION) {
        status.state = 'incompatible';
        emitStatus();
      }
      return;
    }
    switch (message.type) {
      case 'welcome':
        session.welcomed();
        setStats(message.payload.stats);
        forgetThrough(message.payload.stats.clearedAtSeq);
        break;
      case 'events': {
        const fresh = message.payload.events.filter((e) => e.seq > lastSeq);
        if (!fresh.length) return;
        lastSeq = fresh.at(-1)!.seq;
        events.push(...fresh);
        if (events.length > TAB_MAX_EVENTS) {
          const excess = events.length - TAB_MAX_EVENTS;
          events.splice(0, excess);
          status.panelEvicted += excess;
        }
        emit({ kind: 'events', events: fresh, history: message.payload.history });
        break;
      }
      case 'synced':
        status.state = 'connected';
        session.resetBackoff();
        setStats(message.payload.stats);
        emitStatus();
        break;
      case 'cleared':
        events = [];
        lastSeq = Math.max(lastSeq, message.payload.lastSeq);
        setStats(message.payload.stats);
        emit({ kind: 'cleared' });
        emitStatus();
        break;
      case 'stats':
        setStats(message.payload);
        emitStatus();
        break;
    }
  };

  const session = new PortSession({
    connect: () => transport.connect(),
    setTimeout: (fn, ms) => transport.setTimeout(fn, ms),
    greet: (port) => send<PanelMessages, 'subscribe'>(port, 'subscribe', { tabId, afterSeq: lastSeq }),
    onMessage: (raw) => receive(raw),
    onReconnecting: () => {
      status.state = 'reconnecting';
      status.reconnects++;
      emitStatus();
    },
    onConnectError: (error) => {
      console.error('[realtime-inspector] cannot connect to the background', error);
      return 'retry';
    },
  });

  const call = async <K extends keyof ApiMethods>(method: K, ...args: ApiMethods[K]['args']): Promise<ApiMethods[K]['result']> => {
    const reply = (await transport.request(wire<ApiMessages, 'api'>('api', { method, args } as ApiMessages['api']))) as ApiReply | undefined;
    if (!reply) throw new Error(`realtime-inspector: no reply to ${method}`);
    if (!reply.ok) throw new Error(reply.error);
    return reply.result as ApiMethods[K]['result'];
  };

  const bridge: PanelBridge = {
    tabId,
    events: () => events.slice(),
    visibleEvents: () => (preserve ? events.slice() : currentPageEvents(events)),
    subscribe(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    status: () => ({ ...status }),
    clear: () => call('clear', tabId),
    setRecording: (on) => call('setRecording', tabId, on),
    setPreserveLog(on) {
      preserve = on;
      emitStatus();
    },
    preserveLog: () => preserve,
    injectFault: (command, frameId) =>
      frameId === undefined ? call('injectFault', tabId, command) : call('injectFault', tabId, command, frameId),
    exportCapture: () => call('exportTab', tabId),
    close() {
      status.state = 'closed';
      session.close();
    },
  };

  session.open();
  if (typeof location !== 'undefined' && location.protocol === 'chrome-extension:') {
    (globalThis as unknown as { __riPanel: unknown }).__riPanel = {
      events: () => bridge.events(),
      visibleEvents: () => bridge.visibleEvents(),
      stats: () => bridge.status(),
      bridge,
    };
  }
  return bridge;
}

/** The tab the panel inspects: DevTools' inspected tab, else `?tabId=N` (panel opened as a page). */
export function inspectedTabId(): number | null {
  const fromDevtools = globalThis.chrome?.devtools?.inspectedWindow?.tabId;
  if (typeof fromDevtools === 'number') return fromDevtools;
  const param = new URLSearchParams(location.search).get('tabId');
  const id = param === null ? NaN : Number(param);
  return Number.isSafeInteger(id) && id >= 0 ? id : null;
}
