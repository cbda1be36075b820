/**
 * The page's own DevTools keeps every response body it has without the extension: the
 * hooks' way of reading a body must not take it from the Network panel (or from a HAR
 * saved there). Each way of reading is run ROUNDS times in a browser without and with the
 * extension, and after a garbage collection the bodies asked for over CDP's Network domain
 * (what the DevTools front end asks) must be there in both. A hook that served `text()` of
 * a body of unknown length by reading the page's stream in script, to spare a clone, left
 * DevTools' HAR without the text of 12 of 36 polls (Chromium 156, caught by
 * test/e2e/har-equivalence.e2e.test.ts, where the DevTools front end itself saves the HAR);
 * this test, asking over CDP, did not see that loss, so the HAR test stays its guard.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type LaunchedBrowser } from '../support/browser.ts';
import { startServer, type TestServer } from './support/server.ts';

let server: TestServer;
let plain: LaunchedBrowser;
let hooked: LaunchedBrowser;

beforeAll(async () => {
  server = await startServer();
  server.page('/blank.html', '<!doctype html><title>blank</title><body></body>');
  [plain, hooked] = await Promise.all([launchBrowser({ extension: false }), launchBrowser({ extension: true })]);
});

afterAll(async () => {
  await plain?.close();
  await hooked?.close();
  await server?.close();
});

/** Each read is repeated: the loss this guards against struck some requests, not all. */
const ROUNDS = 6;

const given = (text: string, query = '') => `/given?b=${Buffer.from(text).toString('base64url')}${query}`;

/** How the page reads each URL (page JavaScript: `r` is the Response). */
const READS: Array<[string, string]> = [
  ['json, declared length', `${given('{"a":1}')}&n=1|await r.json()`],
  ['json, unknown length', `${given('{"a":2}', '&split=2')}|await r.json()`],
  ['text, declared length', `${given('{"a":3}')}|await r.text()`],
  ['text, unknown length', `${given('{"a":4}', '&split=2')}|await r.text()`],
  ['arrayBuffer, unknown length', `${given('{"a":5}', '&split=2')}|await r.arrayBuffer()`],
  ['bytes, declared length', `${given('{"a":6}')}|await r.bytes()`],
  ['blob, unknown length', `${given('{"a":7}', '&split=2')}|await r.blob()`],
  ['never read, declared length', `${given('{"a":8}')}|await new Promise((resolve) => setTimeout(resolve, 200))`],
  ['clone read, unknown length', `${given('{"a":9}', '&split=2')}|await r.clone().text(); await r.json()`],
];

/** The body DevTools has for each read's request, or its error. */
async function bodiesSeen(browser: LaunchedBrowser): Promise<Record<string, string>> {
  const page = await browser.context.newPage();
  await page.goto(`${server.origin}/blank.html`);
  const cdp = await browser.context.newCDPSession(page);
  const ids = new Map<string, string>();
  const finished = new Set<string>();
  cdp.on('Network.responseReceived', (e: { requestId: string; response: { url: string } }) => ids.set(new URL(e.response.url).search, e.requestId));
  cdp.on('Network.loadingFinished', (e: { requestId: string }) => finished.add(e.requestId));
  await cdp.send('Network.enable');
  for (let round = 0; round < ROUNDS; round++) {
    for (const [, read] of READS) {
      const [url, code] = read.split('|') as [string, string];
      await page.evaluate(`(async () => { const r = await fetch(${JSON.stringify(`${url}&round=${round}`)}); ${code}; })()`);
    }
  }
  // A user opens the Response tab, or saves the HAR, later: the page's objects may be gone by then.
  await cdp.send('HeapProfiler.collectGarbage');
  await page.waitForTimeout(300);
  await cdp.send('HeapProfiler.collectGarbage');
  const out: Record<string, string> = {};
  for (let round = 0; round < ROUNDS; round++) for (const [name, read] of READS) {
    const search = new URL(`${read.split('|')[0]!}&round=${round}`, server.origin).search;
    const id = ids.get(search);
    const deadline = Date.now() + 5000;
    while (id !== undefined && !finished.has(id) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    try {
      const body = (await cdp.send('Network.getResponseBody', { requestId: id! })) as { body: string; base64Encoded: boolean };
      out[`${name} #${round}`] = body.base64Encoded ? Buffer.from(body.body, 'base64').toString() : body.body;
    } catch (error) {
      out[`${name} #${round}`] = `error: ${(error as Error).message.split('\n')[0]}`;
    }
  }
  await page.close();
  return out;
}

describe("the page's DevTools keeps its response bodies", () => {
  it('has the same body for every way the page reads a fetch, with the extension as without', async () => {
    const [without, withExtension] = await Promise.all([bodiesSeen(plain), bodiesSeen(hooked)]);
    // Every body DevTools has without the extension, it has with it. (It may have more: a blob()
    // of unknown length has none natively, but the hooks' clone branch passes through the inspector.)
    const kept = Object.fromEntries(Object.entries(without).filter(([, body]) => body !== '' && !body.startsWith('error:')));
    expect(withExtension).toMatchObject(kept);
    // The run is worth something only if DevTools had the bodies to lose.
    expect(Object.keys(kept).length).toBeGreaterThanOrEqual((READS.length - 1) * ROUNDS);
    expect(without['text, unknown length #0']).toBe('{"a":4}');
  });
});
