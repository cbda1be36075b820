/**
 * Heartbeat intervals (of the side that initiates them) against the 30 s idle
 * threshold beyond which NAT gateways and mobile carriers drop silent connections.
 */
import { useMemo } from 'preact/hooks';
import type uPlot from 'uplot';
import { IDLE_LIMIT_MS } from '../../core/index.ts';
import type { ChannelSeries } from '../../core/index.ts';
import { drawRule, themedAxes } from './bars.ts';
import { UPlotChart } from './UPlotChart.tsx';

export function HeartbeatChart({ heartbeat, theme, note }: { heartbeat: ChannelSeries['heartbeat']; theme: string; note: string | null }) {
  const aligned = useMemo<uPlot.AlignedData>(() => [heartbeat.intervals.map((_, i) => i + 1), heartbeat.intervals.map((v) => v / 1000)], [heartbeat]);
  return (
    <UPlotChart
      name="heartbeat"
      title="Heartbeat interval vs the 30 s idle threshold"
      height={150}
      data={aligned}
      theme={theme}
      exposed={{ beats: heartbeat.t.length, intervalMs: heartbeat.intervals, thresholdMs: IDLE_LIMIT_MS }}
      empty={heartbeat.intervals.length === 0 ? note ?? 'No heartbeats detected on this channel.' : null}
      options={(p) => ({
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, Math.max((IDLE_LIMIT_MS / 1000) * 1.15, max * 1.1)] } },
        axes: themedAxes(p, (_u, splits) => splits.map((s) => (Number.isInteger(s) ? `#${s}` : '')), (_u, splits) => splits.map((s) => `${s}s`)),
        series: [{}, { label: 'interval', stroke: p.heartbeat, width: 1, points: { show: true, size: 5, fill: p.heartbeat } }],
        hooks: { draw: [(u) => drawRule(u, 'y', IDLE_LIMIT_MS / 1000, p.threshold, '30 s idle threshold')] },
      })}
    />
  );
}
