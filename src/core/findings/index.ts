/** Every finding rule, run on every channel in this order. */
import type { Finding } from '../report-types.ts';
import type { FindingInput, FindingRule } from './types.ts';
import { noHeartbeat } from './no-heartbeat.ts';
import { idleGap } from './idle-gap-over-nat-timeout.ts';
import { heartbeatTooSlow } from './heartbeat-too-slow.ts';
import { heartbeatTooFast } from './heartbeat-too-fast.ts';
import { noBackoff } from './reconnect-without-backoff.ts';
import { noJitter } from './backoff-without-jitter.ts';
import { noCap } from './backoff-without-cap.ts';
import { backoffJitterLostAtCap } from './backoff-jitter-lost-at-cap.ts';
import { backoffNoReset } from './backoff-no-reset.ts';
import { backoffCapTooHigh } from './backoff-cap-too-high.ts';
import { retrySoonerThanAsked } from './retry-sooner-than-asked.ts';
import { capTooLow } from './backoff-cap-too-low.ts';
import { retryAfterFatalClose } from './reconnect-after-fatal-close.ts';
import { sseRetryIgnored } from './sse-retry-ignored.ts';
import { sseMissingLastEventId } from './sse-missing-last-event-id.ts';
import { pollingWaste } from './polling-waste-high.ts';
import { pollingLoad } from './polling-load-high.ts';
import { streamBuffered } from './stream-buffered.ts';
import { intermediaryTimeout } from './intermediary-timeout.ts';
import { wsFailedBeforeOpen } from './ws-failed-before-open.ts';
import { webtransportFailed } from './webtransport-failed.ts';
import { noStickySessions, noStickySessionsAcross } from './no-sticky-sessions.ts';
import { networkChange } from './reconnect-on-network-change.ts';
import { noReconnect } from './no-reconnect.ts';
import { stallUndetected } from './stall-undetected.ts';
import { wsUpgradeBlocked } from './ws-upgrade-blocked.ts';
import { connectionStarvation } from './connection-starvation.ts';
import type { ChannelAnalysis } from '../report.ts';

export const FINDING_RULES: readonly FindingRule[] = [
  retryAfterFatalClose,
  noStickySessions,
  noReconnect,
  noBackoff,
  noJitter,
  backoffJitterLostAtCap,
  noCap,
  capTooLow,
  backoffCapTooHigh,
  backoffNoReset,
  retrySoonerThanAsked,
  stallUndetected,
  noHeartbeat,
  idleGap,
  heartbeatTooSlow,
  heartbeatTooFast,
  sseRetryIgnored,
  sseMissingLastEventId,
  pollingWaste,
  pollingLoad,
  streamBuffered,
  intermediaryTimeout,
  wsFailedBeforeOpen,
  webtransportFailed,
  networkChange,
];

const ORDER = { error: 0, warning: 1, info: 2 } as const;

/** Run every rule; findings sorted by severity, then rule order. */
export function runFindings(input: FindingInput): Finding[] {
  const out: Finding[] = [];
  for (const rule of FINDING_RULES) {
    const f = rule.check(input);
    if (f) out.push(f);
  }
  return out.sort((a, b) => ORDER[a.severity] - ORDER[b.severity]);
}

/** Rules judged across all channels at once; each gives the findings to add per channel id. */
export const CROSS_CHANNEL_RULES: ReadonlyArray<(analyses: readonly ChannelAnalysis[]) => Map<string, Finding>> = [wsUpgradeBlocked, connectionStarvation, noStickySessionsAcross];

/**
 * Findings that explain another on the same channel: the other is dropped. A WebSocket refused
 * because its negotiated token reached the wrong server is not an upgrade blocked on the way.
 */
const EXPLAINS: ReadonlyMap<string, readonly string[]> = new Map([['no-sticky-sessions', ['ws-upgrade-blocked']]]);

/** A channel's findings without those another of them explains. */
export function withoutExplained(findings: readonly Finding[]): Finding[] {
  const explained = new Set(findings.flatMap((f) => EXPLAINS.get(f.code) ?? []));
  return explained.size === 0 ? [...findings] : findings.filter((f) => !explained.has(f.code));
}

/** Every cross-channel rule's findings, per channel id, in rule order. */
export function runCrossChannelFindings(analyses: readonly ChannelAnalysis[]): Map<string, Finding[]> {
  const out = new Map<string, Finding[]>();
  for (const rule of CROSS_CHANNEL_RULES) {
    for (const [id, finding] of rule(analyses)) {
      const list = out.get(id);
      if (list) list.push(finding);
      else out.set(id, [finding]);
    }
  }
  return out;
}

export type { FindingInput, FindingRule };
