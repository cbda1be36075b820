/**
 * Every page of the demo lab: one page per technique, each with a good and a bad
 * variant (socket.io has two bad ones). The index, `npm start` and the end-to-end
 * tests all read this list, so a page added here is listed, audited and tested.
 *
 * `expect` states what an audit of the page must find for its main channel. Timings
 * in the pages are multiplied by the lab's time scale (1 = realistic), so the
 * expectations are stated as kinds, protocols and models, not as numbers.
 */
import type { BackoffModel, ChannelKind, ChannelReport } from '../src/core/report-types.ts';

export type Variant = 'good' | 'bad';

export interface LabPage {
  /** Stable id; the page reads it as `?mode=<id>`: `/pages/<page>.html?mode=<id>`. */
  id: string;
  /** The HTML page (technique) under lab/pages/. */
  page: string;
  variant: Variant;
  title: string;
  /** What the page does and what is good or bad about it (plain text). */
  summary: string;
  expect: {
    /** URL substring that identifies the page's main channel. */
    channel: string;
    kind: ChannelKind;
    /** Protocol id the core must recognise ('json' for plain JSON payloads), null when nothing is decodable. */
    protocol: string | null;
    /** True when an application-level heartbeat must be detected, false when none must be. */
    heartbeat: boolean | null;
    /** The fitted backoff model when the page reconnects on its own, null when it does not, absent when either is right. */
    backoff?: BackoffModel | null;
    /** Finding codes the audit must raise on that channel (a subset of what it raises). */
    findings: string[];
    /** Finding codes it must not raise there (false alarms on a good variant). */
    absent: string[];
  };
  /** Seconds of recording at time scale 1 that show the behaviour. */
  seconds: number;
  /**
   * The smallest time scale at which the analysis still sees the behaviour: some of its
   * thresholds are absolute (a held long-poll lasts 1 s or more; delays under 200 ms are
   * timer noise to the backoff fitter; a loaded machine delays 400 ms timers enough to make
   * a poll look irregular), so fast runs must not shrink these pages further.
   */
  minScale: number;
  /** Absolute floor of the recording in seconds, for behaviour the analysis judges against absolute limits (30 s idle). */
  minSeconds?: number;
}

export const LAB_PAGES: LabPage[] = [
  {
    id: 'polling-naive',
    page: 'polling',
    variant: 'bad',
    title: 'Naive short polling',
    summary: 'GET every 2 s; the data changes every 30 s, so almost every response repeats the previous one.',
    expect: { channel: '/api/poll', kind: 'polling', protocol: 'json', heartbeat: null, backoff: null, findings: ['polling-waste-high'], absent: [] },
    seconds: 20,
    minScale: 0.5,
  },
  {
    id: 'polling-etag',
    page: 'polling',
    variant: 'good',
    title: 'Conditional polling (ETag / 304)',
    summary: 'The same poll sends If-None-Match; unchanged data costs a bodiless 304 instead of a full response.',
    expect: { channel: '/api/poll', kind: 'polling', protocol: 'json', heartbeat: null, backoff: null, findings: [], absent: [] },
    seconds: 20,
    minScale: 0.5,
  },
  {
    id: 'longpoll-held',
    page: 'long-polling',
    variant: 'good',
    title: 'Long-polling with held requests',
    summary: 'The server holds each request until an event arrives (or 25 s pass); the client re-requests at once.',
    expect: { channel: '/api/longpoll', kind: 'long-polling', protocol: 'json', heartbeat: null, backoff: null, findings: [], absent: ['polling-waste-high'] },
    seconds: 40,
    minScale: 0.5,
  },
  {
    id: 'longpoll-504',
    page: 'long-polling',
    variant: 'bad',
    title: 'Long-poll cut by a 30 s intermediary timeout (504)',
    summary: 'The backend holds for 60 s but a proxy in front gives up after 30 s with 504 Gateway Timeout (?timeout=ms changes it).',
    expect: { channel: '/proxy/longpoll', kind: 'long-polling', protocol: null, heartbeat: null, findings: ['intermediary-timeout'], absent: [] },
    seconds: 70,
    minScale: 0.2,
    minSeconds: 30,
  },
  {
    id: 'sse-resume',
    page: 'sse',
    variant: 'good',
    title: 'SSE with id and retry, resumed with Last-Event-ID',
    summary: 'Events carry id:, the stream sets retry:, and the server ends the stream every 20 s; EventSource reconnects and resumes.',
    expect: { channel: '/sse/feed', kind: 'sse', protocol: 'json', heartbeat: null, backoff: 'fixed', findings: [], absent: ['sse-missing-last-event-id', 'sse-retry-ignored', 'reconnect-without-backoff'] },
    seconds: 50,
    minScale: 0.2,
    // Enough stream ends (or pings) for a backoff fit (or a heartbeat interval) on a busy machine.
    minSeconds: 30,
  },
  {
    id: 'sse-buffered',
    page: 'sse',
    variant: 'bad',
    title: 'SSE behind a buffering proxy',
    summary: 'The server emits an event every second but an intermediary buffers the stream and flushes it every 10 s, in bursts.',
    expect: { channel: '/proxy/sse', kind: 'sse', protocol: 'json', heartbeat: null, backoff: null, findings: ['stream-buffered'], absent: [] },
    seconds: 40,
    minScale: 0.2,
  },
  {
    id: 'socketio-ws',
    page: 'socketio',
    variant: 'good',
    title: 'socket.io over WebSocket',
    summary: 'socket.io-client with its default transports: a polling handshake, then the upgrade to WebSocket; engine.io pings every 25 s.',
    expect: { channel: '/socket.io/', kind: 'websocket', protocol: 'socket.io', heartbeat: true, backoff: null, findings: [], absent: ['no-heartbeat', 'ws-failed-before-open'] },
    seconds: 60,
    minScale: 0.2,
    // Enough stream ends (or pings) for a backoff fit (or a heartbeat interval) on a busy machine.
    minSeconds: 30,
  },
  {
    id: 'socketio-polling',
    page: 'socketio',
    variant: 'bad',
    title: 'socket.io forced to polling only',
    summary: "transports: ['polling']: every message and every ping costs a held HTTP request.",
    expect: { channel: '/socket.io/', kind: 'long-polling', protocol: 'socket.io', heartbeat: true, backoff: null, findings: [], absent: [] },
    seconds: 60,
    minScale: 0.2,
  },
  {
    id: 'socketio-blocked',
    page: 'socketio',
    variant: 'bad',
    title: 'socket.io with the WebSocket upgrade blocked',
    summary: 'A proxy refuses the Upgrade request, so the WebSocket probe fails and socket.io silently stays on long-polling.',
    expect: { channel: '/socket.io/', kind: 'long-polling', protocol: 'socket.io', heartbeat: true, backoff: null, findings: ['ws-upgrade-blocked'], absent: [] },
    seconds: 60,
    minScale: 0.2,
  },
  {
    id: 'graphql-ws-keepalive',
    page: 'graphql-ws',
    variant: 'good',
    title: 'graphql-ws subscription with keep-alive pings',
    summary: 'graphql-ws client with keepAlive: a ping message every 12 s that the server answers with pong.',
    expect: { channel: '/graphql', kind: 'websocket', protocol: 'graphql-ws', heartbeat: true, backoff: null, findings: [], absent: ['no-heartbeat'] },
    seconds: 45,
    minScale: 0.2,
  },
  {
    id: 'graphql-ws-idle',
    page: 'graphql-ws',
    variant: 'bad',
    title: 'graphql-ws subscription with no keep-alive',
    summary: "graphql-ws client's default (keepAlive 0) on a quiet subscription: nothing crosses the socket for minutes.",
    expect: { channel: '/graphql', kind: 'websocket', protocol: 'graphql-ws', heartbeat: false, backoff: null, findings: ['no-heartbeat'], absent: [] },
    seconds: 45,
    minScale: 0.2,
    minSeconds: 33,
  },
  {
    id: 'ws-heartbeat',
    page: 'websocket',
    variant: 'good',
    title: 'Raw WebSocket with a JSON heartbeat',
    summary: 'The client sends {"type":"ping"} every 15 s and the server answers {"type":"pong"}; data arrives in between.',
    expect: { channel: '/ws/heartbeat', kind: 'websocket', protocol: 'json', heartbeat: true, backoff: null, findings: [], absent: ['no-heartbeat'] },
    seconds: 50,
    minScale: 0.2,
  },
  {
    id: 'ws-idle',
    page: 'websocket',
    variant: 'bad',
    title: 'WebSocket that never heartbeats and sits idle',
    summary: 'One welcome message, then silence: a mobile NAT or a proxy drops the connection after 30-60 s and nobody notices.',
    expect: { channel: '/ws/idle', kind: 'websocket', protocol: 'json', heartbeat: false, backoff: null, findings: ['no-heartbeat', 'idle-gap-over-nat-timeout'], absent: [] },
    seconds: 40,
    minScale: 0.2,
    minSeconds: 33,
  },
  {
    id: 'reconnect-backoff',
    page: 'reconnect',
    variant: 'good',
    title: 'Reconnect with exponential backoff and jitter',
    summary: 'The server drops the socket and refuses connections for 20 s; the client waits 0.5 s, 1 s, 2 s, 4 s, 8 s (±50%) capped at 10 s.',
    expect: { channel: '/ws/flaky', kind: 'websocket', protocol: 'json', heartbeat: null, backoff: 'exponential', findings: [], absent: ['reconnect-without-backoff'] },
    seconds: 40,
    minScale: 0.5,
  },
  {
    id: 'reconnect-storm',
    page: 'reconnect',
    variant: 'bad',
    title: 'Reconnect storm with no backoff',
    summary: 'The same outage, but the client retries every 100 ms whatever happens: hundreds of attempts, all at once for every user.',
    expect: { channel: '/ws/flaky', kind: 'websocket', protocol: 'json', heartbeat: null, backoff: 'fixed', findings: ['reconnect-without-backoff'], absent: [] },
    seconds: 40,
    minScale: 0.5,
  },
];

/** Shortest recording in seconds for any page: enough for three heartbeats or polls at the fast scales. */
const FLOOR_SECONDS = 20;

/** How to audit a page quickly: the page's time scale (query `scale`) and the recording length. */
export function auditPlan(page: LabPage, scale: number): { scale: number; durationMs: number; path: string } {
  const pageScale = Math.max(scale, page.minScale);
  const seconds = Math.max(FLOOR_SECONDS, page.seconds * pageScale, page.minSeconds ?? 0);
  return { scale: pageScale, durationMs: Math.round(seconds * 1000), path: labPath(page, pageScale === 1 ? {} : { scale: pageScale }) };
}

/**
 * The lab's origin under a name of its own for one page: `<name>.localhost` resolves to
 * 127.0.0.1 in Chrome (RFC 6761), and a distinct host gets its own pool of Chrome's six
 * HTTP/1.1 connections per host, so that pages audited side by side in one browser do not
 * queue behind each other's held long-polls and streams.
 */
export function pageOrigin(labUrl: string, name: string): string {
  const url = new URL(labUrl);
  url.hostname = `${name}.localhost`;
  return url.origin;
}

/** The lab path of a page, without origin. */
export function labPath(page: LabPage, query: Record<string, string | number> = {}): string {
  const params = new URLSearchParams({ mode: page.id });
  for (const [key, value] of Object.entries(query)) params.set(key, String(value));
  return `/pages/${page.page}.html?${params}`;
}

/** The channel a lab page is about: on its endpoint, of its expected kind when one is there. */
export function mainChannel(page: LabPage, channels: readonly ChannelReport[]): ChannelReport | undefined {
  const onEndpoint = channels.filter((c) => c.url.includes(page.expect.channel));
  return onEndpoint.find((c) => c.kind === page.expect.kind) ?? onEndpoint.find((c) => c.kind !== 'one-off') ?? onEndpoint[0];
}
