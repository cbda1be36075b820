/**
 * The wire schema between extension contexts: relay → background, background →
 * relay, panel → background, background → panel, and the request/response API
 * (panel runtime messages, `self.realtimeInspector` in the service worker).
 *
 * Each direction is a map from message name to payload type, so `send(port, 'ack', {...})`
 * is checked by the compiler; one guard (`parseWire`) validates every message that
 * arrives, with a payload check per name. The page↔relay wire is separate
 * (src/shared/page-bridge.ts): page data is untrusted and checked by src/core/guard.ts.
 */
import type { CaptureEvent, CaptureFile } from '../core/events.ts';
import type { FaultCommand } from './page-bridge.ts';
import { MESSAGE_SOURCE, PAGE_MESSAGE_MAX_CHARS, PROTOCOL_VERSION, RELAY_BATCH_MAX_EVENTS, RELAY_MAX_HELD_RESTORES } from './constants.ts';

/** What the page hooks are told to do (forwarded by the relay as a `config` RelayToPage). */
export interface PageConfig {
  recording: boolean;
  maxTextChars: number;
}

/**
 * A document's stay in the back/forward cache, on the page's clock (epoch ms): hidden
 * (trusted pagehide) at `cachedAt`, shown again (trusted pageshow, `persisted`) at `restoredAt`.
 */
export interface CacheStay {
  cachedAt: number;
  restoredAt: number;
}

/**
 * A document frozen in place (not cached), on the page's clock (epoch ms): trusted `freeze` at
 * `frozenAt`, trusted `resume` at `resumedAt`.
 */
export interface FreezeStay {
  frozenAt: number;
  resumedAt: number;
}

/** Relay → background. */
export interface RelayMessages {
  /** First message on every relay port (also after a reconnect). */
  hello: { relayId: string };
  /**
   * The page's event messages in page order, each the JSON string the hooks
   * dispatched (src/shared/page-bridge.ts), unparsed: the background parses them
   * and checks every event (src/shared/page-events.ts). `batch` numbers are per
   * relay, consecutive from 1; `dropped`/`rejected` are the relay's cumulative
   * counters (so a resent batch never counts twice); `doc` is the relay's
   * document id ('' until known). `restored`: the document's stays in the
   * back/forward cache since the previous batch, seen by the relay (not the page);
   * `resumed`: the times it was frozen in place since the previous batch, likewise.
   */
  batch: { batch: number; doc: string; pages: string[]; dropped: number; rejected: number; restored?: CacheStay[]; resumed?: FreezeStay[] };
}

/** Background → relay. */
export interface ToRelayMessages {
  /** Answer to hello: batches up to `ackedBatch` are already stored (do not resend them). */
  welcome: { ackedBatch: number; config: PageConfig };
  /** Every batch up to `batch` is persisted. */
  ack: { batch: number };
  config: PageConfig;
  fault: { command: FaultCommand };
}

/** Panel → background (port). */
export interface PanelMessages {
  /** Pair this port with a tab; send history after `afterSeq`, then live events. */
  subscribe: { tabId: number; afterSeq: number };
}

/** Per-tab counters, as `stats(tabId)` reports them. */
export interface TabStats {
  tabId: number;
  /** Events held in the tab buffer now. */
  events: number;
  /** JSON characters of those events. */
  chars: number;
  /** Seq of the oldest held event (0 when empty). */
  firstSeq: number;
  /** Last seq assigned in this tab (0 when none). */
  lastSeq: number;
  /** Events up to this seq were cleared by the user (0 when never). */
  clearedAtSeq: number;
  recording: boolean;
  /** Events lost to bounds, by where they were lost (sum of capture.dropped counts). */
  dropped: { page: number; relay: number; background: number };
  /** Page messages or events the relays rejected as malformed or oversized. */
  rejected: number;
  /** Relay ports connected now (one per frame document). */
  relays: number;
  /** Panel ports subscribed now. */
  panels: number;
  /** Top document of the last navigation. */
  url: string;
  title: string;
  /** When the service worker instance answering started (epoch ms): changes on a restart. */
  workerStartedAt: number;
}

/** Background → panel (port). */
export interface ToPanelMessages {
  /** Answer to subscribe, before any events. */
  welcome: { tabId: number; stats: TabStats };
  /** Events in seq order; `history` while catching up. */
  events: { events: CaptureEvent[]; history: boolean };
  /** History sent: what follows is live. */
  synced: { stats: TabStats };
  /** The tab buffer was cleared (events up to `lastSeq` are gone). */
  cleared: { lastSeq: number; stats: TabStats };
  /** Counters changed (recording toggled, drops). */
  stats: TabStats;
}

/** Tab summary of `tabs()`. */
export type TabSummary = TabStats;

/** The background API: `self.realtimeInspector` and runtime messages from extension pages. */
export interface ApiMethods {
  tabs: { args: []; result: TabSummary[] };
  exportTab: { args: [tabId: number]; result: CaptureFile };
  injectFault: { args: [tabId: number, command: FaultCommand, frameId?: number]; result: void };
  setRecording: { args: [tabId: number, on: boolean]; result: void };
  clear: { args: [tabId: number]; result: void };
  stats: { args: [tabId: number]; result: TabStats };
  /** Worker traffic a DevTools protocol client translated (the CLI's tap); each event needs its `origin`. Returns how many were taken. */
  addWorkerEvents: { args: [tabId: number, events: CaptureEvent[]]; result: number };
  /** Turn the tab's worker capture (chrome.debugger, optional permission) on or off. */
  setWorkerCapture: { args: [tabId: number, on: boolean]; result: WorkerCaptureState };
  workerCapture: { args: [tabId: number]; result: WorkerCaptureState };
}

/** Whether a tab's workers are captured over chrome.debugger, which workers were seen, and why it is off when it failed. */
export interface WorkerCaptureState {
  on: boolean;
  workers: Array<{ kind: 'dedicated' | 'shared' | 'service'; url: string }>;
  error: string | null;
}

/** Most events of one addWorkerEvents call. */
export const WORKER_EVENTS_MAX_PER_CALL = 10_000;

/** The API as functions. */
export type InspectorApi = {
  [K in keyof ApiMethods]: (...args: ApiMethods[K]['args']) => Promise<ApiMethods[K]['result']>;
};

/** Runtime message from an extension page to the background API. */
export interface ApiMessages {
  api: { [K in keyof ApiMethods]: { method: K; args: ApiMethods[K]['args'] } }[keyof ApiMethods];
}

/** Reply to an `api` runtime message. */
export type ApiReply = { ok: true; result: unknown } | { ok: false; error: string };

/** One tagged, versioned message of a direction map. */
export type WireMessage<M> = {
  [K in keyof M]: { source: typeof MESSAGE_SOURCE; v: typeof PROTOCOL_VERSION; type: K; payload: M[K] };
}[keyof M];

/** Build a message (the compiler checks the payload against the name). */
export function wire<M, K extends keyof M & string>(type: K, payload: M[K]): WireMessage<M> {
  return { source: MESSAGE_SOURCE, v: PROTOCOL_VERSION, type, payload } as WireMessage<M>;
}

/** Payload checks, one per message name of a direction. */
export type PayloadChecks<M> = { [K in keyof M]: (payload: unknown) => boolean };

type Rec = Record<string, unknown>;
const isRecord = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isTabId = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isFrameId = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isShortString = (v: unknown, max = 256): v is string => typeof v === 'string' && v.length <= max;
const isDuration = (v: unknown): v is number => isCount(v) && (v as number) <= 3_600_000;
const isConn = (v: unknown) => v === null || isShortString(v);
/** An epoch time in ms (performance.timeOrigin + a DOM high-resolution timestamp). */
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;

/** True for a fault command of the page-bridge contract. */
export function isFaultCommand(v: unknown): v is FaultCommand {
  if (!isRecord(v)) return false;
  const keys = Object.keys(v).sort().join(',');
  switch (v.fault) {
    case 'drop':
      return keys === 'conn,fault' && isConn(v.conn);
    case 'offline':
      return keys === 'durationMs,fault' && isDuration(v.durationMs);
    case 'close':
      return (
        keys === 'code,conn,fault,reason' &&
        // WebSocket close codes a script may send: 1000 or 3000-4999 (RFC 6455 §7.4, WHATWG WebSocket close()).
        (v.code === 1000 || (isCount(v.code) && v.code >= 3000 && v.code <= 4999)) &&
        isShortString(v.reason, 123) &&
        isConn(v.conn)
      );
    case 'stall':
      return keys === 'conn,durationMs,fault' && isDuration(v.durationMs) && isConn(v.conn);
    case 'latency':
      return keys === 'delayMs,durationMs,fault' && isDuration(v.delayMs) && isDuration(v.durationMs);
    default:
      return false;
  }
}

/** True for a page configuration. */
export function isPageConfig(v: unknown): v is PageConfig {
  return isRecord(v) && typeof v.recording === 'boolean' && isCount(v.maxTextChars) && v.maxTextChars > 0;
}

function isTabStats(v: unknown): v is TabStats {
  return isRecord(v) && isTabId(v.tabId) && isCount(v.events) && isCount(v.lastSeq) && isRecord(v.dropped);
}

const isPageMessages = (v: unknown): v is string[] =>
  Array.isArray(v) && v.length <= RELAY_BATCH_MAX_EVENTS && v.every((page) => typeof page === 'string' && page.length <= PAGE_MESSAGE_MAX_CHARS);

/** A list of at most RELAY_MAX_HELD_RESTORES windows, each `from` to `to` (times, in order). */
const isStays = <T>(v: unknown, from: keyof T & string, to: keyof T & string): v is T[] =>
  Array.isArray(v) &&
  v.length <= RELAY_MAX_HELD_RESTORES &&
  v.every((s) => isRecord(s) && isTime(s[from]) && isTime(s[to]) && (s[from] as number) <= (s[to] as number));

/** Checks of relay → background messages (the page messages' events are checked when the background parses them). */
export const RELAY_MESSAGE_CHECKS: PayloadChecks<RelayMessages> = {
  hello: (p) => isRecord(p) && isShortString(p.relayId, 64) && p.relayId.length > 0,
  batch: (p) =>
    isRecord(p) &&
    isCount(p.batch) &&
    p.batch > 0 &&
    isShortString(p.doc) &&
    isCount(p.dropped) &&
    isCount(p.rejected) &&
    isPageMessages(p.pages) &&
    (p.restored === undefined || isStays<CacheStay>(p.restored, 'cachedAt', 'restoredAt')) &&
    (p.resumed === undefined || isStays<FreezeStay>(p.resumed, 'frozenAt', 'resumedAt')),
};

/** Checks of background → relay messages. */
export const TO_RELAY_MESSAGE_CHECKS: PayloadChecks<ToRelayMessages> = {
  welcome: (p) => isRecord(p) && isCount(p.ackedBatch) && isPageConfig(p.config),
  ack: (p) => isRecord(p) && isCount(p.batch),
  config: isPageConfig,
  fault: (p) => isRecord(p) && isFaultCommand(p.command),
};

/** Checks of panel → background messages. */
export const PANEL_MESSAGE_CHECKS: PayloadChecks<PanelMessages> = {
  subscribe: (p) => isRecord(p) && isTabId(p.tabId) && isCount(p.afterSeq),
};

/** Checks of background → panel messages (the background is trusted: shape only). */
export const TO_PANEL_MESSAGE_CHECKS: PayloadChecks<ToPanelMessages> = {
  welcome: (p) => isRecord(p) && isTabId(p.tabId) && isTabStats(p.stats),
  events: (p) => isRecord(p) && Array.isArray(p.events) && typeof p.history === 'boolean',
  synced: (p) => isRecord(p) && isTabStats(p.stats),
  cleared: (p) => isRecord(p) && isCount(p.lastSeq) && isTabStats(p.stats),
  stats: isTabStats,
};

const API_ARG_CHECKS: { [K in keyof ApiMethods]: (args: unknown[]) => boolean } = {
  tabs: (a) => a.length === 0,
  exportTab: (a) => a.length === 1 && isTabId(a[0]),
  injectFault: (a) =>
    (a.length === 2 || a.length === 3) && isTabId(a[0]) && isFaultCommand(a[1]) && (a[2] === undefined || isFrameId(a[2])),
  setRecording: (a) => a.length === 2 && isTabId(a[0]) && typeof a[1] === 'boolean',
  clear: (a) => a.length === 1 && isTabId(a[0]),
  stats: (a) => a.length === 1 && isTabId(a[0]),
  // Each event is checked by the guard in the Hub.
  addWorkerEvents: (a) => a.length === 2 && isTabId(a[0]) && Array.isArray(a[1]) && a[1].length <= WORKER_EVENTS_MAX_PER_CALL,
  setWorkerCapture: (a) => a.length === 2 && isTabId(a[0]) && typeof a[1] === 'boolean',
  workerCapture: (a) => a.length === 1 && isTabId(a[0]),
};

/** Checks of API runtime messages. */
export const API_MESSAGE_CHECKS: PayloadChecks<ApiMessages> = {
  api: (p) =>
    isRecord(p) &&
    typeof p.method === 'string' &&
    Object.hasOwn(API_ARG_CHECKS, p.method) &&
    Array.isArray(p.args) &&
    API_ARG_CHECKS[p.method as keyof ApiMethods](p.args),
};

/** The protocol version of a tagged message, or null when `value` is not ours. */
export function wireVersion(value: unknown): number | null {
  return isRecord(value) && value.source === MESSAGE_SOURCE && typeof value.v === 'number' ? value.v : null;
}

/** The one guard: `value` as a message of the direction `checks` describes, or null. */
export function parseWire<M>(value: unknown, checks: PayloadChecks<M>): WireMessage<M> | null {
  if (wireVersion(value) !== PROTOCOL_VERSION) return null;
  const { type, payload } = value as Rec;
  if (typeof type !== 'string' || !Object.hasOwn(checks, type)) return null;
  return checks[type as keyof M](payload) ? (value as WireMessage<M>) : null;
}

/** The minimal port the relay, background and bridge need (chrome.runtime.Port fits it; tests use an in-memory pair). */
export interface PortLike {
  readonly name: string;
  postMessage(message: unknown): void;
  disconnect(): void;
  onMessage: { addListener(listener: (message: unknown) => void): void };
  onDisconnect: { addListener(listener: () => void): void };
}

/** Send a typed message on a port; false when the port is already gone. */
export function send<M, K extends keyof M & string>(port: PortLike, type: K, payload: M[K]): boolean {
  try {
    port.postMessage(wire<M, K>(type, payload));
    return true;
  } catch {
    return false;
  }
}
