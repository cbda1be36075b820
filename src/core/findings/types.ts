/** The contract of one finding rule (one file per finding, Lighthouse-audit style). */
import type { ChannelContext } from '../context.ts';
import type { Finding, Severity } from '../report-types.ts';
import type { Classification } from '../classify/types.ts';
import type { WasteResult } from '../metrics/waste.ts';
import type { LatencyResult } from '../metrics/latency.ts';
import type { HeartbeatResult } from '../metrics/heartbeat.ts';
import type { ReconnectResult } from '../metrics/reconnects.ts';
import type { UserRates } from '../metrics/load.ts';
import type { StallCheck } from '../report-types.ts';

/** Everything measured on a channel, handed to every finding rule. */
export interface FindingInput {
  ctx: ChannelContext;
  classification: Classification;
  waste: WasteResult;
  latency: LatencyResult;
  heartbeat: HeartbeatResult;
  reconnects: ReconnectResult;
  rates: UserRates | null;
  /** Injected stalls and the client's reaction (metrics/stalls.ts). */
  stalls: StallCheck[];
}

export interface FindingRule {
  /** Stable machine id, also the finding's `code`. */
  code: string;
  title: string;
  /** Default severity (a rule may raise or lower it per case). */
  severity: Severity;
  /** Why it matters, for docs. */
  description: string;
  check(input: FindingInput): Finding | null;
}

/** Reference users for messages: docs/domain.md's "1,000 users polling every 2 s make 500 requests/s". */
export const REFERENCE_USERS = 1000;
