/**
 * `document.open()` erases every event listener on `document` and `window`, in every
 * world (HTML "document open steps"), and the hooks ↔ relay bridge and the page-lifecycle
 * handling live there. A page that rewrites itself, and an about:blank iframe written with
 * document.write (as ad and widget iframes are), must go on being captured. The BUILT
 * extension (RI_DIST) in real Chromium; events read from the background, as the panel gets them.
 */
import { describe, expect, it } from 'vitest';
import type { CaptureEvent } from '../../src/core/events.ts';
import type { TabStats } from '../../src/shared/messages.ts';
import { callApi, exportTab, tabIdOf } from '../e2e/fixtures/extension.ts';
import { httpRequests, requestTags } from './support/capture.ts';
import { browser, server, useBrowserAndServer } from './support/session.ts';

useBrowserAndServer();


/** Export the tab until every tag is captured (or time runs out), then return its events. */
async function captureOf(url: string, expected: string[]): Promise<CaptureEvent[]> {
  const tabId = await tabIdOf(browser.worker!, url);
  let events: CaptureEvent[] = [];
  for (let i = 0; i < 100; i++) {
    events = (await exportTab(browser.worker!, tabId)).events;
    if (expected.every((tag) => requestTags(events).includes(tag))) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const stats = await callApi<TabStats>(browser.worker!, 'stats', tabId);
  expect(stats.dropped).toEqual({ page: 0, relay: 0, background: 0 });
  expect(stats.rejected).toBe(0);
  return events;
}

describe('document.open (built extension, real Chromium)', () => {
  it('a page that rewrites itself with document.open() and document.write() goes on being captured', async () => {
    server.page('/rewrite', `<!doctype html><title>rewrite</title><script>
      fetch('/json?tag=before');
      setTimeout(() => {
        document.open();
        fetch('/json?tag=right-after-open');
        document.write('<!doctype html><title>written</title><p>written<' + 'script>fetch("/json?tag=written-script")</' + 'script>');
        document.close();
        setTimeout(() => { fetch('/json?tag=later'); window.__done = true; }, 300);
      }, 200);
    </script>`);
    const page = await browser.context.newPage();
    await page.goto(`${server.origin}/rewrite`);
    await page.waitForFunction(() => (window as unknown as { __done?: boolean }).__done === true);
    const events = await captureOf(`${server.origin}/rewrite`, ['before', 'right-after-open', 'written-script', 'later']);
    expect(requestTags(events)).toEqual(['before', 'right-after-open', 'written-script', 'later']);
    // One document throughout: document.open() keeps the document and its window.
    expect(new Set(events.map((e) => e.doc)).size).toBe(1);
    await page.close();
  });

  it('an about:blank iframe written with document.write is captured: its own scripts, its timers, and calls the parent makes on its window', async () => {
    server.page('/ad-host', `<!doctype html><title>host</title><body><script>
      const frame = document.createElement('iframe');
      document.body.appendChild(frame);
      const d = frame.contentDocument;
      d.open();
      d.write('<!doctype html><p>ad<' + 'script>fetch("/json?tag=ad-inline"); setTimeout(() => fetch("/json?tag=ad-timer"), 200)</' + 'script>');
      d.close();
      frame.contentWindow.fetch('/json?tag=ad-from-parent');
      setTimeout(() => { frame.contentWindow.fetch('/json?tag=ad-later'); window.__done = true; }, 400);
    </script></body>`);
    const page = await browser.context.newPage();
    await page.goto(`${server.origin}/ad-host`);
    await page.waitForFunction(() => (window as unknown as { __done?: boolean }).__done === true);
    const expected = ['ad-inline', 'ad-from-parent', 'ad-timer', 'ad-later'];
    const events = await captureOf(`${server.origin}/ad-host`, expected);
    expect(requestTags(events).sort()).toEqual(expected.slice().sort());
    const adRequests = httpRequests(events);
    // All from the iframe's own document and frame.
    expect(new Set(adRequests.map((e) => e.doc)).size).toBe(1);
    expect(adRequests.every((e) => e.frameId > 0)).toBe(true);
    const adStart = events.find((e) => e.type === 'doc.start' && e.doc === adRequests[0]!.doc);
    expect(adStart).toMatchObject({ top: false });
    await page.close();
  });

  it("after document.open() the page's pagehide is still seen: a request made while leaving is sent at once", async () => {
    // Served with no-store: the page is unloaded, not cached, so a batch left for a timer would be lost.
    // (Called from a timer: while the parser runs a script, document.open() does nothing.)
    server.page('/leaving', `<!doctype html><title>leaving</title><script>
      setTimeout(() => {
        document.open();
        document.write('<!doctype html><p>rewritten<' + 'script>addEventListener("pagehide", () => fetch("/json?tag=in-pagehide"))</' + 'script>');
        document.close();
        window.__done = true;
      }, 100);
    </script>`);
    server.page('/next', '<!doctype html><title>next</title>');
    const page = await browser.context.newPage();
    await page.goto(`${server.origin}/leaving`);
    await page.waitForFunction(() => (window as unknown as { __done?: boolean }).__done === true);
    const tabId = await tabIdOf(browser.worker!, `${server.origin}/leaving`);
    await page.goto(`${server.origin}/next`);
    let events: CaptureEvent[] = [];
    for (let i = 0; i < 40 && !requestTags(events).includes('in-pagehide'); i++) {
      await new Promise((r) => setTimeout(r, 50));
      events = (await exportTab(browser.worker!, tabId)).events;
    }
    expect(requestTags(events)).toContain('in-pagehide');
    await page.close();
  });
});
