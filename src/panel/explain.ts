/**
 * Background a user needs to weigh a finding, from the domain primer
 * (/work/shared/domain/realtime-primer.txt), and what the page hooks cannot
 * see where that matters to a finding.
 */
import type { ChannelReport, Finding } from '../core/report-types.ts';

const TOPICS: Array<{ match: RegExp; text: string }> = [
  {
    match: /idle|nat|heartbeat|keep-?alive/i,
    text: 'Mobile carriers and NAT gateways drop idle TCP connections after 30 to 60 seconds; a connection silent for longer can be dead without either side knowing. Heartbeats every 15 to 30 seconds keep it alive and detect loss early.',
  },
  {
    match: /jitter/i,
    text: 'Irregular heartbeat or retry timing makes liveness detection unreliable: the peer must wait for the slowest interval before declaring the connection dead.',
  },
  {
    match: /backoff|reconnect|retry|storm/i,
    text: 'After a drop, every client reconnects at once unless delays grow (exponential backoff: 1 s, 2 s, 4 s, 8 s) and carry random jitter; fixed fast retries turn an outage into a thundering herd.',
  },
  {
    match: /poll|waste|unchanged|empty|sse|push/i,
    text: 'Polling costs a request per interval per user whether or not anything changed (1,000 users every 2 s = 500 requests/s) and adds half an interval of staleness on average. When only the server pushes, SSE delivers the same updates over one long-lived response; long polling is the fallback that works through every proxy.',
  },
];

/** Primer background for a finding (by its code and message), or null. */
export function explainFinding(f: Finding): string | null {
  const hay = `${f.code} ${f.message}`;
  return TOPICS.find((t) => t.match.test(hay))?.text ?? null;
}

/** What page hooks cannot observe, when it matters to this finding on this channel. */
export function blindSpot(ch: ChannelReport, f: Finding): string | null {
  const aboutLiveness = /idle|heartbeat|keep-?alive|nat/i.test(`${f.code} ${f.message}`);
  if (!aboutLiveness) return null;
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
  'Not visible to page hooks: WebSocket ping/pong control frames, SSE comments on a native EventSource, and traffic from Web Workers, SharedWorkers and Service Workers.';
