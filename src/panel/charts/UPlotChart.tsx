/**
 * The one thin wrapper over uPlot: creates the chart when the element has a
 * size and a 2D canvas is available, feeds it new columnar data without
 * re-creating it, and publishes the data for tests (see registry.ts).
 * Without a canvas (happy-dom), the wrapper still renders and registers data.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { readPalette, type Palette } from './palette.ts';
import { registerChart, unregisterChart, type ChartData } from './registry.ts';

export interface UPlotChartProps {
  /** Registry key and data-chart attribute. */
  name: string;
  title: string;
  height: number;
  data: uPlot.AlignedData;
  /** What tests read (defaults to the aligned data's columns). */
  exposed?: ChartData;
  /** Builds the options; re-run when `optionsKey` or the theme changes. */
  options: (palette: Palette, width: number, height: number) => Omit<uPlot.Options, 'width' | 'height'>;
  optionsKey?: string;
  theme?: string;
  /** Shown instead of the chart when there is nothing to draw. */
  empty?: string | null;
  /** Whether new data may reset the scales (false keeps a user's zoom while live data streams in). */
  resetScales?: () => boolean;
}

function canvasAvailable(): boolean {
  try {
    return !!document.createElement('canvas').getContext('2d');
  } catch {
    return false;
  }
}

/** A uPlot chart with a title; registers its data under `name`. */
export function UPlotChart(props: UPlotChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const dataRef = useRef(props.data);
  dataRef.current = props.data;

  const exposed = props.exposed ?? Object.fromEntries(props.data.map((col, i) => [i === 0 ? 'x' : `y${i}`, col as ArrayLike<number | null>]));
  useEffect(() => {
    registerChart(props.name, exposed);
  });
  useEffect(() => () => unregisterChart(props.name), [props.name]);

  const heightRef = useRef(props.height);
  heightRef.current = props.height;
  useEffect(() => {
    const el = host.current;
    if (!el || props.empty || !canvasAvailable()) return;
    const width = Math.max(200, el.clientWidth || 400);
    const palette = readPalette(el);
    const u = new uPlot({ ...props.options(palette, width, props.height), width, height: props.height }, dataRef.current, el);
    plot.current = u;
    let ro: ResizeObserver | null = null;
    if (typeof ResizeObserver === 'function') {
      ro = new ResizeObserver(() => {
        const w = Math.max(200, el.clientWidth);
        if (w !== u.width) u.setSize({ width: w, height: heightRef.current });
      });
      ro.observe(el);
    }
    return () => {
      ro?.disconnect();
      u.destroy();
      plot.current = null;
    };
    // A new height resizes the chart (below) rather than building it again.
  }, [props.optionsKey, props.theme, !!props.empty]);

  const resetRef = useRef(props.resetScales);
  resetRef.current = props.resetScales;
  useEffect(() => {
    const u = plot.current;
    if (!u) return;
    // Redraw at the start of the next frame rather than right after this one painted: the
    // redraw (100k marks on the page timeline) then does not add to the frame that laid out
    // the rest of the update, and several updates before that frame draw once.
    const frame = requestAnimationFrame(() => {
      if (plot.current !== u) return;
      if (u.height !== heightRef.current) u.setSize({ width: u.width, height: heightRef.current });
      const reset = resetRef.current?.() ?? true;
      u.setData(dataRef.current, reset);
      // Keeping the user's zoom: redraw, with the axes computed again (a lane may have been added).
      if (!reset) u.redraw(false, true);
    });
    return () => cancelAnimationFrame(frame);
  }, [props.data, props.height]);

  const points = props.data.length > 0 ? (props.data[0] as ArrayLike<number>).length : 0;
  return (
    <figure class="chart" data-chart={props.name} data-points={points}>
      <figcaption>{props.title}</figcaption>
      {props.empty ? <div class="chart-empty">{props.empty}</div> : <div class="chart-host" ref={host} style={{ minHeight: `${props.height}px` }} />}
    </figure>
  );
}
