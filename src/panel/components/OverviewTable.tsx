/**
 * One row per channel: kind, protocol, endpoint, traffic, waste, timing,
 * heartbeat, reconnects and worst finding. Sorted by severity by default;
 * column headers sort; kind, protocol and a URL search filter.
 * Arrow keys move the selection, Enter opens the channel.
 */
import { useMemo, useState } from 'preact/hooks';
import { IDLE_LIMIT_MS } from '../../core/index.ts';
import type { ChannelKind, ChannelReport } from '../../core/index.ts';
import { channelTiming, channelTraffic, formatCount, formatMs, SEVERITY_RANK, shortUrl, worstFinding } from '../format.ts';
import { EmptyState } from './EmptyState.tsx';
import { KindBadge } from './KindBadge.tsx';
import { WorkerBadge } from './Workers.tsx';
import { SeverityIcon } from './SeverityIcon.tsx';
import { WasteBar } from './WasteBar.tsx';

export type SortKey = 'severity' | 'kind' | 'protocol' | 'endpoint' | 'traffic' | 'waste' | 'timing' | 'heartbeat' | 'reconnects';

export interface OverviewFilter {
  kind: ChannelKind | '';
  protocol: string;
  search: string;
}

function severityScore(ch: ChannelReport): number {
  const w = worstFinding(ch);
  return (w ? SEVERITY_RANK[w.severity] * 1000 : 0) + ch.findings.length;
}

const SORTERS: Record<SortKey, (a: ChannelReport, b: ChannelReport) => number> = {
  severity: (a, b) => severityScore(a) - severityScore(b) || (a.wasteRatio ?? 0) - (b.wasteRatio ?? 0),
  kind: (a, b) => a.kind.localeCompare(b.kind),
  protocol: (a, b) => (a.protocol ?? '').localeCompare(b.protocol ?? ''),
  endpoint: (a, b) => a.url.localeCompare(b.url),
  traffic: (a, b) => channelTraffic(a) - channelTraffic(b),
  waste: (a, b) => (a.wasteRatio ?? -1) - (b.wasteRatio ?? -1),
  timing: (a, b) => (channelTiming(a).ms ?? -1) - (channelTiming(b).ms ?? -1),
  heartbeat: (a, b) => (a.heartbeat?.intervalMs ?? -1) - (b.heartbeat?.intervalMs ?? -1),
  reconnects: (a, b) => a.reconnects.length - b.reconnects.length,
};

/** Sort and filter channels as the table shows them. */
export function visibleChannels(channels: readonly ChannelReport[], filter: OverviewFilter, sort: { key: SortKey; desc: boolean }): ChannelReport[] {
  const needle = filter.search.trim().toLowerCase();
  const rows = channels.filter(
    (c) =>
      (!filter.kind || c.kind === filter.kind) &&
      (!filter.protocol || (filter.protocol === '(none)' ? c.protocol === null : c.protocol === filter.protocol)) &&
      (!needle || c.url.toLowerCase().includes(needle)),
  );
  const cmp = SORTERS[sort.key];
  rows.sort((a, b) => (sort.desc ? cmp(b, a) : cmp(a, b)) || a.url.localeCompare(b.url));
  return rows;
}

function HeartbeatCell({ ch }: { ch: ChannelReport }) {
  const hb = ch.heartbeat;
  if (!hb) return <span class="muted">—</span>;
  if (hb.intervalMs === null) {
    const risky = hb.maxIdleMs > IDLE_LIMIT_MS;
    return <span class={risky ? 'warn-text' : 'muted'} title={`Longest idle gap ${formatMs(hb.maxIdleMs)}`}>none{risky ? `, idle ${formatMs(hb.maxIdleMs)}` : ''}</span>;
  }
  const slow = hb.intervalMs > IDLE_LIMIT_MS;
  return (
    <span class={slow ? 'warn-text' : ''} title={`source: ${hb.source ?? '?'}, jitter ${formatMs(hb.jitterMs)}`}>
      {formatMs(hb.intervalMs)}{hb.direction ? ` ${hb.direction === 'client' ? '↑' : hb.direction === 'server' ? '↓' : '↕'}` : ''}
    </span>
  );
}

const COLUMNS: Array<{ key: SortKey; label: string; cls?: string }> = [
  { key: 'kind', label: 'Kind' },
  { key: 'protocol', label: 'Protocol' },
  { key: 'endpoint', label: 'Endpoint', cls: 'col-endpoint' },
  { key: 'traffic', label: 'Req / Msgs', cls: 'num' },
  { key: 'waste', label: 'Waste' },
  { key: 'timing', label: 'Interval / Latency', cls: 'num' },
  { key: 'heartbeat', label: 'Heartbeat' },
  { key: 'reconnects', label: 'Reconn.', cls: 'num' },
  { key: 'severity', label: 'Worst finding', cls: 'col-finding' },
];

export interface OverviewTableProps {
  channels: readonly ChannelReport[];
  selectedId: string | null;
  onSelect: (id: string) => void;
  onOpen: (id: string) => void;
  filter: OverviewFilter;
  onFilter: (filter: OverviewFilter) => void;
  /** Events are shown but their first analysis has not arrived yet. */
  analysing?: boolean;
}

/** The channel table with its filter bar. */
export function OverviewTable({ channels, selectedId, onSelect, onOpen, filter, onFilter, analysing = false }: OverviewTableProps) {
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean }>({ key: 'severity', desc: true });
  const rows = useMemo(() => visibleChannels(channels, filter, sort), [channels, filter, sort]);
  const kinds = useMemo(() => [...new Set(channels.map((c) => c.kind))].sort(), [channels]);
  const protocols = useMemo(() => [...new Set(channels.map((c) => c.protocol ?? '(none)'))].sort(), [channels]);

  const toggleSort = (key: SortKey) => setSort((s) => (s.key === key ? { key, desc: !s.desc } : { key, desc: key === 'severity' || key === 'traffic' || key === 'waste' || key === 'reconnects' }));

  const onKeyDown = (e: KeyboardEvent) => {
    if (rows.length === 0) return;
    const i = rows.findIndex((r) => r.id === selectedId);
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const next = e.key === 'ArrowDown' ? Math.min(rows.length - 1, i + 1) : Math.max(0, i < 0 ? 0 : i - 1);
      onSelect(rows[next]!.id);
    } else if (e.key === 'Enter' && i >= 0) {
      e.preventDefault();
      onOpen(rows[i]!.id);
    }
  };

  return (
    <div class="overview">
      <div class="filterbar" role="toolbar" aria-label="Channel filters">
        <input
          id="overview-search"
          class="search"
          type="search"
          placeholder="Filter URL  ( / )"
          aria-label="Filter channels by URL"
          value={filter.search}
          onInput={(e) => onFilter({ ...filter, search: (e.currentTarget as HTMLInputElement).value })}
        />
        <select aria-label="Filter by kind" value={filter.kind} onChange={(e) => onFilter({ ...filter, kind: (e.currentTarget as HTMLSelectElement).value as ChannelKind | '' })}>
          <option value="">All kinds</option>
          {kinds.map((k) => <option key={k} value={k}>{k}</option>)}
        </select>
        <select aria-label="Filter by protocol" value={filter.protocol} onChange={(e) => onFilter({ ...filter, protocol: (e.currentTarget as HTMLSelectElement).value })}>
          <option value="">All protocols</option>
          {protocols.map((p) => <option key={p} value={p}>{p}</option>)}
        </select>
        <span class="muted count">{rows.length} of {channels.length} channels</span>
      </div>
      {channels.length === 0 && analysing ? (
        <EmptyState title="Analysing the capture…" />
      ) : channels.length === 0 ? (
        <EmptyState title="No real-time traffic captured yet">
          Reload the page to capture from the start, or import a capture or HAR file.
        </EmptyState>
      ) : rows.length === 0 ? (
        <EmptyState title="No channel matches the filters">Clear the URL filter or pick another kind or protocol.</EmptyState>
      ) : (
        <div class="table-wrap">
          <table class="grid overview-table" tabIndex={0} onKeyDown={onKeyDown} aria-label="Channels">
            <thead>
              <tr>
                {COLUMNS.map((c) => (
                  <th
                    key={c.key}
                    class={c.cls}
                    aria-sort={sort.key === c.key ? (sort.desc ? 'descending' : 'ascending') : 'none'}
                    onClick={() => toggleSort(c.key)}
                    data-sort={c.key}
                  >
                    {c.label}
                    {sort.key === c.key ? <span class="sort-arrow">{sort.desc ? '▼' : '▲'}</span> : null}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((ch) => {
                const worst = worstFinding(ch);
                const timing = channelTiming(ch);
                return (
                  <tr
                    key={ch.id}
                    data-channel={ch.id}
                    class={ch.id === selectedId ? 'selected' : ''}
                    aria-selected={ch.id === selectedId}
                    onClick={() => onSelect(ch.id)}
                    onDblClick={() => onOpen(ch.id)}
                  >
                    <td><KindBadge kind={ch.kind} transport={ch.transport} /></td>
                    <td>{ch.protocol ?? <span class="muted">—</span>}</td>
                    <td class="col-endpoint" title={ch.url}>
                      <a href="#" class="endpoint-link" onClick={(e) => { e.preventDefault(); onOpen(ch.id); }}>{shortUrl(ch.url)}</a>
                      <WorkerBadge origin={ch.origin} />
                    </td>
                    <td class="num">{ch.requests > 0 ? formatCount(ch.requests) : `${formatCount(ch.messages.in)}↓ ${formatCount(ch.messages.out)}↑`}</td>
                    <td><WasteBar ratio={ch.wasteRatio} /></td>
                    <td class="num">{timing.ms === null ? <span class="muted">—</span> : `${timing.label} ${formatMs(timing.ms)}`}</td>
                    <td><HeartbeatCell ch={ch} /></td>
                    <td class="num">{ch.reconnects.length || <span class="muted">0</span>}</td>
                    <td class="col-finding">
                      {worst ? (
                        <span title={worst.message}><SeverityIcon severity={worst.severity} /> {worst.message}</span>
                      ) : (
                        <span class="muted">no findings</span>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
