import type { FindingRule } from './types.ts';
import { networkCause } from '../metrics/reconnects.ts';

/** WebSockets that never open (1006 before open) usually meet a proxy that blocks the upgrade (docs/domain.md, "What sits between"). */
export const wsFailedBeforeOpen: FindingRule = {
  code: 'ws-failed-before-open',
  title: 'WebSocket upgrade fails',
  severity: 'warning',
  description: 'Corporate proxies may block the WebSocket upgrade; libraries then fall back to HTTP polling.',
  check({ ctx }) {
    if (ctx.transport !== 'websocket') return null;
    // Attempts that failed while the browser said the page was offline failed for that reason
    // (their cause is 'network offline'), not at a proxy or a server.
    const failed = ctx.records.filter((r) => r.openAt === null && r.end !== null && (r.closeCode === 1006 || r.errors.length > 0) && networkCause(ctx, r.end) === null);
    if (failed.length === 0) return null;
    const neverOpened = ctx.records.every((r) => r.openAt === null);
    const of = `${failed.length} of ${ctx.records.length} WebSocket connection${ctx.records.length === 1 ? '' : 's'} failed before opening`;
    if (neverOpened) {
      return {
        severity: 'warning',
        code: this.code,
        message: `${of} and none ever opened: the upgrade may be blocked by a proxy or firewall.`,
        evidence: { failed: failed.length, connections: ctx.records.length, neverOpened },
        advice: 'If the page then falls back to HTTP polling, check proxies and load balancers for WebSocket upgrade support (Upgrade/Connection headers, wss:// on 443), or prefer SSE for server→client traffic.',
      };
    }
    // Others opened from the same page and network, so the upgrade itself gets through: these attempts met
    // a server that was down, restarting or refusing (reconnects during an outage), not a blocked upgrade.
    return {
      severity: 'info',
      code: this.code,
      message: `${of}; others opened, so the upgrade gets through: these attempts found the server down or refusing (an outage, a deploy, an overloaded or rate-limiting server).`,
      evidence: { failed: failed.length, connections: ctx.records.length, neverOpened },
      advice: 'Match the failures against server restarts and deploys; while the server is unreachable every client retries, so spread the retries (exponential backoff with jitter, see the reconnect findings) and let the server shed load with a close code that tells clients to wait.',
    };
  },
};
