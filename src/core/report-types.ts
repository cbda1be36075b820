/**
 * The report JSON: what the core produces from a capture, and what the panel,
 * the CLI and the HTML report render. Versioned; documented in docs/report-format.md.
 * Every field is present; null where unknown.
 */
import type { Transport, WorkerOrigin } from './events.ts';

export const REPORT_VERSION = 1;

export type ChannelKind = 'polling' | 'long-polling' | 'sse' | 'websocket' | 'streaming' | 'one-off';

/** The kinds that ask again and again over HTTP (what waste, polling load and the polling interval apply to). */
export function isPolled(kind: ChannelKind): boolean {
  return kind === 'polling' || kind === 'long-polling';
}
export type Severity = 'error' | 'warning' | 'info';
/**
 * 'schedule' (extension): an explicit per-attempt list no formula explains,
 * e.g. SignalR's default [0, 2000, 10000, 30000]; `delaysMs` holds it.
 */
export type BackoffModel = 'fixed' | 'linear' | 'exponential' | 'schedule';
export type HeartbeatDirection = 'client' | 'server' | 'both';

/** A median/p95 pair in milliseconds. */
export interface Spread {
  median: number;
  p95: number;
}

export interface Finding {
  severity: Severity;
  /** Stable machine id, e.g. 'idle-gap-over-nat-timeout'. */
  code: string;
  /** One sentence a user reads. */
  message: string;
  /** The numbers behind it. */
  evidence: Record<string, number | string | boolean | null>;
  /** What to do about it, grounded in docs/domain.md. */
  advice: string;
}

export interface Heartbeat {
  /** Median interval between heartbeats; null when none was detected. */
  intervalMs: number | null;
  direction: HeartbeatDirection | null;
  /** Spread (p95 - p5) of heartbeat intervals. */
  jitterMs: number | null;
  /** Longest gap with no traffic at all on an open connection. */
  maxIdleMs: number;
  /** How heartbeats were recognised: 'protocol' (e.g. engine.io ping) or 'pattern' (periodic small repeats). */
  source: 'protocol' | 'pattern' | null;
}

export interface Reconnect {
  /** Epoch ms of the new connection attempt. */
  at: number;
  /** Delay from the previous connection's end to this attempt. */
  delayMs: number;
  /** e.g. 'close 1006', 'error', 'stream ended', 'fault: drop'. */
  cause: string;
  /** Attempt number within the retry sequence as the backoff numbering read it (0 = its first retry); see Backoff.resetRule. */
  attempt: number;
}

/** An injected stall (incoming traffic held) and whether the client noticed it. */
export interface StallCheck {
  /** Epoch ms the stall began. */
  at: number;
  /** How long incoming traffic was held, ms. */
  durationMs: number;
  /** From the stall's start to the client giving up on the connection; null when it never did during the stall. */
  detectedAfterMs: number | null;
  /**
   * How it gave up: closed the silent connection, or opened a replacement; 'server-closed'
   * when the server ended the connection during the stall before the client reacted (the
   * stall then tested nothing); null when it never reacted.
   */
  reaction: 'closed' | 'reconnected' | 'server-closed' | null;
  /** With 'server-closed': when the server's close came, from the stall's start. */
  serverClosedAfterMs?: number;
}

export interface Backoff {
  model: BackoffModel;
  initialMs: number;
  /** Growth factor (exponential) or step in ms (linear); 1 for fixed. */
  factor: number;
  /**
   * Exponential fits on 12 delays or fewer: the least and greatest factor of the fits that
   * leave out one delay each, when they differ by more than 1.5× (the factor is then rough,
   * and the confidence at most medium); null otherwise.
   */
  factorRange: [number, number] | null;
  /** Observed or fitted ceiling; null when delays never plateaued. */
  maxMs: number | null;
  jitter: boolean;
  /**
   * The delays show there is no randomisation (src/core/metrics/backoff-determinism.ts): a constant's
   * delays agree within timer noise, growth repeats across outages or takes even steps, or the
   * delays are round constants. With `jitter` false and this false, jitter was not seen but the
   * delays cannot rule it out ("jitter not seen").
   */
  deterministic: boolean;
  /** How the randomisation is applied, when the delays tell: see JitterKind. */
  jitterKind: JitterKind;
  /** With a cap: whether the delays at the cap still spread (false: clamped after the jitter, so clients retry in lockstep there); null without a cap or with fewer than 3 delays at it. */
  jitterAtCap: boolean | null;
  /** Goodness of fit, 0..1. */
  fit: number;
  /** How far the verdict can be trusted: 'low' means the delays are too few or too ambiguous to name the model. */
  confidence: BackoffConfidence;
  /** Why the confidence is not high; null when it is. */
  confidenceReason: string | null;
  /** Where the client restarts its sequence, as read from the delays: see BackoffResetRule. */
  resetRule: BackoffResetRule;
  /** With resetRule 'uptime': the shortest uptime after which the sequence restarted, and the longest after which it continued. */
  resetUptimeMs: { resetAfter: number; continuedAfter: number } | null;
  /** Observed median delay per attempt index (attempt 0 = first retry after a loss); NaN-free, null where no sample. */
  delaysMs: Array<number | null>;
}

/**
 * 'none': deterministic; 'proportional': ± a share of the delay (socket.io-client, "equal jitter");
 * 'full': uniform from 0 to the delay; 'decorrelated': between the base and 3× the previous delay;
 * 'additive': a random amount of constant size added (graphql-ws); 'unknown': randomised, too few delays to tell how.
 */
export type JitterKind = 'none' | 'proportional' | 'full' | 'decorrelated' | 'additive' | 'unknown';

export type BackoffConfidence = 'high' | 'medium' | 'low';

/**
 * Where the attempt count restarts after a connection that opened: 'every-open' (socket.io-client),
 * 'uptime' (only after the connection stayed up long enough: reconnecting-websocket's minUptime),
 * 'never' (the count runs on across connections), 'fallback' (the delays fall back with no uptime
 * rule that explains it), 'unknown' (no retry after an opened connection, or a fixed delay where it
 * does not matter).
 */
export type BackoffResetRule = 'every-open' | 'uptime' | 'never' | 'fallback' | 'unknown';

export interface Load {
  /** Requests (or messages for push channels) per second for one user. */
  requestsPerSecondPerUser: number;
  /** The same for `users` users. */
  requestsPerSecond: number;
  users: number;
  /** Wasted requests per second for `users` users. */
  wastedPerSecond: number;
  /** Bytes per second (request + response bodies, or message payloads) for `users` users. */
  bytesPerSecond: number;
  /** Polling channels: what a push channel (SSE/WebSocket) would need instead: one open connection per user, only the non-wasted updates. Null for push channels. */
  push: { connections: number; messagesPerSecond: number } | null;
}

export interface ChannelReport {
  id: string;
  kind: ChannelKind;
  confidence: number;
  evidence: string;
  /** Normalised endpoint (ids, hashes, cache-busters folded to placeholders). */
  url: string;
  /** The first real URL seen on the channel. */
  sampleUrl: string;
  /** The worker whose traffic this is (dedicated, shared or service worker, and its script URL); absent for the page's own. */
  origin?: WorkerOrigin;
  transport: Transport;
  protocol: string | null;
  /** HTTP requests (fetch/XHR) on the channel. */
  requests: number;
  /** Requests plus WebSocket/EventSource connections. */
  connections: number;
  messages: { in: number; out: number };
  bytes: { in: number; out: number };
  wasted: number;
  wasteRatio: number | null;
  wastedBytes: number;
  intervalMs: Spread | null;
  durationMs: Spread | null;
  /** Average and worst staleness polling adds (interval/2, interval). */
  stalenessMs: { average: number; worst: number } | null;
  /** Message inter-arrival gaps on push channels. */
  gapMs: Spread | null;
  timeToFirstByteMs: Spread | null;
  heartbeat: Heartbeat | null;
  reconnects: Reconnect[];
  backoff: Backoff | null;
  /** Injected stalls on the channel's connections and the client's reaction (empty without stall faults). */
  stalls: StallCheck[];
  load: Load | null;
  findings: Finding[];
  /** One recommendation for the channel, grounded in docs/domain.md's decision tree and intermediaries table; null when it fits its use. */
  advice: string | null;
}

export interface Report {
  version: typeof REPORT_VERSION;
  page: { url: string; title: string };
  capturedAt: string;
  durationMs: number;
  channels: ChannelReport[];
  summary: {
    channels: number;
    requests: number;
    wasted: number;
    wastedBytes: number;
    messages: number;
    users: number;
    projectedRequestsPerSecond: number;
    findings: Record<Severity, number>;
    droppedEvents: number;
    /**
     * Messages recorded with only their first bytes because their connection ran above the
     * page hooks' payload budget (a flood): counts, sizes and times stay exact, decoded
     * protocol details and text matches cover the whole messages only. Absent when none.
     */
    sampledMessages?: number;
  };
}
