/**
 * The incremental analyzer. `ingest` does O(1) work per event: it files the
 * event under its request/connection (`conn`). Everything else is lazy: on
 * `report`/`channelSeries`, new connections are assigned to channels (URL
 * normalisation happens once per connection), channel records are brought up
 * to date with the events that arrived since, and only channels that changed
 * (or whose open connections the advancing capture end affects) are analysed
 * again. Feeding events in batches or all at once yields the same report.
 */
import type { CaptureEvent, FaultEvent, Transport, WorkerOrigin } from './events.ts';
import { EndpointGrouper } from './channels.ts';
import type { ChannelReport, Report } from './report-types.ts';
import { buildReport, analyzeChannel, type ChannelAnalysis } from './report.ts';
import { buildSeries, type ChannelSeries } from './series.ts';
import { announcedSessions } from './metrics/heartbeat.ts';
import { RecordBuilder } from './model.ts';
import type { ProtocolLabels } from './protocol-support.ts';
import { docGoneAt, type HandshakeFailure, type PauseWindow, type TransportEnd } from './context.ts';

/** Projection default: docs/domain.md's "1,000 users polling every 2 s make 500 requests/s". */
export const DEFAULT_USERS = 1000;

/**
 * How long after a resume the messages held during a freeze are still being delivered (ms): they
 * arrive as tasks queued back to back, in milliseconds for tens of messages. A flood held for long
 * can take longer to drain; its gaps in the excess read as fast messages.
 */
export const RESUME_DRAIN_MS = 1000;

export interface AnalyzerOptions {
  /** Concurrent users for the load projection (default 1,000). */
  users?: number;
  /**
   * Epoch ms at which recording ended, when it ran past the last event (an audit's
   * stop time, a capture file's export time). A connection still open then was open
   * and silent until this moment: without it an idle socket would look short-lived.
   */
  until?: number;
}

type ConnEvent = Extract<CaptureEvent, { conn: string }>;
type CreateEvent = Extract<CaptureEvent, { type: 'http.request' | 'ws.create' | 'sse.create' | 'wt.create' }>;

/** One channel's raw material and derived state. */
interface ChannelState {
  id: string;
  transport: Transport;
  endpoint: string;
  /** Events of the channel's connections, per connection in arrival order. */
  events: CaptureEvent[];
  /** How many of `events` the record builder has applied. */
  applied: number;
  builder: RecordBuilder;
  labels: ProtocolLabels;
  dirty: boolean;
  analysis: ChannelAnalysis | null;
  series: ChannelSeries | null;
  /** The ping interval another channel announced for this channel's engine.io session. */
  announcedPingMs: number | null;
  /** Ends of the engine.io WebSocket transport on the same path (see ChannelContext.transportEnds). */
  transportEnds: readonly TransportEnd[];
  /** Failed handshakes made for this WebSocket channel (see ChannelContext.handshakeFailures). */
  handshakeFailures: readonly HandshakeFailure[];
  /** Documents whose connections the channel holds (their back/forward cache stays apply to it). */
  docs: Set<string>;
  /** The connections filed under the channel, in arrival order. */
  buckets: ConnBucket[];
  /** The worker the channel's traffic ran in (absent: the page's own). */
  origin?: WorkerOrigin;
}

/** The events of one request/connection until its channel is known. */
interface ConnBucket {
  channel: ChannelState | null;
  create: CreateEvent | null;
  events: CaptureEvent[];
}

/** Incremental capture analyzer (see module comment). */
export class Analyzer {
  private readonly users: number;
  private readonly channels = new Map<string, ChannelState>();
  private channelOrder: ChannelState[] = [];
  /** Which URL parts vary across one client's requests (channels.ts): what the channel keys fold. */
  private readonly grouper = new EndpointGrouper();
  private groupedAt = 0;
  private readonly conns = new Map<string, ConnBucket>();
  /** Connections whose creating event arrived but that are not in a channel yet, in arrival order. */
  private unassigned: ConnBucket[] = [];
  private readonly faults: FaultEvent[] = [];
  /** Recording pauses, from `capture.recording` events (the last may still be open). */
  private readonly pauses: PauseWindow[] = [];
  /** When the browser said the page was offline, from `page.network` events (the last may still be open). */
  private readonly offline: PauseWindow[] = [];
  /** Each document's stays in the back/forward cache and frozen in place, from `doc.restored` and `doc.resumed` events. */
  private readonly cacheStays = new Map<string, PauseWindow[]>();
  /** When each document went away, from `doc.end` events (a document back from the cache may go again). */
  private readonly docEnds = new Map<string, number[]>();
  /** Top-level documents shown (`doc.start`, or a top-level `doc.restored`), in arrival order: each ends the documents shown before it. */
  private readonly shown: Array<{ t: number; doc: string }> = [];
  private page: { url: string; title: string } | null = null;
  private firstT = Number.POSITIVE_INFINITY;
  private lastT = Number.NEGATIVE_INFINITY;
  private until = Number.NEGATIVE_INFINITY;
  private dropped = 0;
  /** Messages whose text the page hooks sampled under a flood (Payload.sampled). */
  private sampled = 0;
  private eventCount = 0;
  private faultsChanged = false;
  private cachedReport: { users: number; report: Report } | null = null;

  constructor(options: AnalyzerOptions = {}) {
    this.users = options.users ?? DEFAULT_USERS;
    if (options.until !== undefined) this.extendTo(options.until);
  }

  /** Declare that recording went on until `t` (epoch ms) even if no event came after the last one. */
  extendTo(t: number): void {
    if (!Number.isFinite(t) || t <= this.until) return;
    this.until = t;
    this.cachedReport = null;
  }

  /** End of the capture: the last event, or later when recording was declared to go on. */
  private get captureEnd(): number {
    return Math.max(this.lastT, this.until);
  }

  /** Number of events ingested so far. */
  get size(): number {
    return this.eventCount;
  }

  /** Add a batch of events (in capture order). */
  ingest(events: readonly CaptureEvent[]): void {
    if (events.length === 0) return;
    this.cachedReport = null;
    for (const e of events) this.ingestOne(e);
  }

  private ingestOne(e: CaptureEvent): void {
    this.eventCount++;
    if (e.t < this.firstT) this.firstT = e.t;
    if (e.t > this.lastT) this.lastT = e.t;
    if ('data' in e && e.data?.sampled) this.sampled++;
    switch (e.type) {
      case 'doc.start': {
        if (e.top && this.page === null) this.page = { url: e.url, title: e.title };
        if (e.top) this.showDoc(e.t, e.doc);
        // A new top document reports the network only when it starts offline (right after this
        // event): an offline window whose document went away without its `online` ends here.
        const last = this.offline.at(-1);
        if (e.top && last !== undefined && e.t >= last.from && setWindow(this.offline, e.t, false)) this.faultsChanged = true;
        return;
      }
      case 'capture.dropped':
        this.dropped += e.count;
        return;
      case 'hook.error':
        return;
      case 'doc.end': {
        const ends = this.docEnds.get(e.doc);
        if (ends) {
          ends.push(e.t);
          ends.sort((a, b) => a - b);
        } else this.docEnds.set(e.doc, [e.t]);
        // Rare: every channel is looked at again, as for a recording pause.
        this.faultsChanged = true;
        return;
      }
      case 'doc.restored':
      case 'doc.resumed': {
        if (e.type === 'doc.restored' && e.frameId === 0) this.showDoc(e.t, e.doc);
        const stays = this.cacheStays.get(e.doc);
        // A document frozen in place gets, at its resume, what arrived meanwhile, all at once:
        // those messages' times are the resume's, not their arrival's, so the window runs on a little.
        const stay =
          e.type === 'doc.restored' ? { from: Math.min(e.cachedAt, e.t), to: e.t } : { from: Math.min(e.frozenAt, e.t), to: e.t + RESUME_DRAIN_MS };
        if (stays) stays.push(stay);
        else this.cacheStays.set(e.doc, [stay]);
        // Rare: every channel is looked at again, as for a recording pause.
        this.faultsChanged = true;
        return;
      }
      case 'page.network': {
        // One network for every frame of the page: the first offline opens a window, the first online after it closes it.
        if (setWindow(this.offline, e.t, !e.online)) this.faultsChanged = true;
        return;
      }
      case 'fault':
        this.faults.push(e);
        this.faultsChanged = true;
        return;
      case 'capture.recording':
        if (setWindow(this.pauses, e.t, !e.on)) this.faultsChanged = true;
        return;
      default:
        this.file(e);
    }
  }

  /** A top-level document is shown from `t`: the connections other documents left open before it are gone. */
  private showDoc(t: number, doc: string): void {
    this.shown.push({ t, doc });
    if (this.shown.length > 1 && t < this.shown[this.shown.length - 2]!.t) this.shown.sort((a, b) => a.t - b.t);
    // Rare (a navigation): every channel is looked at again.
    if (this.conns.size > 0) this.faultsChanged = true;
  }

  private file(e: ConnEvent): void {
    let bucket = this.conns.get(e.conn);
    if (bucket === undefined) {
      bucket = { channel: null, create: null, events: [] };
      this.conns.set(e.conn, bucket);
    }
    const ch = bucket.channel;
    if (ch !== null) {
      ch.events.push(e);
      ch.dirty = true;
      return;
    }
    bucket.events.push(e);
    if (bucket.create === null && (e.type === 'http.request' || e.type === 'ws.create' || e.type === 'sse.create' || e.type === 'wt.create')) {
      bucket.create = e;
      this.unassigned.push(bucket);
    }
  }

  /** Put connections whose creating event has arrived into their channels. */
  private assign(): void {
    if (this.unassigned.length === 0) return;
    for (const bucket of this.unassigned) {
      const { transport, url, method } = identityOf(bucket.create!);
      this.grouper.observe(transport, url, method);
    }
    if (this.grouper.version !== this.groupedAt) this.regroup();
    for (const bucket of this.unassigned) {
      const c = bucket.create!;
      const { transport, url, method } = identityOf(c);
      const key = originKey(c) + this.grouper.key(transport, url, method);
      let ch = this.channels.get(key);
      if (!ch) {
        ch = newChannelState(key, transport, this.grouper.endpoint(transport, url, method));
        if (c.origin) ch.origin = { kind: c.origin.kind, url: c.origin.url };
        this.channels.set(key, ch);
        this.channelOrder.push(ch);
      }
      ch.docs.add(c.doc);
      ch.buckets.push(bucket);
      for (const e of bucket.events) ch.events.push(e);
      bucket.events = [];
      bucket.channel = ch;
      ch.dirty = true;
    }
    this.unassigned = [];
  }

  /**
   * The grouper's judgement of which URL parts vary changed: key every connection again.
   * A channel whose connections stay together keeps its state (and takes its new id); the
   * others are rebuilt from the events of the connections they now hold.
   */
  private regroup(): void {
    this.groupedAt = this.grouper.version;
    const groups = new Map<string, ConnBucket[]>();
    for (const ch of this.channelOrder) {
      for (const bucket of ch.buckets) {
        const { transport, url, method } = identityOf(bucket.create!);
        const key = originKey(bucket.create!) + this.grouper.key(transport, url, method);
        const list = groups.get(key);
        if (list) list.push(bucket);
        else groups.set(key, [bucket]);
      }
    }
    const order: ChannelState[] = [];
    this.channels.clear();
    for (const [key, buckets] of groups) {
      const owner = buckets[0]!.channel!;
      let ch: ChannelState;
      if (owner.buckets.length === buckets.length && buckets.every((b) => b.channel === owner)) {
        ch = owner;
        if (ch.id !== key) {
          ch.analysis = null;
          ch.series = null;
          ch.dirty = true;
        }
      } else {
        const conns = new Set(buckets.map((b) => b.create!.conn));
        const sources = new Set(buckets.map((b) => b.channel!));
        const events: CaptureEvent[] = [];
        for (const source of sources) for (const e of source.events) if ('conn' in e && e.conn !== null && conns.has(e.conn)) events.push(e);
        ch = { ...newChannelState(key, owner.transport, ''), events, buckets, docs: new Set(buckets.map((b) => b.create!.doc)), origin: owner.origin };
      }
      const { transport, url, method } = identityOf(buckets[0]!.create!);
      ch.id = key;
      ch.endpoint = this.grouper.endpoint(transport, url, method);
      this.channels.set(key, ch);
      order.push(ch);
    }
    for (const ch of order) for (const bucket of ch.buckets) bucket.channel = ch;
    this.channelOrder = order;
  }

  /** When the browser said the page was offline (`page.network`), in time order; `to` is +Infinity while still offline. */
  offlineWindows(): readonly PauseWindow[] {
    return this.offline;
  }

  /** When document `doc` went away after `after` (a `doc.end`, or the next top-level document shown); null when it did not. */
  docGoneAt(doc: string, after: number): number | null {
    return docGoneAt({ docEnds: this.docEnds, shownDocs: this.shown }, doc, after);
  }

  /** Ids of the channels in first-seen order. */
  channelIds(): string[] {
    this.assign();
    return this.channelOrder.map((c) => c.id);
  }

  /**
   * The raw events of one channel in time order (empty for an unknown id). When they arrived in time order
   * (the usual case) this is the analyzer's own list, not a copy: read it before adding more events. A
   * 100k-message channel read per analysis would otherwise leave a 100k-element copy behind each time.
   */
  channelEvents(channelId: string): readonly CaptureEvent[] {
    this.assign();
    const ch = this.channels.get(channelId);
    if (!ch) return [];
    const events = ch.events;
    for (let i = 1; i < events.length; i++) {
      // Stable sort: events of equal time keep their arrival order.
      if (events[i]!.t < events[i - 1]!.t) return events.slice().sort((a, b) => a.t - b.t);
    }
    return events;
  }

  private analysisOf(ch: ChannelState): ChannelAnalysis {
    if (this.faultsChanged) {
      for (const c of this.channelOrder) c.dirty = true;
      this.faultsChanged = false;
    }
    const a = ch.analysis;
    // Up to date unless the channel changed, or the capture grew past what the analysis depends on: its end
    // while a connection is open, or the point from which a silent poller counts as stopped.
    if (!ch.dirty && a !== null && !(a.endSensitive && a.captureEnd !== this.captureEnd) && !(a.reviewAt !== null && this.captureEnd > a.reviewAt)) return a;
    for (; ch.applied < ch.events.length; ch.applied++) ch.builder.apply(ch.events[ch.applied]!);
    const fresh = analyzeChannel({
      id: ch.id,
      transport: ch.transport,
      endpoint: ch.endpoint,
      origin: ch.origin,
      records: ch.builder.records,
      labels: ch.labels,
      faults: this.faults,
      pauses: this.pausesOf(ch),
      offline: this.offline,
      docEnds: this.docEnds,
      shownDocs: this.shown,
      announcedPingMs: ch.announcedPingMs,
      transportEnds: ch.transportEnds,
      handshakeFailures: ch.handshakeFailures,
      captureEnd: this.captureEnd,
    });
    ch.analysis = fresh;
    ch.series = null;
    ch.dirty = false;
    return fresh;
  }

  /**
   * The windows in which a channel's silence says nothing: recording pauses, and the back/forward
   * cache stays and freezes of the documents its connections belong to (not those of other documents: the page
   * shown while another was cached is measured as usual). Overlapping windows are merged.
   */
  private pausesOf(ch: ChannelState): readonly PauseWindow[] {
    if (this.cacheStays.size === 0) return this.pauses;
    let windows: PauseWindow[] | null = null;
    for (const doc of ch.docs) {
      const stays = this.cacheStays.get(doc);
      if (stays) (windows ??= this.pauses.slice()).push(...stays);
    }
    if (windows === null) return this.pauses;
    windows.sort((a, b) => a.from - b.from);
    const merged: PauseWindow[] = [];
    for (const w of windows) {
      const last = merged.at(-1);
      if (last !== undefined && w.from <= last.to) last.to = Math.max(last.to, w.to);
      else merged.push({ from: w.from, to: w.to });
    }
    return merged;
  }

  /** Chart-ready columnar series for one channel (null for an unknown id). */
  channelSeries(channelId: string): ChannelSeries | null {
    this.assign();
    const ch = this.channels.get(channelId);
    if (!ch) return null;
    const analysis = this.analysisOf(ch);
    if (ch.series === null) ch.series = buildSeries(analysis);
    return ch.series;
  }

  /** The report for everything ingested so far. */
  report(options: AnalyzerOptions = {}): Report {
    const users = options.users ?? this.users;
    if (options.until !== undefined) this.extendTo(options.until);
    if (this.cachedReport && this.cachedReport.users === users) return this.cachedReport.report;
    this.assign();
    let analyses = this.channelOrder.map((ch) => this.analysisOf(ch));
    const relinked = this.linkSessions(analyses);
    if (this.linkHandshakes(analyses) || relinked) analyses = this.channelOrder.map((ch) => this.analysisOf(ch));
    const report = buildReport({
      analyses,
      users,
      page: this.page ?? { url: '', title: '' },
      firstT: this.eventCount > 0 ? this.firstT : 0,
      lastT: this.eventCount > 0 ? this.captureEnd : 0,
      droppedEvents: this.dropped,
      sampledMessages: this.sampled,
    });
    this.cachedReport = { users, report };
    return report;
  }

  /**
   * Hand each engine.io WebSocket the ping interval its session announced on another
   * channel (the polling handshake); true when a channel must be analysed again.
   */
  private linkSessions(analyses: readonly ChannelAnalysis[]): boolean {
    const isEngine = (a: ChannelAnalysis) => a.ctx.protocol !== null && ENGINE_IO_PROTOCOLS.has(a.ctx.protocol);
    // Live reports come often: no scan of handshakes unless an engine.io socket is there to use them.
    if (!analyses.some((a) => a.ctx.transport === 'websocket' && isEngine(a))) return false;
    const sessions = new Map<string, number>();
    for (const a of analyses) {
      if (a.ctx.transport !== 'websocket' && isEngine(a)) {
        for (const [sid, ms] of announcedSessions(a.ctx)) sessions.set(sid, ms);
      }
    }
    let changed = this.linkTransportEnds(analyses, isEngine);
    this.channelOrder.forEach((ch, i) => {
      const a = analyses[i]!;
      if (ch.transport !== 'websocket' || !isEngine(a)) return;
      let ms: number | null = null;
      for (const r of a.ctx.records) {
        const sid = sessionOf(r.url);
        if (sid !== null && sessions.has(sid)) ms = sessions.get(sid)!;
      }
      if (ms !== ch.announcedPingMs) {
        ch.announcedPingMs = ms;
        ch.dirty = true;
        changed = true;
      }
    });
    return changed;
  }

  /**
   * Hand each engine.io polling channel the ends of the WebSocket transports on its path:
   * after an upgraded WebSocket drops, socket.io-client's Manager retries with a polling
   * handshake (transports ['polling', 'websocket'], socket.io-client 4.8 build/esm/manager.js
   * reconnect → open), so the first retry's delay runs from the WebSocket's end to a
   * request of the polling channel. True when a channel must be analysed again.
   */
  private linkTransportEnds(analyses: readonly ChannelAnalysis[], isEngine: (a: ChannelAnalysis) => boolean): boolean {
    const endsByPath = new Map<string, TransportEnd[]>();
    analyses.forEach((a) => {
      if (a.ctx.transport !== 'websocket' || !isEngine(a)) return;
      const key = transportPath(a.ctx.endpoint);
      const list = endsByPath.get(key) ?? [];
      for (const r of a.ctx.records) {
        if (r.end === null || r.closeInitiator === 'client') continue;
        list.push({ t: r.end, uptimeMs: r.openAt === null ? null : r.end - r.openAt, cause: r.closeCode !== null ? `websocket close ${r.closeCode}` : 'websocket error', closeCode: r.closeCode });
      }
      endsByPath.set(key, list);
    });
    let changed = false;
    this.channelOrder.forEach((ch, i) => {
      const a = analyses[i]!;
      if (ch.transport === 'websocket' || !isEngine(a)) return;
      const ends = (endsByPath.get(transportPath(a.ctx.endpoint)) ?? []).sort((x, y) => x.t - y.t);
      const same = ends.length === ch.transportEnds.length && ends.every((e, k) => e.t === ch.transportEnds[k]!.t);
      if (same) return;
      ch.transportEnds = ends;
      ch.dirty = true;
      changed = true;
    });
    return changed;
  }

  /**
   * Hand each WebSocket channel the failed requests of its handshake channel: SignalR's
   * `<hub>/negotiate` (@microsoft/signalr 10.0 dist/esm/HttpConnection.js `_getNegotiationResponse`,
   * made before every connection and reconnection unless skipNegotiation). True when a
   * channel must be analysed again.
   */
  private linkHandshakes(analyses: readonly ChannelAnalysis[]): boolean {
    const byPath = new Map<string, HandshakeFailure[]>();
    analyses.forEach((a) => {
      if (a.ctx.transport === 'websocket') return;
      const path = transportPath(a.ctx.endpoint).replace(/\/$/, '');
      if (!path.endsWith(HANDSHAKE_SUFFIX)) return;
      const failures = a.ctx.records
        .filter((r) => r.end !== null && (r.endKind === 'error' || r.status === 0 || (r.status !== null && r.status >= 500)))
        .map((r) => ({ start: r.start, end: r.end!, cause: r.status !== null && r.status > 0 ? `negotiate status ${r.status}` : `negotiate ${r.errorReason ?? 'error'}` }));
      byPath.set(path.slice(0, -HANDSHAKE_SUFFIX.length), failures);
    });
    if (byPath.size === 0 && this.channelOrder.every((ch) => ch.handshakeFailures.length === 0)) return false;
    let changed = false;
    this.channelOrder.forEach((ch, i) => {
      const a = analyses[i]!;
      if (ch.transport !== 'websocket') return;
      const failures = byPath.get(transportPath(a.ctx.endpoint).replace(/\/$/, '')) ?? [];
      const same = failures.length === ch.handshakeFailures.length && failures.every((f, k) => f.start === ch.handshakeFailures[k]!.start && f.end === ch.handshakeFailures[k]!.end);
      if (same) return;
      ch.handshakeFailures = failures;
      ch.dirty = true;
      changed = true;
    });
    return changed;
  }

  /** One channel's report (null for an unknown id). */
  channelReport(channelId: string, options: AnalyzerOptions = {}): ChannelReport | null {
    return this.report(options).channels.find((c) => c.id === channelId) ?? null;
  }
}

/**
 * Open a window at `t` when none is open (`open`), or close the open one at `t`: recording
 * pauses and the browser's offline windows. False when it changed nothing (a repeated on or off).
 */
function setWindow(windows: PauseWindow[], t: number, open: boolean): boolean {
  const last = windows.at(-1);
  const isOpen = last !== undefined && last.to === Number.POSITIVE_INFINITY;
  if (open && !isOpen) windows.push({ from: t, to: Number.POSITIVE_INFINITY });
  else if (!open && isOpen) last.to = t;
  else return false;
  return true;
}

/** A channel with no connections yet. */
function newChannelState(id: string, transport: Transport, endpoint: string): ChannelState {
  return {
    id,
    transport,
    endpoint,
    events: [],
    applied: 0,
    builder: new RecordBuilder(),
    labels: { decoderId: null },
    dirty: true,
    analysis: null,
    series: null,
    announcedPingMs: null,
    transportEnds: [],
    handshakeFailures: [],
    docs: new Set(),
    buckets: [],
  };
}

/** What a connection's channel is keyed on: its transport, URL, and method for plain HTTP. */
function identityOf(c: CreateEvent): { transport: Transport; url: string; method: string | null } {
  const transport: Transport = c.type === 'ws.create' ? 'websocket' : c.type === 'wt.create' ? 'webtransport' : c.transport;
  const method = c.type === 'http.request' ? c.method : c.type === 'sse.create' && c.transport !== 'eventsource' ? 'GET' : null;
  return { transport, url: c.url, method };
}

/**
 * What goes before the grouper's key: a worker's traffic is a channel of its own, apart from
 * the page's to the same endpoint and from other workers' (one per worker script and kind).
 */
function originKey(c: CreateEvent): string {
  return c.origin ? `[${c.origin.kind} worker ${c.origin.url}] ` : '';
}

/** Protocols whose sessions open with an engine.io handshake (src/core/protocols/engine-io.ts, socket-io.ts). */
const ENGINE_IO_PROTOCOLS = new Set(['socket.io', 'socket.io-v2', 'engine.io', 'engine.io-v3']);

/** The path SignalR appends to the hub URL for its negotiate request (@microsoft/signalr 10.0 dist/esm/HttpConnection.js _resolveNegotiateUrl). */
const HANDSHAKE_SUFFIX = '/negotiate';

/** Host and path of an endpoint, whatever its scheme (ws: and http: transports of one engine.io server meet here). */
function transportPath(endpoint: string): string {
  try {
    const url = new URL(endpoint);
    return `${url.host}${url.pathname}`;
  } catch {
    return endpoint;
  }
}

/** The engine.io session id in a URL's query, null when none. */
function sessionOf(url: string): string | null {
  const m = /[?&]sid=([^&#]+)/.exec(url);
  if (!m) return null;
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return m[1]!;
  }
}

/** Analyse a whole capture at once. */
export function analyzeCapture(events: readonly CaptureEvent[], options: AnalyzerOptions = {}): Report {
  const analyzer = new Analyzer(options);
  analyzer.ingest(events);
  return analyzer.report();
}
