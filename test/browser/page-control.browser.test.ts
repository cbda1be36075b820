/**
 * What a page can do to its own capture through the hooks' channel names: nothing.
 * The hooks and the relay talk on a private channel handed over at document_start
 * (src/shared/page-bridge.ts); whatever a page dispatches under the bridge's names
 * on `document` is refused and counted (`stats().rejected`). The BUILT extension
 * (RI_DIST) in real Chromium; events read from the background and the panel.
 */
import { describe, expect, it } from 'vitest';
import type { CaptureEvent, EventOf } from '../../src/core/events.ts';
import type { TabStats } from '../../src/shared/messages.ts';
import { CHANNEL_OFFER_EVENT, CHANNEL_REQUEST_EVENT, PAGE_TO_RELAY_EVENT, RELAY_TO_PAGE_EVENT } from '../../src/shared/page-bridge.ts';
import { callApi, exportTab, PanelPage, tabIdOf } from '../e2e/fixtures/extension.ts';
import { requestTags } from './support/capture.ts';
import { browser, server, useBrowserAndServer } from './support/session.ts';

useBrowserAndServer();


describe('a page cannot control its capture (built extension, real Chromium)', () => {
  it('cannot switch recording off, inject a fault, forge counters or a page start, offer its own channel or obtain the real one; each try is counted', async () => {
    const names = { offer: CHANNEL_OFFER_EVENT, request: CHANNEL_REQUEST_EVENT, toRelay: PAGE_TO_RELAY_EVENT, toPage: RELAY_TO_PAGE_EVENT };
    server.page('/hostile', `<!doctype html><title>hostile</title><script>
      const names = ${JSON.stringify(names)};
      window.__result = (async () => {
        await fetch('/json?tag=before');
        const send = (name, message) => document.dispatchEvent(new CustomEvent(name, { detail: JSON.stringify(message) }));
        // 1-2. Control messages as the relay sends them: recording off, and an offline fault.
        send(names.toPage, { v: 1, kind: 'config', recording: false, maxTextChars: 1 });
        send(names.toPage, { v: 1, kind: 'fault', command: { fault: 'offline', durationMs: 60000 } });
        // 3. Events as the hooks send them: a huge loss count and a new top-level page.
        const base = { seq: 0, pseq: 1, t: Date.now(), frameId: 0, doc: 'forged' };
        send(names.toRelay, { v: 1, kind: 'events', n: 2, events: [
          { ...base, type: 'capture.dropped', count: 123456789, where: 'page' },
          { ...base, pseq: 2, type: 'doc.start', url: 'https://forged.example/', title: 'forged', top: true, parentDoc: null },
        ] });
        // 4. A channel of its own, offered to the hooks as the relay offers its own.
        const mine = document.createElement('span');
        const heard = [];
        mine.addEventListener(names.toRelay, (e) => heard.push(e.detail));
        document.dispatchEvent(new MouseEvent(names.offer, { relatedTarget: mine }));
        // 5. Ask for the real channel, as hooks that started late would.
        const offered = [];
        document.addEventListener(names.offer, (e) => offered.push(e.relatedTarget));
        document.dispatchEvent(new CustomEvent(names.request));
        const after = await fetch('/json?tag=after').then((r) => r.status, (e) => String(e));
        await new Promise((r) => setTimeout(r, 200));
        return { after, heard: heard.length, offered: offered.length };
      })();
    </script>`);
    const page = await browser.context.newPage();
    await page.goto(`${server.origin}/hostile`);
    const result = await page.evaluate(() => (window as unknown as { __result: Promise<unknown> }).__result);
    // The fault did not apply, the hooks never used the page's channel, and no offer came to the page.
    expect(result).toEqual({ after: 200, heard: 0, offered: 0 });

    const tabId = await tabIdOf(browser.worker!, `${server.origin}/hostile`);
    let events: CaptureEvent[] = [];
    for (let i = 0; i < 100 && !requestTags(events).includes('after'); i++) {
      events = (await exportTab(browser.worker!, tabId)).events;
      await new Promise((r) => setTimeout(r, 50));
    }
    // Recording went on, with the whole body kept (the forged 1-character cap did not apply).
    expect(requestTags(events)).toEqual(['before', 'after']);
    const bodies = events.filter((e): e is EventOf<'http.end'> => e.type === 'http.end').map((e) => e.body?.truncated);
    expect(bodies).toEqual([false, false]);
    expect(events.some((e) => e.doc === 'forged')).toBe(false);
    expect(events.filter((e) => e.type === 'doc.start')).toHaveLength(1);

    const stats = await callApi<TabStats>(browser.worker!, 'stats', tabId);
    expect(stats).toMatchObject({ recording: true, url: `${server.origin}/hostile`, dropped: { page: 0, relay: 0, background: 0 }, rejected: 5 });

    // The panel's default view still shows the page's traffic.
    const panel = await PanelPage.open(browser.context, browser.extensionId!, tabId);
    await panel.waitForCount(events.length);
    expect(requestTags(await panel.visibleEvents())).toEqual(['before', 'after']);
    await panel.page.close();
    await page.close();
  });
});
