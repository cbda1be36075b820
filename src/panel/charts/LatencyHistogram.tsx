/**
 * Distribution of request durations (HTTP kinds) or message inter-arrival gaps
 * (push kinds), with the median and p95 marked.
 */
import { useMemo } from 'preact/hooks';
import type uPlot from 'uplot';
import { barPaths, drawRule, themedAxes } from './bars.ts';
import { UPlotChart } from './UPlotChart.tsx';

/** Bins of the histogram. */
export const HISTOGRAM_BINS = 24;

export interface Histogram {
  /** Bin lower edges, ms. */
  edges: number[];
  counts: number[];
  width: number;
}

/** Equal-width histogram of `values` (ms); the last bin includes the maximum. */
export function histogram(values: readonly number[], bins = HISTOGRAM_BINS): Histogram {
  if (values.length === 0) return { edges: [], counts: [], width: 0 };
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const width = max > min ? (max - min) / bins : 1;
  const n = max > min ? bins : 1;
  const counts = new Array<number>(n).fill(0);
  for (const v of values) counts[Math.min(n - 1, Math.floor((v - min) / width))]!++;
  return { edges: counts.map((_, i) => min + i * width), counts, width };
}

export interface LatencyHistogramProps {
  title: string;
  values: readonly number[];
  median: number | null;
  p95: number | null;
  theme: string;
}

function fmt(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(ms >= 10_000 ? 0 : 1)}s` : `${Math.round(ms)}ms`;
}

export function LatencyHistogram({ title, values, median, p95, theme }: LatencyHistogramProps) {
  const h = useMemo(() => histogram(values), [values]);
  const aligned = useMemo<uPlot.AlignedData>(() => [h.edges.map((e) => e + h.width / 2), h.counts], [h]);
  return (
    <UPlotChart
      name="latency"
      title={title}
      height={150}
      data={aligned}
      theme={theme}
      optionsKey={`${median}:${p95}`}
      exposed={{ binStart: h.edges, counts: h.counts, median, p95, samples: values.length }}
      empty={values.length === 0 ? 'Not enough timings yet.' : null}
      options={(p) => ({
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
        axes: themedAxes(p, (_u, splits) => splits.map(fmt)),
        series: [{}, { label: 'count', fill: p.useful, stroke: p.useful, paths: barPaths(0.95), points: { show: false } }],
        hooks: {
          draw: [
            (u) => {
              if (median !== null) drawRule(u, 'x', median, p.outbound, `median ${fmt(median)}`);
              if (p95 !== null) drawRule(u, 'x', p95, p.wasted, `p95 ${fmt(p95)}`);
            },
          ],
        },
      })}
    />
  );
}
