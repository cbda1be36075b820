import type { FindingRule } from './types.ts';
import { maxOf } from '../stats.ts';

/** Reconnects that line up with the page going offline (moving between Wi-Fi and cellular drops every TCP connection; docs/domain.md). */
export const networkChange: FindingRule = {
  code: 'reconnect-on-network-change',
  title: 'Reconnects after the network went away',
  severity: 'info',
  description: 'Network switching drops every TCP connection; the client must notice and reconnect with backoff.',
  check({ reconnects }) {
    const offline = reconnects.reconnects.filter((r) => r.cause === 'fault: offline');
    if (offline.length === 0) return null;
    const worst = maxOf(offline.map((r) => r.delayMs));
    return {
      severity: 'info',
      code: this.code,
      message: `${offline.length} reconnect${offline.length === 1 ? '' : 's'} followed the page going offline; the longest took ${Math.round(worst)} ms.`,
      evidence: { count: offline.length, longestDelayMs: Math.round(worst) },
      advice: 'Listen for the browser\'s online event to reconnect at once when the network returns, and keep exponential backoff with jitter for the time it stays away.',
    };
  },
};
