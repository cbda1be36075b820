/**
 * Background a user needs to weigh a finding (the facts of docs/domain.md), and what the
 * page hooks cannot see where that matters to a finding. Keyed by finding code: every
 * registered finding has an entry (test/unit/panel-explain.test.ts holds it), so a new
 * finding cannot go out without one, and no wording of a message can change which applies.
 */
import type { ChannelReport, Finding } from '../core/index.ts';

const LIVENESS =
  'Mobile carriers and NAT gateways drop idle TCP connections after 30 to 60 seconds; a connection silent for longer can be dead without either side knowing. Heartbeats every 15 to 30 seconds keep it alive and detect loss early.';
const BACKOFF =
  'After a drop, every client reconnects at once unless delays grow (exponential backoff: 1 s, 2 s, 4 s, 8 s, up to a cap) and carry random jitter; fixed fast retries turn an outage into a thundering herd.';
const RESET =
  'A client should restart its backoff only once a connection has stayed up; restarting on every open retries a server that accepts and closes at the shortest delay forever.';
const POLLING =
  'Polling costs a request per interval per user whether or not anything changed (1,000 users every 2 s = 500 requests/s) and adds half an interval of staleness on average. When only the server pushes, SSE delivers the same updates over one long-lived response; long polling is the fallback that works through every proxy.';
const INTERMEDIARIES =
  'Between the page and the server, corporate proxies may block WebSocket upgrades and buffer streams, CDNs may buffer SSE, and load balancers time out idle or long-lived connections and need sticky sessions for session-based transports.';
const SERVER_WORD =
  'A server that asks for a wait (Retry-After, an SSE retry: field, a close with code 1013) or refuses for good (a policy or authentication close) knows its state better than a client timer: retrying sooner, or at all, adds load where it hurts.';
const SSE_RESUME =
  'EventSource reconnects by itself, waits the retry: time the server set, and resends the last event id as Last-Event-ID so the server can replay what was missed. A client built on fetch has to do all three itself.';
const PER_HOST =
  'Over HTTP/1.1 Chromium opens at most 6 connections per host: six event streams or held long polls to one origin leave no connection for anything else, and further requests wait unsent. HTTP/2 multiplexes them over one connection.';
const NETWORK_CHANGE =
  'Moving between Wi-Fi and cellular, or losing the network, drops every TCP connection at once: every client then reconnects together, which is when backoff and jitter matter.';

/** The background of each finding code. */
export const EXPLANATIONS: Readonly<Record<string, string>> = {
  'no-heartbeat': LIVENESS,
  'idle-gap-over-nat-timeout': LIVENESS,
  'heartbeat-too-slow': LIVENESS,
  'heartbeat-too-fast': 'Heartbeats faster than every 15 s buy no more liveness than one every 15-30 s, and keep the mobile radio awake, which costs battery and traffic.',
  'stall-undetected': LIVENESS,
  'reconnect-without-backoff': BACKOFF,
  'backoff-without-jitter': BACKOFF,
  'backoff-jitter-lost-at-cap': BACKOFF,
  'backoff-without-cap': BACKOFF,
  'backoff-cap-too-low': BACKOFF,
  'backoff-cap-too-high': 'A backoff cap of minutes keeps users offline long after an outage ends; reconnecting within seconds (1 s, 2 s, 4 s, 8 s, capped around 30 s) recovers quickly without a herd, if the delays carry jitter.',
  'backoff-no-reset': RESET,
  'no-reconnect': 'A WebSocket never reconnects by itself (EventSource does); a client that does not reconnect leaves the user with a stale page after the first network blip.',
  'reconnect-after-fatal-close': SERVER_WORD,
  'retry-sooner-than-asked': SERVER_WORD,
  'polling-waste-high': POLLING,
  'polling-load-high': POLLING,
  'stream-buffered': INTERMEDIARIES,
  'intermediary-timeout': INTERMEDIARIES,
  'ws-failed-before-open': INTERMEDIARIES,
  'ws-upgrade-blocked': INTERMEDIARIES,
  'no-sticky-sessions': INTERMEDIARIES,
  'sse-retry-ignored': SSE_RESUME,
  'sse-missing-last-event-id': SSE_RESUME,
  'connection-starvation': PER_HOST,
  'reconnect-on-network-change': NETWORK_CHANGE,
  'webtransport-failed':
    'WebTransport runs over HTTP/3 (QUIC, on UDP): a session fails where UDP is blocked or the server does not speak HTTP/3, which many corporate networks and proxies do not pass. A client needs a fallback (WebSocket) for those users.',
};

/** Findings about whether an idle connection is still alive: where the hooks' blind spots matter. */
const ABOUT_LIVENESS = new Set(['no-heartbeat', 'idle-gap-over-nat-timeout', 'heartbeat-too-slow', 'stall-undetected']);

/** Background for a finding, or null for a code this version does not know (a report from a newer one). */
export function explainFinding(f: Finding): string | null {
  return EXPLANATIONS[f.code] ?? null;
}

/** What page hooks cannot observe, when it matters to this finding on this channel. */
export function blindSpot(ch: ChannelReport, f: Finding): string | null {
  if (!ABOUT_LIVENESS.has(f.code)) return null;
  if (ch.transport === 'websocket') {
    return 'Page hooks cannot see WebSocket ping/pong control frames: if the server pings at the protocol level, the connection may be kept alive by frames this capture cannot show. Check the server configuration before acting.';
  }
  if (ch.transport === 'eventsource') {
    return 'On a native EventSource, SSE comment lines (": keep-alive") never reach page JavaScript, so comment heartbeats are invisible here. Read the stream with curl -N to check for them.';
  }
  return null;
}

/** The general limits of page hooks, for the footer. */
export const HOOK_LIMITS =
  'Not visible to page hooks: WebSocket ping/pong control frames and SSE comments on a native EventSource. Traffic of Workers, SharedWorkers and Service Workers shows only with "Include workers" on (over the DevTools protocol), and faults are never injected inside a worker.';
