/**
 * Chart data exposed for tests: every chart registers the columnar arrays it
 * draws under its name on globalThis.__riPanel.charts, so end-to-end tests
 * assert on data rather than pixels. Only the panel (an extension page) runs
 * this code; nothing here reaches the inspected page.
 */
export type ChartData = Record<string, ArrayLike<number | null> | number | string | null>;

interface PanelGlobal {
  charts?: Record<string, ChartData>;
  [key: string]: unknown;
}

function panelGlobal(): PanelGlobal {
  const g = globalThis as { __riPanel?: PanelGlobal };
  g.__riPanel ??= {};
  return g.__riPanel;
}

/** Publish a chart's data under `name` (replacing the previous data). */
export function registerChart(name: string, data: ChartData): void {
  const p = panelGlobal();
  p.charts ??= {};
  p.charts[name] = data;
}

/** Remove a chart's data when it unmounts. */
export function unregisterChart(name: string): void {
  const charts = panelGlobal().charts;
  if (charts) delete charts[name];
}

/** Read a chart's data (tests). */
export function chartData(name: string): ChartData | undefined {
  return panelGlobal().charts?.[name];
}
