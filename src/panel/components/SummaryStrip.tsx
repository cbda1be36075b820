import type { Report } from '../../core/index.ts';
import { formatBytes, formatCount, formatRate } from '../format.ts';
import { SeverityIcon } from './SeverityIcon.tsx';

export interface SummaryStripProps {
  report: Report;
  users: number;
  onUsers: (users: number) => void;
  /** Events lost to buffer bounds (report's capture.dropped plus what the connection reports). */
  dropped: number;
}

/** Totals for the page: requests, waste, projected load for N users, findings by severity. */
export function SummaryStrip({ report, users, onUsers, dropped }: SummaryStripProps) {
  const s = report.summary;
  return (
    <div class="summary" role="region" aria-label="Summary">
      <div class="metric"><span class="metric-value" data-testid="total-requests">{formatCount(s.requests)}</span><span class="metric-label">requests</span></div>
      <div class="metric"><span class="metric-value">{formatCount(s.messages)}</span><span class="metric-label">messages</span></div>
      <div class="metric">
        <span class="metric-value" data-testid="wasted-requests">{formatCount(s.wasted)}</span>
        <span class="metric-label">wasted ({formatBytes(s.wastedBytes)})</span>
      </div>
      <div class="metric">
        <span class="metric-value" data-testid="projected-load">{formatRate(s.projectedRequestsPerSecond)}</span>
        <span class="metric-label">
          polling requests for{' '}
          <input
            class="users-input"
            type="number"
            min={1}
            step={100}
            aria-label="Users for the load projection"
            value={users}
            onChange={(e) => onUsers(Number((e.currentTarget as HTMLInputElement).value))}
          />{' '}
          users
        </span>
      </div>
      <div class="metric findings-count" data-testid="findings-count">
        <span><SeverityIcon severity="error" /> {s.findings.error}</span>
        <span><SeverityIcon severity="warning" /> {s.findings.warning}</span>
        <span><SeverityIcon severity="info" /> {s.findings.info}</span>
        <span class="metric-label">findings</span>
      </div>
      {dropped > 0 ? (
        <div class="metric dropped" role="alert" data-testid="dropped">
          <span class="metric-value">{formatCount(dropped)}</span>
          <span class="metric-label">events dropped by buffer bounds: counts may be low</span>
        </div>
      ) : null}
      {s.sampledMessages ? (
        <div class="metric sampled" data-testid="sampled" title="A connection ran above the payload budget: every message is counted with its time and size, but only its first bytes were kept (and one whole message every 100 ms).">
          <span class="metric-value">{formatCount(s.sampledMessages)}</span>
          <span class="metric-label">message texts sampled under a flood: first bytes only</span>
        </div>
      ) : null}
    </div>
  );
}
