/**
 * Panel entry: pick the theme, find the inspected tab (DevTools, or ?tabId=N
 * when opened as an extension page), connect the bridge before the first
 * render (it owns globalThis.__riPanel; charts add to it), and render.
 */
import { render } from 'preact';
import { App } from './App.tsx';
import { connectPanel, inspectedTabId } from './bridge.ts';
import { connectLive, type LiveControls } from './live.ts';
import { workerAnalysis } from './analysis-backend.ts';
import { PanelStore } from './store.ts';
import { applyTheme, detectTheme } from './theme.ts';
import { transfer } from './transfer.ts';
import './panel.css';

const theme = detectTheme(location.search, globalThis.chrome?.devtools?.panels?.themeName, matchMedia('(prefers-color-scheme: dark)').matches);
applyTheme(theme);

// The analysis runs in a worker so that re-analysing a big capture never blocks the panel's frames.
const store = new PanelStore(undefined, undefined, typeof Worker === 'function' ? workerAnalysis : undefined);
const tabId = inspectedTabId();
let live: LiveControls | null = null;
if (tabId !== null) {
  const bridge = connectPanel(tabId);
  live = connectLive(store, bridge, (message) => console.warn('[realtime-inspector]', message)).controls;
}
const g = globalThis as { __riPanel?: Record<string, unknown> };
g.__riPanel ??= {};
g.__riPanel.store = store;

render(<App store={store} live={live} theme={theme} transfer={transfer} />, document.getElementById('app')!);
