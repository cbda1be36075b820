/**
 * The page hooks (BUILT extension, RI_DIST) on binary streaming bodies (gRPC-web, Connect):
 * every chunk the page reads is reported as it comes with its bytes (`http.chunk` `data`,
 * base64, at most 4096 bytes, `truncated` beyond), while the page reads the very same bytes.
 */
import { describe, expect, it } from 'vitest';
import type { EventOf } from '../../src/core/events.ts';
import { connOf, ofConn, waitForEvents } from './support/capture.ts';
import { browser, server, useBrowserAndServer } from './support/session.ts';

useBrowserAndServer({ collector: true });

const fromBase64 = (b64: string) => Uint8Array.from(Buffer.from(b64, 'base64'));

describe('binary streaming bodies', () => {
  for (const type of ['application/grpc-web+proto', 'application/connect+proto']) {
    it(`${type}: each chunk reported with its first bytes; the page reads the same bytes`, async () => {
      const path = `/chunks-${type.replace(/\W/g, '-')}.html`;
      // A fetch of a Blob URL goes through the hooked fetch like any other; its body arrives in chunks of Chromium's choosing.
      server.page(
        path,
        `<!doctype html><script>
        window.__done = (async () => {
          const bytes = new Uint8Array(70000).map((_, i) => (i * 7 + (i >> 8)) & 255);
          const res = await fetch(URL.createObjectURL(new Blob([bytes], { type: '${type}' })));
          const reader = res.body.getReader();
          const read = [];
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            read.push(...value);
          }
          return read.length === bytes.length && read.every((b, i) => b === bytes[i]);
        })();
      </script>`,
      );
      const page = await browser.context.newPage();
      await page.goto(server.origin + path);
      expect(await page.evaluate(() => (window as unknown as { __done: Promise<boolean> }).__done)).toBe(true);
      const events = await waitForEvents(page, (e) => e.some((x) => x.type === 'http.end'));
      const conn = connOf(events, (e) => e.type === 'http.request' && e.url.startsWith('blob:'));
      const mine = ofConn(events, conn);
      expect(mine.find((e) => e.type === 'http.response')).toMatchObject({ contentType: type });
      const chunks = mine.filter((e): e is EventOf<'http.chunk'> => e.type === 'http.chunk');
      expect(chunks.reduce((n, c) => n + c.size, 0)).toBe(70000);
      const source = new Uint8Array(70000).map((_, i) => (i * 7 + (i >> 8)) & 255);
      let offset = 0;
      for (const c of chunks) {
        expect(c.preview).toBe('');
        expect(c.data).toBeDefined();
        const kept = Math.min(c.size, 4096);
        expect(c.data).toMatchObject({ size: c.size, encoding: 'binary', truncated: c.size > 4096 });
        expect(fromBase64(c.data!.data)).toEqual(source.subarray(offset, offset + kept));
        offset += c.size;
      }
      // At least one chunk was longer than the cap (70,000 bytes in chunks of at most 64 KiB).
      expect(chunks.some((c) => c.data!.truncated)).toBe(true);
      await page.close();
    });
  }
});
