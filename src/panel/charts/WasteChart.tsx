/**
 * Useful vs wasted responses over time, stacked per time bucket (buckets from the core's series).
 */
import { useMemo } from 'preact/hooks';
import type uPlot from 'uplot';
import type { ChannelSeries } from '../../core/index.ts';
import { barPaths, secondsValues, themedAxes } from './bars.ts';
import { UPlotChart } from './UPlotChart.tsx';

export function WasteChart({ waste, origin, theme }: { waste: ChannelSeries['waste']; origin: number; theme: string }) {
  const data = useMemo(() => {
    const t = waste.start.map((s) => (s - origin) / 1000);
    const useful = waste.requests.map((r, i) => r - waste.wasted[i]!);
    return { t, useful, wasted: waste.wasted, requests: waste.requests };
  }, [waste, origin]);
  // Stacked: the first series is the total (useful + wasted), drawn behind the wasted part.
  const aligned = useMemo<uPlot.AlignedData>(() => [data.t, data.requests, data.wasted], [data]);
  return (
    <UPlotChart
      name="waste"
      title={`Useful vs wasted responses over time${waste.bucketMs ? ` (per ${Math.round(waste.bucketMs / 1000)} s)` : ''}`}
      height={150}
      data={aligned}
      theme={theme}
      exposed={{ t: data.t, useful: data.useful, wasted: data.wasted, bucketMs: waste.bucketMs }}
      empty={data.t.length === 0 ? 'No HTTP responses on this channel.' : null}
      options={(p) => ({
        legend: { show: true, live: false },
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
