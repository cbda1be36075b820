/**
 * Useful vs wasted responses over time, stacked per time bucket.
 */
import { useMemo } from 'preact/hooks';
import type uPlot from 'uplot';
import { barPaths, secondsValues, themedAxes } from './bars.ts';
import { UPlotChart } from './UPlotChart.tsx';

export interface WasteSeries {
  /** Bucket start, seconds from the capture origin. */
  t: number[];
  useful: number[];
  wasted: number[];
}

export function WasteChart({ data, theme }: { data: WasteSeries; theme: string }) {
  const aligned = useMemo<uPlot.AlignedData>(() => [data.t, data.useful.map((u, i) => u + data.wasted[i]!), data.wasted], [data]);
  const total = data.useful.reduce((a, b) => a + b, 0) + data.wasted.reduce((a, b) => a + b, 0);
  return (
    <UPlotChart
      name="waste"
      title="Useful vs wasted responses over time"
      height={150}
      data={aligned}
      theme={theme}
      exposed={{ t: data.t, useful: data.useful, wasted: data.wasted }}
      empty={total === 0 ? 'No HTTP responses on this channel.' : null}
      options={(p) => ({
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
        axes: themedAxes(p, secondsValues),
        series: [
          {},
          { label: 'useful', fill: p.useful, stroke: p.useful, paths: barPaths(), points: { show: false } },
          { label: 'wasted', fill: p.wasted, stroke: p.wasted, paths: barPaths(), points: { show: false } },
        ],
      })}
    />
  );
}
