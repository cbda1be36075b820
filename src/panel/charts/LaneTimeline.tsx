/**
 * A lane timeline over uPlot: uPlot provides the x scale, axes, drag-to-zoom
 * (the brush), and double-click reset; a draw hook paints spans, marks, notes
 * and idle gaps from columnar arrays (lane-painter.ts). Wheel zooms around the
 * cursor, shift+wheel (or a horizontal wheel) pans.
 */
import { useMemo, useRef } from 'preact/hooks';
import type uPlot from 'uplot';
import type { LaneData } from '../timeline-data.ts';
import type { Palette } from './palette.ts';
import { drawLanes, formatSeconds } from './lane-painter.ts';
import { UPlotChart } from './UPlotChart.tsx';

export interface LaneTimelineProps {
  name: string;
  title: string;
  data: LaneData;
  theme: string;
  /** The visible window changed (epoch ms), null when reset to everything. */
  onWindow?: (window: [number, number] | null) => void;
}

export function LaneTimeline(props: LaneTimelineProps) {
  const dataRef = useRef(props.data);
  dataRef.current = props.data;
  const onWindowRef = useRef(props.onWindow);
  onWindowRef.current = props.onWindow;
  /** True while the user has zoomed in: live data then keeps the window instead of resetting it. */
  const zoomed = useRef(false);
  const laneCount = props.data.lanes.length;
  const height = Math.max(90, Math.min(320, 28 + laneCount * 22));

  const aligned = useMemo<uPlot.AlignedData>(() => [props.data.range, [null, null]], [props.data]);

  const options = (p: Palette): Omit<uPlot.Options, 'width' | 'height'> => ({
    legend: { show: false },
    cursor: { y: false, points: { show: false }, drag: { x: true, y: false, setScale: true } },
    scales: {
      x: { time: false, range: (_u, min, max) => [min, max] },
      y: { range: [0, 1] },
    },
    axes: [
      { stroke: p.axis, grid: { stroke: p.grid, width: 1 }, ticks: { show: false }, values: (_u, splits) => splits.map(formatSeconds), size: 24, font: '10px system-ui, sans-serif' },
      {
        stroke: p.axis,
        grid: { show: false },
        ticks: { show: false },
        size: 120,
        font: '10px system-ui, sans-serif',
        splits: () => dataRef.current.lanes.map((_, i) => 1 - (i + 0.5) / Math.max(1, dataRef.current.lanes.length)),
        values: () => dataRef.current.lanes.map((l) => (l.length > 20 ? `${l.slice(0, 19)}…` : l)),
      },
    ],
    series: [{}, { show: true, stroke: 'transparent', points: { show: false } }],
    hooks: {
      draw: [(u) => drawLanes(u, dataRef.current, p)],
      setScale: [
        (u, key) => {
          if (key !== 'x') return;
          const { min, max } = u.scales.x ?? {};
          if (min == null || max == null) return;
          // Compare with the range uPlot plots now, not the newest props: new data reaches uPlot at the next
          // frame (UPlotChart), and a resize in between sets the scale of the old data, which against the new
          // range would read as a zoom and filter the messages to a window the user never brushed.
          const plotted = u.data[0] as ArrayLike<number>;
          const r0 = plotted[0];
          const r1 = plotted[plotted.length - 1];
          if (r0 == null || r1 == null) return;
          const whole = min <= r0 + 1e-9 && max >= r1 - 1e-9;
          zoomed.current = !whole;
          const origin = dataRef.current.origin;
          onWindowRef.current?.(whole ? null : [origin + min * 1000, origin + max * 1000]);
        },
      ],
      ready: [
        (u) => {
          u.over.addEventListener(
            'wheel',
            (e) => {
              e.preventDefault();
              const { min, max } = u.scales.x ?? {};
              if (min == null || max == null) return;
              const span = max - min;
              if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
                const shift = (span * (e.deltaX || e.deltaY)) / 500;
                u.setScale('x', { min: min + shift, max: max + shift });
                return;
              }
              const at = u.posToVal(e.offsetX, 'x');
              const factor = e.deltaY < 0 ? 0.8 : 1.25;
              u.setScale('x', { min: at - (at - min) * factor, max: at + (max - at) * factor });
            },
            { passive: false },
          );
        },
      ],
    },
  });

  const d = props.data;
  return (
    <UPlotChart
      name={props.name}
      title={props.title}
      height={height}
      data={aligned}
      theme={props.theme}
      // The options read the lanes through dataRef: a new lane resizes and redraws the chart, it need not be built again.
      optionsKey="lanes"
      options={options}
      resetScales={() => !zoomed.current}
      empty={d.spans.start.length + d.marks.t.length === 0 ? 'Nothing captured yet.' : null}
      exposed={{
        lanes: d.lanes.length,
        // The lane names, one per line (a chart's data holds no string arrays).
        laneNames: d.lanes.join('\n'),
        spanStart: d.spans.start,
        spanEnd: d.spans.end,
        spanLane: d.spans.lane,
        spanStyle: d.spans.style,
        markT: d.marks.t,
        markLane: d.marks.lane,
        markStyle: d.marks.style,
        gapStart: d.gaps.start,
        gapEnd: d.gaps.end,
      }}
    />
  );
}
