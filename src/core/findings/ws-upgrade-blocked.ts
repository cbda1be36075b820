/**
 * A cross-channel finding: a WebSocket that fails before `open` and, after the
 * failure, HTTP polling to the same host (engine.io, SockJS and SignalR fall
 * back this way). Corporate proxies may block the upgrade (docs/domain.md, "What sits between").
 */
import { isPolled, type Finding } from '../report-types.ts';
import type { ChannelAnalysis } from '../report.ts';
import { minOf } from '../stats.ts';

export const WS_UPGRADE_BLOCKED = {
  code: 'ws-upgrade-blocked',
  title: 'WebSocket upgrade blocked, fell back to polling',
  severity: 'warning' as const,
  description: 'WebSocket connections fail before opening and the page polls the same host instead.',
};

function host(url: string): string | null {
  try {
    return new URL(url).host;
  } catch {
    return null;
  }
}

/** Findings to add per channel id (the failing WebSocket and its polling fallback), judged across all channels. */
export function wsUpgradeBlocked(analyses: readonly ChannelAnalysis[]): Map<string, Finding> {
  const out = new Map<string, Finding>();
  for (const ws of analyses) {
    if (ws.ctx.transport !== 'websocket') continue;
    const failed = ws.ctx.records.filter((r) => r.openAt === null && r.end !== null && (r.closeCode === 1006 || r.errors.length > 0));
    if (failed.length === 0) continue;
    const firstFailure = minOf(failed.map((r) => r.end!));
    const wsHost = host(ws.ctx.endpoint);
    const fallback = analyses.find(
      (a) =>
        isPolled(a.classification.kind) &&
        host(a.ctx.endpoint) === wsHost &&
        a.ctx.records.some((r) => r.start >= firstFailure),
    );
    if (!fallback) continue;
    const finding: Finding = {
      severity: WS_UPGRADE_BLOCKED.severity,
      code: WS_UPGRADE_BLOCKED.code,
      message: `${failed.length} WebSocket connection${failed.length === 1 ? '' : 's'} to ${ws.ctx.endpoint} failed before opening and the page then used ${fallback.classification.kind} on ${fallback.ctx.endpoint}: something between page and server blocks the upgrade.`,
      evidence: { failedBeforeOpen: failed.length, fallbackKind: fallback.classification.kind, webSocketChannel: ws.ctx.id, fallbackChannel: fallback.ctx.id },
      advice: 'Allow WebSocket upgrades on the proxy/load balancer (Upgrade and Connection headers, wss:// on 443, idle timeouts above the heartbeat); meanwhile the fallback costs a request per message.',
    };
    out.set(ws.ctx.id, finding);
    if (!out.has(fallback.ctx.id)) out.set(fallback.ctx.id, finding);
  }
  return out;
}
