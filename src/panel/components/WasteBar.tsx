import { formatPercent } from '../format.ts';

/** Waste ratio as a percentage and a small bar (null: not applicable, e.g. push channels). */
export function WasteBar({ ratio }: { ratio: number | null }) {
  if (ratio === null) return <span class="muted">—</span>;
  const pct = Math.max(0, Math.min(1, ratio)) * 100;
  const level = ratio >= 0.5 ? 'high' : ratio >= 0.2 ? 'mid' : 'low';
  return (
    <span class="waste" title={`${formatPercent(ratio)} of responses carried nothing new`}>
      <span class="waste-track"><span class={`waste-fill waste-${level}`} style={{ width: `${pct}%` }} /></span>
      <span class="waste-num">{formatPercent(ratio)}</span>
    </span>
  );
}
