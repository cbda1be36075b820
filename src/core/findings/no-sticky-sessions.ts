import type { FindingRule } from './types.ts';
import type { Finding } from '../report-types.ts';
import type { ChannelAnalysis } from '../report.ts';
import type { ConnRecord } from '../model.ts';
import { plainRequests } from '../classify/http-cycles.ts';

/**
 * engine.io 6.6 build/server.js: an unknown `sid` is answered 400
 * {"code":1,"message":"Session ID unknown"}; SockJS and SignalR answer 404 for
 * an unknown session. Behind a load balancer without sticky sessions the
 * polling requests of one session land on servers that never saw it.
 */
const UNKNOWN_SESSION = /Session ID unknown|"code"\s*:\s*1\b|No Connection with that ID|session.*(unknown|not found)/i;

/**
 * SockJS URLs: <prefix>/<server>/<session>/<transport> (sockjs-client 1.6 lib/utils/random.js). sockjs 0.3
 * lib/trans-xhr.js xhr_send: a session the instance does not know is answered 404 with no body; its
 * receive transports (xhr, xhr_streaming, eventsource, htmlfile, jsonp) open a new session there instead,
 * with a second open frame `o` that sockjs-client 1.6 lib/main.js `_open` answers with close 1006
 * "Server lost session".
 */
const SOCKJS_URL = /\/(\d{1,3})\/([^/?#]+)\/(xhr_send|jsonp_send|xhr|xhr_streaming|eventsource|htmlfile|jsonp)(?:[?#]|$)/;

/** The session id of a SockJS URL and whether it is a send request, or null when the URL is not SockJS's. */
function sockjsRequest(url: string): { session: string; send: boolean } | null {
  const m = SOCKJS_URL.exec(url);
  return m ? { session: m[2]!, send: m[3]!.endsWith('_send') } : null;
}

/** Whether a SockJS receive response carried the open frame `o` (a line of its own; the xhr_streaming prelude is h's). */
function opensSession(r: ConnRecord): boolean {
  const texts = [r.body?.data ?? '', ...r.chunks.map((c) => c.sample), ...r.messages.map((m) => m.sample)];
  return texts.some((t) => /(^|\n)o(\n|$)/.test(t));
}

/** SockJS sessions that a second server opened afresh (a second open frame), and sends refused as unknown (404). */
function sockjsEvidence(records: readonly ConnRecord[]): { reopened: number; refusedSends: number } {
  const opens = new Map<string, number>();
  let refusedSends = 0;
  for (const r of records) {
    const req = sockjsRequest(r.url);
    if (req === null) continue;
    if (req.send) {
      if (r.status === 404) refusedSends++;
    } else if (opensSession(r)) opens.set(req.session, (opens.get(req.session) ?? 0) + 1);
  }
  let reopened = 0;
  for (const n of opens.values()) if (n > 1) reopened++;
  return { reopened, refusedSends };
}

const ADVICE =
  'Enable sticky sessions (session affinity) on the load balancer (by cookie, by client IP, or for SockJS by the /<server>/ path segment, which exists for this), or use the WebSocket transport only, skipping the negotiate request where the library allows (SignalR skipNegotiation), so that one connection stays on one server.';

/** One session's requests rejected by a server that never saw it: engine.io/SignalR bodies, SockJS 404 sends and re-opened sessions. */
export const noStickySessions: FindingRule = {
  code: 'no-sticky-sessions',
  title: 'Session unknown to the server (no sticky sessions?)',
  severity: 'error',
  description: 'Behind a load balancer, WebSockets and session-based transports need sticky sessions: every request of a session must reach the server that holds it.',
  check({ ctx }) {
    const requests = plainRequests(ctx);
    const rejected = requests.filter(
      (r) => r.status !== null && (r.status === 400 || r.status === 404) && r.body !== null && UNKNOWN_SESSION.test(r.body.data),
    );
    const sockjs = sockjsEvidence(ctx.records);
    if (rejected.length === 0 && sockjs.reopened === 0 && sockjs.refusedSends === 0) return null;
    if (rejected.length > 0) {
      return {
        severity: 'error',
        code: this.code,
        message: `${rejected.length} polling request${rejected.length === 1 ? ' was' : 's were'} rejected as an unknown session: requests of one session reach different servers.`,
        evidence: { rejected: rejected.length, status: rejected[0]!.status, reopenedSessions: 0, negotiatedRefused: 0 },
        advice: ADVICE,
      };
    }
    const parts: string[] = [];
    if (sockjs.reopened > 0) parts.push(`${sockjs.reopened} SockJS session${sockjs.reopened === 1 ? ' was' : 's were'} opened a second time (a second open frame \`o\` on the same session id: a server that did not know it started it afresh, and sockjs-client closes with 1006 "Server lost session")`);
    if (sockjs.refusedSends > 0) parts.push(`${sockjs.refusedSends} SockJS send${sockjs.refusedSends === 1 ? ' was' : 's were'} answered 404 (the server did not know the session)`);
    return {
      severity: 'error',
      code: this.code,
      message: `${parts.join('; ')}: requests of one session reach different servers.`,
      evidence: { rejected: sockjs.refusedSends, status: sockjs.refusedSends > 0 ? 404 : null, reopenedSessions: sockjs.reopened, negotiatedRefused: 0 },
      advice: ADVICE,
    };
  },
};

/** SignalR's negotiate path suffix (@microsoft/signalr 10.0 dist/esm/HttpConnection.js _resolveNegotiateUrl). */
const NEGOTIATE = /\/negotiate(?:[?#]|$)/;

/**
 * The id a negotiate response hands out: `connectionToken` (negotiateVersion 1), else `connectionId`
 * (version 0); @microsoft/signalr 10.0 HttpConnection.ts `_createConnectUrl` puts it in `?id=`.
 */
function negotiatedId(r: ConnRecord): string | null {
  if (r.status !== 200 || r.body === null || !NEGOTIATE.test(r.url)) return null;
  try {
    const json = JSON.parse(r.body.data) as { connectionToken?: unknown; connectionId?: unknown };
    const id = typeof json.connectionToken === 'string' ? json.connectionToken : json.connectionId;
    return typeof id === 'string' && id !== '' ? id : null;
  } catch {
    return null;
  }
}

function idParam(url: string): string | null {
  try {
    return new URL(url).searchParams.get('id');
  } catch {
    return null;
  }
}

/** How a connection that carried a negotiated id fared: refused by a server that did not know it, accepted, or neither yet. */
function fate(r: ConnRecord): 'refused' | 'refused-silently' | 'accepted' | null {
  if (r.transport === 'websocket') {
    if (r.openAt !== null) return 'accepted';
    // The page sees no status for a refused WebSocket upgrade: the browser reports error and 1006.
    return r.end !== null ? 'refused-silently' : null;
  }
  if (r.transport === 'eventsource') return r.openAt !== null ? 'accepted' : r.errors.length > 0 ? 'refused' : null;
  if (r.status === 404) return 'refused';
  return r.status !== null && r.status < 400 ? 'accepted' : null;
}

/**
 * Cross-channel: SignalR's negotiate-then-connect. The negotiate request gets a connection token
 * from one server; the connection that carries it (`?id=`, on the WebSocket, SSE or long-polling
 * channel) is refused by another that never issued it (ASP.NET Core answers 404 "No Connection
 * with that ID"). Judged when an HTTP transport was refused with a negotiated id, or some
 * WebSockets with negotiated ids opened while others failed before opening (a blocked upgrade
 * fails them all). Findings per connection channel.
 */
export function noStickySessionsAcross(analyses: readonly ChannelAnalysis[]): Map<string, Finding> {
  const issued = new Set<string>();
  for (const a of analyses) {
    if (a.ctx.transport !== 'fetch' && a.ctx.transport !== 'xhr') continue;
    for (const r of a.ctx.records) {
      const id = negotiatedId(r);
      if (id !== null) issued.add(id);
    }
  }
  const out = new Map<string, Finding>();
  if (issued.size === 0) return out;
  const tally = new Map<ChannelAnalysis, { refused: number; silent: number; accepted: number }>();
  let httpRefused = 0;
  let wsAccepted = 0;
  for (const a of analyses) {
    for (const r of a.ctx.records) {
      const id = idParam(r.url);
      if (id === null || !issued.has(id)) continue;
      const f = fate(r);
      if (f === null) continue;
      const t = tally.get(a) ?? { refused: 0, silent: 0, accepted: 0 };
      if (f === 'refused') {
        t.refused++;
        httpRefused++;
      } else if (f === 'refused-silently') t.silent++;
      else {
        t.accepted++;
        if (r.transport === 'websocket') wsAccepted++;
      }
      tally.set(a, t);
    }
  }
  const total = [...tally.values()].reduce((n, t) => n + t.refused + t.silent + t.accepted, 0);
  for (const [a, t] of tally) {
    // A WebSocket failing before open says "refused" only when the server is known to refuse negotiated
    // ids, or other WebSockets with negotiated ids got through.
    const refused = t.refused + (httpRefused > 0 || wsAccepted > 0 ? t.silent : 0);
    if (refused === 0) continue;
    out.set(a.ctx.id, {
      severity: noStickySessions.severity,
      code: noStickySessions.code,
      message:
        `${refused} of ${t.refused + t.silent + t.accepted} connection${t.refused + t.silent + t.accepted === 1 ? '' : 's'} on this channel carried a connection token that a negotiate request had just been given (\`?id=\`) and ${refused === 1 ? 'was' : 'were'} refused` +
        `${t.silent > 0 ? ' (WebSockets: closed before opening)' : ' (404)'}: the negotiate went to one server and the connection to another that never issued the token.`,
      evidence: { rejected: refused, status: t.refused > 0 ? 404 : null, reopenedSessions: 0, negotiatedRefused: refused, negotiatedConnections: total },
      advice: ADVICE,
    });
  }
  return out;
}
