/**
 * Distribution of request durations (HTTP kinds) or message inter-arrival gaps
 * (push kinds) in the core's log-spaced bins, with the median and p95 marked.
 */
import { useMemo } from 'preact/hooks';
import type uPlot from 'uplot';
import type { ChannelSeries } from '../../core/index.ts';
import { barPaths, drawRule, themedAxes } from './bars.ts';
import { UPlotChart } from './UPlotChart.tsx';
import { formatMs } from '../format.ts';
import { formatMs as formatDuration } from '../../core/index.ts';

function fmt(ms: number): string {
  return formatDuration(ms, 'compact');
}

/** Bin labels: upper bounds ("≤10ms"), the open last bin as "more". */
export function binLabels(binsMs: readonly number[]): string[] {
  return binsMs.map((b, i) => (b < 0 ? `>${fmt(binsMs[i - 1] ?? 0)}` : `≤${fmt(b)}`));
}

/** Where a value falls on the bin-index axis (bars centred on integers), interpolated inside its bin. */
export function binPosition(value: number, binsMs: readonly number[]): number {
  for (let i = 0; i < binsMs.length; i++) {
    const upper = binsMs[i]!;
    const lower = i > 0 ? binsMs[i - 1]! : 0;
    if (upper < 0) return i;
    if (value <= upper) return i - 0.5 + (value - lower) / Math.max(1e-9, upper - lower);
  }
  return binsMs.length - 1;
}

/**
 * Which bins get a label on the axis: the bins that hold data, and the first and last, left to right,
 * skipping one right next to a bin already labelled (14 labels do not fit under a chart 380 px wide).
 * uPlot's own choice of splits labelled three bins and often not the ones with the bars.
 */
export function labelledBins(counts: readonly number[]): boolean[] {
  const shown = counts.map(() => false);
  let last = -2;
  for (let i = 0; i < counts.length; i++) {
    if (!(counts[i]! > 0 || i === 0 || i === counts.length - 1)) continue;
    if (i - last < 2) continue;
    shown[i] = true;
    last = i;
  }
  return shown;
}

export function LatencyHistogram({ title, latency, theme }: { title: string; latency: ChannelSeries['latency']; theme: string }) {
  const labels = useMemo(() => binLabels(latency.binsMs), [latency]);
  const shown = useMemo(() => labelledBins(latency.counts), [latency]);
  const aligned = useMemo<uPlot.AlignedData>(() => [latency.counts.map((_, i) => i), latency.counts], [latency]);
  const samples = latency.counts.reduce((a, b) => a + b, 0);
  const { median, p95 } = latency;
  return (
    <UPlotChart
      name="latency"
      title={`${title}${median !== null ? `: median ${formatMs(median)}, p95 ${formatMs(p95 ?? median)}` : ''}`}
      height={150}
      data={aligned}
      theme={theme}
      optionsKey={`${median}:${p95}:${shown.map(Number).join('')}`}
      exposed={{ binsMs: latency.binsMs, counts: latency.counts, median, p95, samples }}
      empty={samples === 0 ? 'Not enough timings yet.' : null}
      options={(p) => ({
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: false, range: () => [-0.5, labels.length - 0.5] }, y: { range: (_u, _min, max) => [0, Math.max(1, Math.ceil(max * 1.3))] } },
        axes: (() => {
          const [x, y] = themedAxes(
            p,
            (_u, splits) => splits.map((s) => (Number.isInteger(s) && shown[s] ? labels[s] ?? '' : '')),
            // Counts are whole: no "2.5" ticks.
            (_u, splits) => splits.map((s) => (Number.isInteger(s) ? String(s) : '')),
          );
          return [{ ...x, splits: () => labels.map((_, i) => i) }, y!];
        })(),
        series: [{}, { label: 'count', fill: p.useful, stroke: p.useful, paths: barPaths(0.9), points: { show: false } }],
        hooks: {
          draw: [
            (u) => {
              if (median !== null) drawRule(u, 'x', binPosition(median, latency.binsMs), p.outbound, `median ${formatMs(median)}`);
              if (p95 !== null) drawRule(u, 'x', binPosition(p95, latency.binsMs), p.wasted, `p95 ${formatMs(p95)}`, 1);
            },
          ],
        },
      })}
    />
  );
}
