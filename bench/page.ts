/**
 * The bench page: plain page code, as an app would write it, that runs one
 * workload and reports when its own handlers have seen everything.
 * Each function resolves with { ms, count, bytes } measured by the page itself.
 */
const PAGE_SCRIPT = String.raw`
'use strict';
const now = () => performance.now();
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
