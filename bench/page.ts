/**
 * The bench page: plain page code, as an app would write it, that runs one
 * workload and reports when its own handlers have seen everything.
 * Each function resolves with { ms, count, bytes } measured by the page itself.
 */
const PAGE_SCRIPT = String.raw`
'use strict';
const now = () => performance.now();
/**
 * The realistic workload's model: a rolling window of prices, read MODEL_PASSES times per message.
 * With the parse and the row, a message's handler takes about 50 µs in Chromium 156 on this machine
 * (best of 5 × 2,000 calls in a loop: 19 µs with no pass, 31 with 2, 44 with 5, 74 with 10);
 * the page's clock is too coarse (100 µs) to time one call, so workMs is only a total.
 */
const WINDOW = 2000;
const MODEL_PASSES = 6;
const openSocket = (url) => new Promise((resolve, reject) => {
  const ws = new WebSocket(url);
  ws.addEventListener('open', () => resolve(ws), { once: true });
  ws.addEventListener('error', () => reject(new Error('websocket failed')), { once: true });
});
window.__bench = {
  /**
   * The server sends n messages of size bytes (0 = small JSON ticks), as fast as it can,
   * or perSecond messages a second when given; the page's handler reads each.
   */
  async wsIn(url, n, size, perSecond) {
    const ws = await openSocket(url);
    let count = 0, bytes = 0;
    const t0 = now();
    await new Promise((resolve) => {
      ws.onmessage = (e) => {
        bytes += e.data.length;
        if (++count === n) resolve();
      };
      ws.send(perSecond ? 'pace ' + n + ' ' + perSecond : 'flood ' + n + ' ' + size);
    });
    const ms = now() - t0;
    ws.close();
    return { ms, count, bytes };
  },
  /** The page sends n small messages; done when the server acknowledges the last one. */
  async wsOut(url, n) {
    const ws = await openSocket(url);
    const reply = () => new Promise((resolve) => { ws.onmessage = (e) => resolve(e.data); });
    ws.send('sink ' + n);
    await reply();
    const done = reply();
    const t0 = now();
    let bytes = 0;
    for (let i = 0; i < n; i++) {
      const m = '{"type":"input","i":' + i + ',"x":' + (i % 640) + ',"y":' + (i % 480) + '}';
      bytes += m.length;
      ws.send(m);
    }
    await done;
    const ms = now() - t0;
    ws.close();
    return { ms, count: n, bytes };
  },
  /** n fetches at once of a small JSON body, each parsed. */
  async fetchSmall(n) {
    // At most 200 in flight: Chromium's network service fails a renderer's requests beyond a cost bound on
    // outstanding ones (net::ERR_INSUFFICIENT_RESOURCES; 2,000 issued at once failed in every set-up).
    const t0 = now();
    let bytes = 0;
    let next = 0;
    const worker = async () => {
      while (next < n) {
        const i = next++;
        const j = await fetch('/small?i=' + i).then((r) => r.json());
        bytes += j.note.length;
      }
    };
    await Promise.all(Array.from({ length: Math.min(200, n) }, worker));
    return { ms: now() - t0, count: n, bytes };
  },
  /** n fetches at once of a 1 MiB body, each read as text. */
  async fetchLarge(n) {
    const t0 = now();
    let bytes = 0;
    const all = [];
    for (let i = 0; i < n; i++) {
      all.push(fetch('/big?i=' + i).then((r) => r.text()).then((t) => { bytes += t.length; }));
    }
    await Promise.all(all);
    return { ms: now() - t0, count: n, bytes };
  },
  /**
   * A realistic app: a ticker table fed by a WebSocket and an EventSource, each at perSecond
   * messages a second for the given seconds, and a status panel polled with fetch every pollMs.
   * Each message costs the page about 50 µs of its own work, as an app's handler does: parse it,
   * update a model (a rolling window of prices and its statistics) and render a row (newest
   * first, the table kept to 100 rows). Resolves once both streams delivered everything;
   * workMs is the page's own handler time, measured by the page.
   */
  async realistic(url, seconds, perSecond, pollMs) {
    const n = seconds * perSecond;
    const table = document.createElement('table');
    const rows = table.createTBody();
    const status = document.createElement('ul');
    document.body.append(status, table);
    const history = new Float64Array(WINDOW);
    let seen = 0, wsCount = 0, sseCount = 0, polls = 0, bytes = 0, workMs = 0;
    const render = (text, source) => {
      const start = now();
      const m = JSON.parse(text);
      history[seen++ % WINDOW] = m.price;
      let sum = 0, sq = 0, lo = Infinity, hi = -Infinity;
      for (let k = 0; k < MODEL_PASSES; k++) {
        for (let j = 0; j < WINDOW; j++) {
          const p = history[j];
          sum += p; sq += p * p;
          if (p < lo) lo = p;
          if (p > hi) hi = p;
        }
      }
      const mean = sum / (WINDOW * MODEL_PASSES);
      const row = rows.insertRow(0);
      row.insertCell().textContent = source;
      row.insertCell().textContent = m.sym;
      row.insertCell().textContent = m.price.toFixed(3);
      row.insertCell().textContent = mean.toFixed(3) + ' ± ' + Math.sqrt(Math.max(0, sq / (WINDOW * MODEL_PASSES) - mean * mean)).toFixed(3);
      row.insertCell().textContent = lo.toFixed(2) + '–' + hi.toFixed(2);
      row.insertCell().textContent = new Date().toISOString().slice(11, 23);
      if (rows.rows.length > 100) rows.deleteRow(-1);
      bytes += text.length;
      workMs += now() - start;
    };
    const poll = async () => {
      const r = await fetch('/poll?t=' + Date.now());
      const j = await r.json();
      const start = now();
      status.replaceChildren(...j.services.map((s) => {
        const li = document.createElement('li');
        li.textContent = s.name + ': ' + s.state + ' (' + s.latencyMs + ' ms)';
        return li;
      }));
      polls++;
      workMs += now() - start;
    };
    const ws = await openSocket(url);
    const t0 = now();
    const timer = setInterval(() => void poll().catch(() => {}), pollMs);
    await new Promise((resolve, reject) => {
      const check = () => { if (wsCount === n && sseCount === n) resolve(); };
      ws.onmessage = (e) => { render(e.data, 'ws'); wsCount++; check(); };
      ws.send('pace ' + n + ' ' + perSecond);
      const es = new EventSource('/sse?n=' + n + '&perSecond=' + perSecond);
      es.onmessage = (e) => { render(e.data, 'sse'); sseCount++; check(); };
      es.addEventListener('end', () => es.close());
      es.onerror = () => { if (sseCount < n) { es.close(); reject(new Error('sse failed after ' + sseCount)); } };
    });
    clearInterval(timer);
    const ms = now() - t0;
    ws.close();
    return { ms, count: wsCount + sseCount, bytes, workMs, polls };
  },
  /** One EventSource delivering n events; the page's handler reads each. */
  async sse(n) {
    let count = 0, bytes = 0;
    const t0 = now();
    await new Promise((resolve, reject) => {
      const es = new EventSource('/sse?n=' + n);
      es.onmessage = (e) => { bytes += e.data.length; count++; };
      es.addEventListener('end', () => { es.close(); resolve(); });
      es.onerror = () => { if (count < n) { es.close(); reject(new Error('sse failed after ' + count)); } };
    });
    return { ms: now() - t0, count, bytes };
  },
};
`;

export const PAGE_HTML = `<!doctype html><html><head><meta charset="utf-8"><title>Realtime Inspector bench</title></head>
<body><p>bench page</p><script>${PAGE_SCRIPT}</script></body></html>`;
