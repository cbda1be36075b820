/**
 * Reconnect delay per attempt, with the fitted backoff model drawn over it and
 * the reference exponential curve of docs/domain.md (1 s, 2 s, 4 s, 8 s, capped); all
 * three columns come from the core's series.
 */
import { useMemo, useRef } from 'preact/hooks';
import type uPlot from 'uplot';
import { describeBackoffShape } from '../../core/index.ts';
import type { Backoff, ChannelSeries } from '../../core/index.ts';
import { themedAxes } from './bars.ts';
import { UPlotChart } from './UPlotChart.tsx';

export function BackoffChart({ reconnects, backoff, theme }: { reconnects: ChannelSeries['reconnects']; backoff: Backoff | null; theme: string }) {
  const data = useMemo(() => {
    // uPlot wants ascending x: order by attempt number (several failure streaks share attempt numbers).
    const order = reconnects.attempt.map((_, i) => i).sort((a, b) => reconnects.attempt[a]! - reconnects.attempt[b]!);
    return {
      attempt: order.map((i) => reconnects.attempt[i]! + 1),
      observedMs: order.map((i) => reconnects.delayMs[i]!),
      fittedMs: order.map((i) => reconnects.fittedMs[i] ?? null),
      referenceMs: order.map((i) => reconnects.referenceMs[i]!),
    };
  }, [reconnects]);
  // The y axis fits what this client did (observed and fitted delays), not the reference, which climbs to
  // its 30 s cap by attempt 5 and would squash a client's sub-second delays into the bottom line; the
  // reference runs off the top where it outgrows them. Read through a ref: the options are built once.
  const top = useRef(1);
  top.current = Math.max(1, ...data.observedMs.map((v) => v / 1000), ...data.fittedMs.map((v) => (v === null ? 0 : v / 1000))) * 1.15;
  const aligned = useMemo<uPlot.AlignedData>(
    () => [data.attempt, data.observedMs.map((v) => v / 1000), data.fittedMs.map((v) => (v === null ? null : v / 1000)), data.referenceMs.map((v) => v / 1000)],
    [data],
  );
  return (
    <UPlotChart
      name="backoff"
      title={`Reconnect delay per attempt${backoff ? `: ${describeBackoffShape(backoff)}` : ''}`}
      height={150}
      data={aligned}
      theme={theme}
      optionsKey={backoff ? `${backoff.model}:${backoff.initialMs}:${backoff.factor}` : 'none'}
      exposed={{ ...data, yMaxS: [top.current] }}
      empty={data.attempt.length === 0 ? 'No reconnects captured. Inject a "Drop connection" fault to watch the client recover.' : null}
      options={(p) => ({
        legend: { show: true, live: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: false, range: (_u, min, max) => [min - 0.5, max + 0.5] }, y: { range: () => [0, top.current] } },
        axes: themedAxes(p, (_u, splits) => splits.map((s) => (Number.isInteger(s) ? `#${s}` : '')), (_u, splits) => splits.map((s) => `${s}s`)),
        series: [
          {},
          { label: 'observed', stroke: p.reconnect, width: 0, points: { show: true, size: 7, fill: p.reconnect } },
          { label: 'fitted', stroke: p.accent, width: 1.5, points: { show: false } },
          { label: 'reference 1-2-4-8 s … 30 s', stroke: p.reference, width: 1, dash: [4, 3], points: { show: false } },
        ],
      })}
    />
  );
}
