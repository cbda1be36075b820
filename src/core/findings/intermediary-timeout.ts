import type { FindingRule } from './types.ts';
import type { ChannelContext } from '../context.ts';
import type { ConnRecord } from '../model.ts';
import { plainRequests } from '../classify/http-cycles.ts';
import { formatMs, median } from '../stats.ts';

/**
 * Streams that end at one age, again and again, were cut by a timer, not by the news:
 * a proxy's or load balancer's idle timeout (nginx proxy_read_timeout 60 s, AWS ALB idle
 * 60 s, Heroku's router 55 s, Cloudflare 100 s) or a lifetime limit (a maximum connection
 * age). The age is measured from the capture, never assumed from a list of products.
 */
const MIN_CUTS = 3;
/** Of the streams that ended other than by the page, this share must share the age. */
const MIN_SHARE = 0.6;
/** Ages within this of the group's median are one age: a timer fires at its time plus the network's jitter. */
function ageTolerance(ageMs: number): number {
  return Math.max(1000, 0.03 * ageMs);
}
/** Shorter than this is a refusal (accept then close), not a timeout. */
const MIN_AGE_MS = 5000;
/** Silent for this share of its life before the cut: an idle timeout, not a lifetime limit. */
const IDLE_SHARE = 0.8;

interface Life {
  ageMs: number;
  /** From the last traffic to the end. */
  idleMs: number;
}

function lastTraffic(r: ConnRecord, from: number, to: number): number {
  let last = from;
  for (const m of r.messages) if (m.t >= from && m.t <= to) last = m.t;
  for (const c of r.chunks) if (c.t >= from && c.t <= to) last = Math.max(last, c.t);
  return last;
}

/** Lives of the channel's streams that ended other than by the page: EventSource streams (open to error), streamed responses, WebSockets. */
function lives(ctx: ChannelContext): Life[] {
  const out: Life[] = [];
  for (const r of ctx.records) {
    if (r.transport === 'eventsource') {
      const events = [...r.opens.map((t) => ({ t, open: true })), ...r.errors.map((e) => ({ t: e.t, open: false }))].sort((a, b) => a.t - b.t);
      let openAt: number | null = null;
      for (const e of events) {
        if (e.open) openAt = e.t;
        else if (openAt !== null) {
          out.push({ ageMs: e.t - openAt, idleMs: e.t - lastTraffic(r, openAt, e.t) });
          openAt = null;
        }
      }
    } else if (r.transport === 'websocket') {
      if (r.openAt === null || r.end === null || r.closeInitiator === 'client') continue;
      out.push({ ageMs: r.end - r.openAt, idleMs: r.end - lastTraffic(r, r.openAt, r.end) });
    } else if (r.end !== null && (r.sse || r.chunks.length > 0 || r.endKind === 'error')) {
      out.push({ ageMs: r.end - r.start, idleMs: r.end - lastTraffic(r, r.responseAt ?? r.start, r.end) });
    }
  }
  return out;
}

/** The largest group of lives that share one age, or null. */
function sharedAge(all: readonly Life[]): { ageMs: number; lives: Life[] } | null {
  const long = all.filter((l) => l.ageMs >= MIN_AGE_MS).sort((a, b) => a.ageMs - b.ageMs);
  let best: Life[] = [];
  for (let i = 0, j = 0; i < long.length; i++) {
    while (long[i]!.ageMs - long[j]!.ageMs > 2 * ageTolerance(long[j]!.ageMs)) j++;
    if (i - j + 1 > best.length) best = long.slice(j, i + 1);
  }
  if (best.length < MIN_CUTS || best.length < MIN_SHARE * all.length) return null;
  const ageMs = median(best.map((l) => l.ageMs));
  return best.every((l) => Math.abs(l.ageMs - ageMs) <= ageTolerance(ageMs)) ? { ageMs, lives: best } : null;
}

/** Held responses ending in 502/504, or streams cut again and again at one age. */
export const intermediaryTimeout: FindingRule = {
  code: 'intermediary-timeout',
  title: 'Connections cut by an intermediary timeout',
  severity: 'warning',
  description:
    'Corporate proxies and mobile carriers time out held requests, and load balancers need configuring for long-lived streams; streams that all end at one age were cut by a timer.',
  check({ ctx, classification }) {
    const kind = classification.kind;
    if (kind !== 'long-polling' && kind !== 'streaming' && kind !== 'sse' && kind !== 'websocket') return null;
    const gateway = plainRequests(ctx).filter((r) => r.status === 502 || r.status === 504).length;
    const cut = sharedAge(lives(ctx));
    if (gateway === 0 && cut === null) return null;
    if (cut === null) {
      return {
        severity: 'warning',
        code: this.code,
        message: `${gateway} response${gateway === 1 ? '' : 's'} ended in 502/504: a proxy or load balancer timed out before the server answered.`,
        evidence: { gatewayErrors: gateway, cutAtMs: null, cutCount: 0, idleBeforeCutMs: null },
        advice: 'Hold long-poll responses for less than the shortest intermediary timeout (e.g. 25 s); raise the proxy/load-balancer read timeout for these routes.',
      };
    }
    const idleMs = median(cut.lives.map((l) => l.idleMs));
    const idle = idleMs >= IDLE_SHARE * cut.ageMs;
    const what = kind === 'websocket' ? 'WebSocket connections' : kind === 'long-polling' ? 'held responses' : 'streams';
    return {
      severity: 'warning',
      code: this.code,
      message: idle
        ? `${cut.lives.length} ${what} ended after the same age, ${formatMs(cut.ageMs)}, each silent for ${formatMs(idleMs)} before the end: an idle timeout (a proxy, load balancer or the server) cuts connections that carry nothing for that long.`
        : `${cut.lives.length} ${what} ended after the same age, ${formatMs(cut.ageMs)}, while traffic was flowing: a lifetime limit (a proxy's or load balancer's maximum connection age, or the server's own rotation) ends them.`,
      evidence: { gatewayErrors: gateway, cutAtMs: Math.round(cut.ageMs), cutCount: cut.lives.length, idleBeforeCutMs: Math.round(idleMs) },
      advice: idle
        ? `Send a heartbeat more often than every ${formatMs(cut.ageMs)} (an SSE comment line, a WebSocket ping message), or raise the intermediary's idle timeout for this route.`
        : 'If the limit is not the server\'s own, raise the intermediary\'s connection lifetime for this route; either way make sure the client resumes without loss (Last-Event-ID, a resume token) and reconnects at once after a clean end.',
    };
  },
};
