import type { FindingRule } from './types.ts';
import { plainRequests } from '../classify/http-cycles.ts';

/** Common idle/read timeouts of proxies and load balancers (nginx proxy_read_timeout 60 s, AWS ALB idle 60 s, Heroku router 30 s, Cloudflare 100 s). */
export const INTERMEDIARY_TIMEOUTS_MS = [30_000, 60_000, 100_000];
const TOLERANCE_MS = 1500;

/** Held responses or streams cut at a fixed proxy timeout, or ending in 502/504. */
export const intermediaryTimeout: FindingRule = {
  code: 'intermediary-timeout',
  title: 'Connections cut by an intermediary timeout',
  severity: 'warning',
  description: 'The primer: long polling "may timeout" behind corporate proxies and mobile carriers; load balancers need configuration for SSE.',
  check({ ctx, classification }) {
    if (classification.kind !== 'long-polling' && classification.kind !== 'streaming' && classification.kind !== 'sse') return null;
    const requests = plainRequests(ctx).concat(ctx.records.filter((r) => r.sse && r.transport !== 'eventsource'));
    const gateway = requests.filter((r) => r.status === 502 || r.status === 504).length;
    const cut = new Map<number, number>();
    for (const r of requests) {
      if (r.end === null || r.endKind === null) continue;
      const d = r.end - r.start;
      const limit = INTERMEDIARY_TIMEOUTS_MS.find((l) => Math.abs(d - l) <= TOLERANCE_MS);
      if (limit !== undefined && (r.endKind === 'error' || r.sse || r.chunks.length > 0)) cut.set(limit, (cut.get(limit) ?? 0) + 1);
    }
    let limitMs: number | null = null;
    let count = 0;
    for (const [l, n] of cut) if (n > count) [limitMs, count] = [l, n];
    if (gateway === 0 && count < 2) return null;
    return {
      severity: 'warning',
      code: this.code,
      message:
        gateway > 0
          ? `${gateway} response${gateway === 1 ? '' : 's'} ended in 502/504: a proxy or load balancer timed out before the server answered.`
          : `${count} streams/held responses were cut at ${limitMs! / 1000} s: an intermediary's timeout is shorter than the hold.`,
      evidence: { gatewayErrors: gateway, cutAtMs: limitMs, cutCount: count },
      advice: 'Hold long-poll responses for less than the shortest intermediary timeout (e.g. 25 s), or send heartbeats on streams; raise the proxy/load-balancer read timeout for these routes.',
    };
  },
};
