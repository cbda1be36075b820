/**
 * Reconnect delay per attempt, with the fitted backoff model drawn over it and
 * the primer's reference exponential curve (1 s, 2 s, 4 s, 8 s, capped).
 */
import { useMemo } from 'preact/hooks';
import type uPlot from 'uplot';
import type { Backoff } from '../../core/report-types.ts';
import { referenceBackoffMs } from '../../core/index.ts';
import { themedAxes } from './bars.ts';
import { UPlotChart } from './UPlotChart.tsx';

/** Delay the fitted model predicts for attempt k (0-based), in ms. */
export function fittedDelayMs(b: Backoff, k: number): number {
  const raw = b.model === 'exponential' ? b.initialMs * b.factor ** k : b.model === 'linear' ? b.initialMs + b.factor * k : b.initialMs;
  return b.maxMs !== null ? Math.min(raw, b.maxMs) : raw;
}

export function BackoffChart({ delaysMs, backoff, theme }: { delaysMs: readonly number[]; backoff: Backoff | null; theme: string }) {
  const data = useMemo(() => {
    const attempts = delaysMs.map((_, i) => i + 1);
    return {
      attempt: attempts,
      observed: delaysMs.map((d) => d / 1000),
      fitted: attempts.map((a) => (backoff ? fittedDelayMs(backoff, a - 1) / 1000 : null)),
      reference: attempts.map((a) => referenceBackoffMs(a - 1) / 1000),
    };
  }, [delaysMs, backoff]);
  const aligned = useMemo<uPlot.AlignedData>(() => [data.attempt, data.observed, data.fitted, data.reference], [data]);
  const title = backoff
    ? `Reconnect delay per attempt: fitted ${backoff.model} (initial ${Math.round(backoff.initialMs)} ms${backoff.model === 'exponential' ? `, ×${backoff.factor.toFixed(2)}` : backoff.model === 'linear' ? `, +${Math.round(backoff.factor)} ms` : ''}${backoff.jitter ? ', jittered' : ''})`
    : 'Reconnect delay per attempt';
  return (
    <UPlotChart
      name="backoff"
      title={title}
      height={150}
      data={aligned}
      theme={theme}
      optionsKey={backoff ? `${backoff.model}:${backoff.initialMs}:${backoff.factor}` : 'none'}
      exposed={data}
      empty={delaysMs.length === 0 ? 'No reconnects captured. Use fault injection (Drop) to watch the client recover.' : null}
      options={(p) => ({
        legend: { show: true, live: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
        axes: themedAxes(p, (_u, splits) => splits.map((s) => (Number.isInteger(s) ? `#${s}` : '')), (_u, splits) => splits.map((s) => `${s}s`)),
        series: [
          {},
          { label: 'observed', stroke: p.reconnect, width: 0, points: { show: true, size: 7, fill: p.reconnect } },
          { label: 'fitted', stroke: p.accent, width: 1.5, points: { show: false } },
          { label: 'reference 1-2-4-8 s', stroke: p.reference, width: 1, dash: [4, 3], points: { show: false } },
        ],
      })}
    />
  );
}
