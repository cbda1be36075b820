import type { FindingRule } from './types.ts';
import { formatMs, maxOf } from '../stats.ts';
import { NETWORK_NOTICE_MS, NETWORK_OFFLINE } from '../metrics/reconnects.ts';

/** A reconnect this soon after `online` still belongs to the window (it may be the attempt `online` set off). */
const ONLINE_GRACE_MS = 1000;

/**
 * Reconnects that line up with the page going offline (moving between Wi-Fi and cellular drops
 * every TCP connection; docs/domain.md): the browser's own offline window (`page.network`,
 * cause 'network offline') or the injected offline fault.
 */
export const networkChange: FindingRule = {
  code: 'reconnect-on-network-change',
  title: 'Reconnects after the network went away',
  severity: 'info',
  description: 'Network switching drops every TCP connection; the client must notice and reconnect with backoff.',
  check({ ctx, reconnects }) {
    const offline = reconnects.reconnects.filter((r) => r.cause === 'fault: offline' || r.cause === NETWORK_OFFLINE);
    if (offline.length === 0) return null;
    const worst = maxOf(offline.map((r) => r.delayMs));
    // `audit`'s offline fault also takes the tab offline in Chrome: injected, though the browser said so too.
    const injected = offline.some((r) => r.cause === 'fault: offline');
    // How long after the browser said the network was back the client's first attempt came
    // (the attempt that may succeed): a client that waits out its backoff timer instead of
    // listening for `online` keeps its users offline that long for nothing.
    // Only windows this channel lost its connection in, and the first attempt before the next one.
    let afterOnlineMs: number | null = null;
    const windows = ctx.offline ?? [];
    windows.forEach((w, i) => {
      if (w.to === Number.POSITIVE_INFINITY) return;
      if (!offline.some((r) => r.at >= w.from - NETWORK_NOTICE_MS && r.at <= w.to + ONLINE_GRACE_MS)) return;
      const before = windows[i + 1]?.from ?? Number.POSITIVE_INFINITY;
      const next = reconnects.reconnects.find((r) => r.at >= w.to && r.at < before);
      if (next !== undefined) afterOnlineMs = Math.max(afterOnlineMs ?? 0, next.at - w.to);
    });
    const how = injected ? 'the injected offline fault' : "the browser's offline event";
    const back = afterOnlineMs === null ? '' : `; the first attempt after the network came back came ${formatMs(afterOnlineMs)} later`;
    return {
      severity: 'info',
      code: this.code,
      message: `${offline.length} reconnect${offline.length === 1 ? '' : 's'} followed the page going offline (${how}); the longest took ${Math.round(worst)} ms${back}.`,
      evidence: { count: offline.length, longestDelayMs: Math.round(worst), source: injected ? 'fault' : 'browser', afterOnlineMs: afterOnlineMs === null ? null : Math.round(afterOnlineMs) },
      advice: 'Listen for the browser\'s online event to reconnect at once when the network returns, and keep exponential backoff with jitter for the time it stays away.',
    };
  },
};
