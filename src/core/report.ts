/**
 * From a channel's events to its report: build records, recognise the
 * protocol, classify, measure, judge. `buildReport` assembles the channels
 * and projects load for N users.
 */
import { isHttp, type FaultEvent, type Transport, type WorkerOrigin } from './events.ts';
import { isPolled, REPORT_VERSION, type ChannelReport, type Report, type Severity } from './report-types.ts';
import { allMessages, type ConnRecord } from './model.ts';
import type { ChannelContext, HandshakeFailure, PauseWindow, TransportEnd } from './context.ts';
import { applyProtocol, channelProtocolTimings, type ProtocolLabels } from './protocol-support.ts';
import { classifyChannel } from './classify/index.ts';
import { measureWaste } from './metrics/waste.ts';
import { measureLatency } from './metrics/latency.ts';
import { measureHeartbeat } from './metrics/heartbeat.ts';
import { measureReconnects } from './metrics/reconnects.ts';
import { measureStalls } from './metrics/stalls.ts';
import { measureUserRates, pollingStopsAt, projectLoad } from './metrics/load.ts';
import { runCrossChannelFindings, runFindings, withoutExplained } from './findings/index.ts';
import type { FindingInput } from './findings/types.ts';
import { endedAbnormally } from './findings/no-reconnect.ts';
import { adviseChannel } from './advice.ts';
import { round1, round3 } from './stats.ts';

/** Everything measured on one channel (what the finding rules see), independent of the user count. */
export interface ChannelAnalysis extends FindingInput {
  captureEnd: number;
  /** Some connection is still open: its measures run to the capture end, so they change as the capture grows. */
  endSensitive: boolean;
  /** A capture end from which this analysis is out of date although nothing changed on the channel (a poller that has been silent long enough counts as stopped); null when none. */
  reviewAt: number | null;
  /** The report minus the user-dependent load. */
  base: Omit<ChannelReport, 'load'>;
}

export interface ChannelInput {
  id: string;
  transport: Transport;
  endpoint: string;
  /** The worker the channel's traffic ran in; absent for the page's own. */
  origin?: WorkerOrigin;
  /** The channel's records (kept up to date incrementally by the caller). */
  records: readonly ConnRecord[];
  /** Protocol labelling state kept with the records. */
  labels: ProtocolLabels;
  faults: readonly FaultEvent[];
  /** Windows in which recording was paused (see ChannelContext.pauses). */
  pauses?: readonly PauseWindow[];
  /** See ChannelContext.offline. */
  offline?: readonly PauseWindow[];
  /** See ChannelContext.docEnds. */
  docEnds?: ReadonlyMap<string, readonly number[]>;
  /** See ChannelContext.shownDocs. */
  shownDocs?: ReadonlyArray<{ t: number; doc: string }>;
  /** See ChannelContext.announcedPingMs. */
  announcedPingMs?: number | null;
  /** See ChannelContext.transportEnds. */
  transportEnds?: readonly TransportEnd[];
  /** See ChannelContext.handshakeFailures. */
  handshakeFailures?: readonly HandshakeFailure[];
  captureEnd: number;
}

/** Analyse one channel. */
export function analyzeChannel(input: ChannelInput): ChannelAnalysis {
  const decoder = applyProtocol(input.transport, input.records, input.labels);
  const records = input.records.slice().sort((a, b) => a.start - b.start);
  const ctx: ChannelContext = {
    id: input.id,
    transport: input.transport,
    endpoint: input.endpoint,
    records,
    protocol: decoder?.id ?? null,
    // What this session announced (engine.io open packet, STOMP heart-beats, Bayeux advice...), else the library defaults.
    protocolTimings: channelProtocolTimings(decoder, records),
    captureEnd: input.captureEnd,
    faults: input.faults.slice(),
    pauses: input.pauses ?? [],
    offline: input.offline ?? [],
    docEnds: input.docEnds ?? new Map(),
    worker: input.origin !== undefined,
    shownDocs: input.shownDocs ?? [],
    announcedPingMs: input.announcedPingMs ?? null,
    transportEnds: input.transportEnds ?? [],
    handshakeFailures: input.handshakeFailures ?? [],
  };
  const classification = classifyChannel(ctx);
  const kind = classification.kind;
  const waste = measureWaste(ctx, kind);
  const latency = measureLatency(ctx, kind);
  const heartbeat = measureHeartbeat(ctx, kind);
  const reconnects = measureReconnects(ctx, kind);
  // A poller that stopped (engine.io's handshake polls before the upgrade to a WebSocket, a page that gave
  // up or moved on) puts no load on the server any more: projecting its interval would count three
  // handshake polls 40 ms apart as 25 requests/s per user for good. Until it counts as stopped, the
  // analysis is reviewed when the capture grows past that point (reviewAt).
  const stopsAt = pollingStopsAt(ctx, kind);
  const stopped = stopsAt !== null && input.captureEnd > stopsAt;
  const rates = stopped ? null : measureUserRates(ctx, kind, waste.wasteRatio);
  const stalls = measureStalls(ctx, kind);
  const findingInput = { ctx, classification, waste, latency, heartbeat, reconnects, rates, stalls };
  const findings = runFindings(findingInput);

  let msgIn = 0;
  let msgOut = 0;
  let bytesIn = 0;
  let bytesOut = 0;
  let requests = 0;
  for (const r of records) {
    if (isHttp(r.transport)) {
      requests++;
      bytesOut += r.requestBytes;
      if (!r.sse && r.chunks.length === 0) bytesIn += r.size;
    }
    for (const m of allMessages(r)) {
      if (m.dir === 'in') {
        msgIn++;
        bytesIn += m.size;
      } else {
        msgOut++;
        bytesOut += m.size;
      }
    }
  }
  const base: Omit<ChannelReport, 'load'> = {
    id: input.id,
    kind,
    confidence: round3(classification.confidence),
    evidence: classification.evidence,
    url: input.endpoint,
    sampleUrl: records[0]?.url ?? input.endpoint,
    ...(input.origin ? { origin: { kind: input.origin.kind, url: input.origin.url } } : {}),
    transport: input.transport,
    protocol: ctx.protocol,
    requests,
    connections: records.length,
    messages: { in: msgIn, out: msgOut },
    bytes: { in: bytesIn, out: bytesOut },
    wasted: waste.wasted,
    wasteRatio: waste.wasteRatio === null ? null : round3(waste.wasteRatio),
    wastedBytes: waste.wastedBytes,
    intervalMs: latency.intervalMs,
    durationMs: latency.durationMs,
    stalenessMs: latency.stalenessMs,
    gapMs: latency.gapMs,
    timeToFirstByteMs: latency.timeToFirstByteMs,
    heartbeat: heartbeat.heartbeat,
    reconnects: reconnects.reconnects.map((r) => ({ at: r.at, delayMs: round1(r.delayMs), cause: r.cause, attempt: r.attempt })),
    backoff: reconnects.backoff,
    stalls,
    findings,
    advice: adviseChannel(findingInput),
  };
  // Open connections run to the capture end; a lost last connection may turn into 'no-reconnect' as it grows.
  const endSensitive = records.some((r) => r.end === null) || endedAbnormally(records[records.length - 1]);
  const reviewAt = stopsAt !== null && !stopped ? stopsAt : null;
  return { captureEnd: input.captureEnd, endSensitive, reviewAt, ctx, classification, waste, latency, heartbeat, reconnects, rates, stalls, base };
}

export interface ReportInput {
  analyses: readonly ChannelAnalysis[];
  users: number;
  page: { url: string; title: string };
  firstT: number;
  lastT: number;
  droppedEvents: number;
  /** Messages whose text was sampled under a flood (0 when none). */
  sampledMessages?: number;
}

const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Assemble the report; the only user-dependent part is the load projection. */
export function buildReport(input: ReportInput): Report {
  const present = input.analyses.filter((a) => a.ctx.records.length > 0);
  const cross = runCrossChannelFindings(present);
  const channels: ChannelReport[] = present.map((a) => {
    // A cross-channel finding adds to the channel's own unless it has one of that code already; it goes
    // after the channel's own of its severity and above the lower ones.
    const extra = cross.get(a.ctx.id)?.filter((f) => !a.base.findings.some((own) => own.code === f.code));
    const findings = extra?.length ? withoutExplained([...a.base.findings, ...extra].sort((x, y) => SEVERITY_ORDER[x.severity] - SEVERITY_ORDER[y.severity])) : a.base.findings;
    return { ...a.base, findings, load: projectLoad(a.rates, a.classification.kind, input.users) };
  });
  const findings: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  let requests = 0;
  let wasted = 0;
  let wastedBytes = 0;
  let messages = 0;
  let projected = 0;
  for (const c of channels) {
    for (const f of c.findings) findings[f.severity]++;
    requests += c.requests;
    wasted += c.wasted;
    wastedBytes += c.wastedBytes;
    messages += c.messages.in + c.messages.out;
    if (c.load && isPolled(c.kind)) projected += c.load.requestsPerSecond;
  }
  return {
    version: REPORT_VERSION,
    page: input.page,
    capturedAt: new Date(Math.round(input.firstT)).toISOString(),
    durationMs: round1(input.lastT - input.firstT),
    channels,
    summary: {
      channels: channels.length,
      requests,
      wasted,
      wastedBytes,
      messages,
      users: input.users,
      projectedRequestsPerSecond: round3(projected),
      findings,
      droppedEvents: input.droppedEvents,
      ...(input.sampledMessages ? { sampledMessages: input.sampledMessages } : {}),
    },
  };
}
