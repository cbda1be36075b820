/**
 * Shared uPlot bits for the small charts: bar paths, axis styling and a
 * horizontal reference line drawn by a hook.
 */
import uPlot from 'uplot';
import type { Palette } from './palette.ts';

/** Bar path builder (uPlot's own), guarded for environments without Path2D. */
export function barPaths(size = 0.8): uPlot.Series.PathBuilder | undefined {
  return typeof Path2D === 'function' ? uPlot.paths.bars!({ size: [size, 100] }) : undefined;
}

/** Axes in the theme's colours with compact fonts. */
export function themedAxes(p: Palette, xValues?: uPlot.Axis.Values, yValues?: uPlot.Axis.Values): uPlot.Axis[] {
  const font = '10px system-ui, sans-serif';
  return [
    { stroke: p.axis, grid: { stroke: p.grid, width: 1 }, ticks: { show: false }, font, size: 26, values: xValues },
    { stroke: p.axis, grid: { stroke: p.grid, width: 1 }, ticks: { show: false }, font, size: 44, values: yValues },
  ];
}

/** Draw a labelled vertical (x) or horizontal (y) line at `value`; `row` staggers labels of neighbouring rules. */
export function drawRule(u: uPlot, scale: 'x' | 'y', value: number, color: string, label: string, row = 0): void {
  const ctx = u.ctx;
  const { left, top, width, height } = u.bbox;
  const pos = u.valToPos(value, scale, true);
  ctx.save();
  ctx.strokeStyle = color;
  ctx.fillStyle = color;
  ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio]);
  ctx.lineWidth = devicePixelRatio;
  ctx.beginPath();
  if (scale === 'x') {
    if (pos < left || pos > left + width) return ctx.restore();
    ctx.moveTo(pos, top);
    ctx.lineTo(pos, top + height);
  } else {
    if (pos < top || pos > top + height) return ctx.restore();
    ctx.moveTo(left, pos);
    ctx.lineTo(left + width, pos);
  }
  ctx.stroke();
  ctx.font = `${10 * devicePixelRatio}px system-ui, sans-serif`;
  ctx.textBaseline = 'top';
  if (scale === 'x') {
    // Right of the rule, or left of it where the label would run past the plot (a p95 in the last bins).
    const gap = 3 * devicePixelRatio;
    const y = top + (2 + row * 12) * devicePixelRatio;
    if (pos + gap + ctx.measureText(label).width > left + width) {
      ctx.textAlign = 'right';
      ctx.fillText(label, pos - gap, y);
    } else {
      // Set, not assumed: uPlot leaves the context right- or centre-aligned from its axis labels.
      ctx.textAlign = 'left';
      ctx.fillText(label, pos + gap, y);
    }
  } else {
    ctx.textAlign = 'right';
    ctx.textBaseline = 'bottom';
    ctx.fillText(label, left + width - 4 * devicePixelRatio, pos - 2 * devicePixelRatio);
  }
  ctx.restore();
}

/** Seconds axis labels. */
export const secondsValues: uPlot.Axis.Values = (_u, splits) => splits.map((s) => `${Number(s.toFixed(1))}s`);
