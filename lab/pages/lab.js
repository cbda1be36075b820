// Shared helper of the lab pages (served after `window.LAB_CONFIG = {...}` by lab/server.ts).
// Every page writes what its own code observed to `window.labLog`, which the tests read,
// and shows it on the page as text (never as HTML).
(() => {
  const params = new URLSearchParams(location.search);
  const config = window.LAB_CONFIG ?? { scale: 1, pages: [] };
  const scale = Number(params.get('scale') ?? config.scale) || 1;
  const mode = params.get('mode') ?? '';
  const entry = config.pages.find((p) => p.id === mode);
  const log = [];
  window.labLog = log;

  let view = null;
  const pending = [];
  function render(line) {
    if (!view) return void pending.push(line);
    view.textContent = `${line}\n${view.textContent}`.slice(0, 20000);
  }
  document.addEventListener('DOMContentLoaded', () => {
    document.title = entry ? `${entry.title} (${entry.variant})` : document.title;
    const h1 = document.querySelector('h1');
    const summary = document.querySelector('#summary');
    if (h1 && entry) h1.textContent = entry.title;
    if (summary && entry) summary.textContent = `${entry.variant.toUpperCase()}: ${entry.summary}`;
    view = document.querySelector('#log');
    for (const line of pending.splice(0)) render(line);
  });

  window.LAB = {
    params,
    mode,
    scale,
    /** A random id per page load: the server keys its per-client state (feeds, outages) on it. */
    client: Math.random().toString(36).slice(2, 12),
    /** A lab timing at the current scale. */
    ms: (n) => Math.max(1, Math.round(n * scale)),
    /** Record what the page observed. */
    log(kind, detail = {}) {
      const item = { t: Math.round(performance.now()), kind, ...detail };
      log.push(item);
      if (log.length > 5000) log.shift();
      render(`${(item.t / 1000).toFixed(1)}s ${kind} ${JSON.stringify(detail)}`);
    },
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    wsUrl: (path) => `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}`,
    /** Log a WebSocket close the way the page's own handler sees it. */
    logClose(event) {
      LAB.log('close', { code: event.code, reason: event.reason, wasClean: event.wasClean });
    },
  };
})();
