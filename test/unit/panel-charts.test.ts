// @vitest-environment happy-dom
/**
 * Chart annotations drawn on the canvas: a rule's label stays inside the plot.
 */
import type uPlot from 'uplot';
import { describe, expect, it } from 'vitest';
import { drawRule } from '../../src/panel/charts/bars.ts';
import { labelledBins } from '../../src/panel/charts/LatencyHistogram.tsx';

/** A canvas that records its text: where each label starts and ends (10 px a character). */
function recorder() {
  const texts: { text: string; from: number; to: number }[] = [];
  // As uPlot leaves it after drawing the y axis' values.
  let align = 'right';
  const ctx = {
    strokeStyle: '',
    fillStyle: '',
    lineWidth: 1,
    font: '',
    textBaseline: '',
    set textAlign(v: string) {
      align = v;
    },
    get textAlign() {
      return align;
    },
    save() {},
    restore() {
      align = 'right';
    },
    setLineDash() {},
    beginPath() {},
    moveTo() {},
    lineTo() {},
    stroke() {},
    measureText: (text: string) => ({ width: text.length * 10 }),
    fillText(text: string, x: number) {
      const w = text.length * 10;
      texts.push(align === 'right' ? { text, from: x - w, to: x } : { text, from: x, to: x + w });
    },
  };
  return { ctx, texts };
}

describe('drawRule', () => {
  const bbox = { left: 40, top: 0, width: 400, height: 100 };
  const plotAt = (pos: number, ctx: unknown) => ({ ctx, bbox, valToPos: () => pos }) as unknown as uPlot;

  it('labels a vertical rule on its right, or on its left where the label would leave the plot', () => {
    for (const pos of [41, 100, 300, 380, 400, 439]) {
      const { ctx, texts } = recorder();
      drawRule(plotAt(pos, ctx), 'x', 0, 'red', 'p95 1.2s');
      const [label] = texts;
      expect(label!.from).toBeGreaterThanOrEqual(bbox.left);
      expect(label!.to).toBeLessThanOrEqual(bbox.left + bbox.width);
      // Beside the rule, not across it.
      expect(label!.from >= pos || label!.to <= pos).toBe(true);
    }
  });

  it('draws nothing for a rule outside the plot', () => {
    const { ctx, texts } = recorder();
    drawRule(plotAt(500, ctx), 'x', 0, 'red', 'median 3s');
    expect(texts).toEqual([]);
  });
});

describe('latency histogram axis', () => {
  it('labels the bins that hold data, and the ends, never two side by side', () => {
    const counts = [0, 0, 0, 0, 0, 0, 0, 4, 9, 3, 0, 0, 0, 0];
    const shown = labelledBins(counts);
    expect(shown.flatMap((on, i) => (on ? [i] : []))).toEqual([0, 7, 9, 13]);
    for (let i = 1; i < shown.length; i++) expect(shown[i] && shown[i - 1]).toBe(false);
    expect(labelledBins([5])).toEqual([true]);
    expect(labelledBins([])).toEqual([]);
  });
});
