/**
 * The incremental analyzer: `ingest` files each event under its channel in
 * O(1); `report` and `channelSeries` derive everything lazily, recomputing
 * only channels that received events since the last call. Feeding events in
 * batches or all at once yields the same report.
 */
import type { CaptureEvent, FaultEvent, Transport } from './events.ts';
import { channelKey, normalizeEndpoint } from './channels.ts';
import type { ChannelReport, Report } from './report-types.ts';
import { buildReport, analyzeChannel, type ChannelAnalysis } from './report.ts';
import { buildSeries, type ChannelSeries } from './series.ts';

/** Projection default: the primer's "1,000 users polling every 2 s = 500 req/s". */
export const DEFAULT_USERS = 1000;

export interface AnalyzerOptions {
  /** Concurrent users for the load projection (default 1,000). */
  users?: number;
}

/** One channel's raw material. */
interface ChannelState {
  id: string;
  transport: Transport;
  endpoint: string;
  events: CaptureEvent[];
  /** Conns in this channel. */
  conns: Set<string>;
  dirty: boolean;
  analysis: ChannelAnalysis | null;
  series: ChannelSeries | null;
}

/** Incremental capture analyzer (see module comment). */
export class Analyzer {
  private readonly users: number;
  private readonly channels = new Map<string, ChannelState>();
  private readonly channelOrder: ChannelState[] = [];
  private readonly connChannel = new Map<string, ChannelState>();
  /** Events of a conn seen before the event that names its endpoint. */
  private readonly pending = new Map<string, CaptureEvent[]>();
  private readonly faults: FaultEvent[] = [];
  private page: { url: string; title: string } | null = null;
  private firstT = Number.POSITIVE_INFINITY;
  private lastT = Number.NEGATIVE_INFINITY;
  private dropped = 0;
  private eventCount = 0;
  private faultsChanged = false;
  private cachedReport: { users: number; report: Report } | null = null;

  constructor(options: AnalyzerOptions = {}) {
    this.users = options.users ?? DEFAULT_USERS;
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
    switch (e.type) {
      case 'doc.start':
        if (e.top && this.page === null) this.page = { url: e.url, title: e.title };
        return;
      case 'capture.dropped':
        this.dropped += e.count;
        return;
      case 'hook.error':
        return;
      case 'fault':
        this.faults.push(e);
        this.faultsChanged = true;
        if (e.conn !== null) this.connChannel.get(e.conn)?.events.push(e);
        return;
      case 'http.request':
        this.attach(e, e.transport, e.url, e.method);
        return;
      case 'ws.create':
        this.attach(e, 'websocket', e.url, null);
        return;
      case 'sse.create':
        // fetch/XHR-based SSE: the request already placed the conn in its channel.
        if (this.connChannel.has(e.conn)) this.append(e.conn, e);
        else this.attach(e, e.transport, e.url, e.transport === 'eventsource' ? null : 'GET');
        return;
      default:
        this.append(e.conn, e);
    }
  }

  private attach(e: CaptureEvent & { conn: string }, transport: Transport, url: string, method: string | null): void {
    const existing = this.connChannel.get(e.conn);
    if (existing) {
      existing.events.push(e);
      existing.dirty = true;
      return;
    }
    const key = channelKey(transport, url, method);
    let ch = this.channels.get(key);
    if (!ch) {
      ch = { id: key, transport, endpoint: normalizeEndpoint(url), events: [], conns: new Set(), dirty: true, analysis: null, series: null };
      this.channels.set(key, ch);
      this.channelOrder.push(ch);
    }
    ch.conns.add(e.conn);
    ch.events.push(e);
    ch.dirty = true;
    this.connChannel.set(e.conn, ch);
    const early = this.pending.get(e.conn);
    if (early) {
      for (const p of early) ch.events.push(p);
      this.pending.delete(e.conn);
    }
  }

  private append(conn: string, e: CaptureEvent): void {
    const ch = this.connChannel.get(conn);
    if (ch) {
      ch.events.push(e);
      ch.dirty = true;
      return;
    }
    const list = this.pending.get(conn);
    if (list) list.push(e);
    else this.pending.set(conn, [e]);
  }

  /** Ids of the channels in first-seen order. */
  channelIds(): string[] {
    return this.channelOrder.map((c) => c.id);
  }

  /** The raw events of one channel, in ingest order (empty for an unknown id). */
  channelEvents(channelId: string): CaptureEvent[] {
    return this.channels.get(channelId)?.events.slice() ?? [];
  }

  private analysisOf(ch: ChannelState): ChannelAnalysis {
    if (this.faultsChanged) {
      for (const c of this.channelOrder) c.dirty = true;
      this.faultsChanged = false;
    }
    if (ch.dirty || ch.analysis === null || ch.analysis.captureEnd !== this.lastT) {
      ch.analysis = analyzeChannel({
        id: ch.id,
        transport: ch.transport,
        endpoint: ch.endpoint,
        events: ch.events,
        faults: this.faults,
        captureEnd: this.lastT,
      });
      ch.series = null;
      ch.dirty = false;
    }
    return ch.analysis;
  }

  /** Chart-ready columnar series for one channel (null for an unknown id). */
  channelSeries(channelId: string): ChannelSeries | null {
    const ch = this.channels.get(channelId);
    if (!ch) return null;
    const analysis = this.analysisOf(ch);
    if (ch.series === null) ch.series = buildSeries(analysis);
    return ch.series;
  }

  /** The report for everything ingested so far. */
  report(options: AnalyzerOptions = {}): Report {
    const users = options.users ?? this.users;
    if (this.cachedReport && this.cachedReport.users === users) return this.cachedReport.report;
    const analyses = this.channelOrder.map((ch) => this.analysisOf(ch));
    const report = buildReport({
      analyses,
      users,
      page: this.page ?? { url: '', title: '' },
      firstT: this.eventCount > 0 ? this.firstT : 0,
      lastT: this.eventCount > 0 ? this.lastT : 0,
      droppedEvents: this.dropped,
    });
    this.cachedReport = { users, report };
    return report;
  }

  /** One channel's report (null for an unknown id). */
  channelReport(channelId: string, options: AnalyzerOptions = {}): ChannelReport | null {
    return this.report(options).channels.find((c) => c.id === channelId) ?? null;
  }
}

/** Analyse a whole capture at once. */
export function analyzeCapture(events: readonly CaptureEvent[], options: AnalyzerOptions = {}): Report {
  const analyzer = new Analyzer(options);
  analyzer.ingest(events);
  return analyzer.report();
}
