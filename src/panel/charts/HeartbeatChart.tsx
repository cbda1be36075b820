/**
 * Heartbeat intervals over time against the 30 s idle threshold beyond which
 * NAT gateways and mobile carriers start dropping silent connections.
 */
import { useMemo } from 'preact/hooks';
import type uPlot from 'uplot';
import { IDLE_GAP_MS } from '../timeline-data.ts';
import { drawRule, secondsValues, themedAxes } from './bars.ts';
import { UPlotChart } from './UPlotChart.tsx';

export interface HeartbeatSeries {
  /** Heartbeat time, seconds from the capture origin. */
  t: number[];
  /** Interval since the previous heartbeat, ms. */
  intervalMs: number[];
}

export function HeartbeatChart({ data, theme, note }: { data: HeartbeatSeries; theme: string; note: string | null }) {
  const aligned = useMemo<uPlot.AlignedData>(() => [data.t, data.intervalMs.map((v) => v / 1000)], [data]);
  return (
    <UPlotChart
      name="heartbeat"
      title="Heartbeat interval vs the 30 s idle threshold"
      height={150}
      data={aligned}
      theme={theme}
      exposed={{ t: data.t, intervalMs: data.intervalMs, thresholdMs: IDLE_GAP_MS }}
      empty={data.t.length === 0 ? note ?? 'No heartbeats detected on this channel.' : null}
      options={(p) => ({
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, Math.max(IDLE_GAP_MS / 1000 * 1.15, max * 1.1)] } },
        axes: themedAxes(p, secondsValues, (_u, splits) => splits.map((s) => `${s}s`)),
        series: [{}, { label: 'interval', stroke: p.heartbeat, width: 1, points: { show: true, size: 5, fill: p.heartbeat } }],
        hooks: { draw: [(u) => drawRule(u, 'y', IDLE_GAP_MS / 1000, p.threshold, '30 s idle threshold')] },
      })}
    />
  );
}
