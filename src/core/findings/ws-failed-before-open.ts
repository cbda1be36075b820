import type { FindingRule } from './types.ts';

/** WebSockets that never open (1006 before open) usually meet a proxy that blocks the upgrade (primer: "May block upgrade"). */
export const wsFailedBeforeOpen: FindingRule = {
  code: 'ws-failed-before-open',
  title: 'WebSocket upgrade fails',
  severity: 'warning',
  description: 'Corporate proxies may block the WebSocket upgrade; libraries then fall back to HTTP polling.',
  check({ ctx }) {
    if (ctx.transport !== 'websocket') return null;
    const failed = ctx.records.filter((r) => r.openAt === null && r.end !== null && (r.closeCode === 1006 || r.errors.length > 0));
    if (failed.length === 0) return null;
    const neverOpened = ctx.records.every((r) => r.openAt === null);
    return {
      severity: neverOpened ? 'warning' : 'info',
      code: this.code,
      message: `${failed.length} of ${ctx.records.length} WebSocket connection${ctx.records.length === 1 ? '' : 's'} failed before opening${neverOpened ? ' and none ever opened' : ''}: the upgrade may be blocked by a proxy or firewall.`,
      evidence: { failed: failed.length, connections: ctx.records.length, neverOpened },
      advice: 'If the page then falls back to HTTP polling, check proxies and load balancers for WebSocket upgrade support (Upgrade/Connection headers, wss:// on 443), or prefer SSE for server→client traffic.',
    };
  },
};
