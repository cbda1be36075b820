/**
 * Back-pressure on fetch bodies stays the page's: with the built extension, the
 * server writes what it writes without it when the page does not read a body, or
 * reads part of it, or cancels it; and a body the page does read is captured (up
 * to the cap, hash and size of all of it) while the page reads the very bytes it
 * reads without the extension, whichever way it reads them.
 *
 * The server counts the bytes it managed to hand to the socket, writing only when
 * the socket drains (so the count stops when the client stops reading).
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchBrowser, type LaunchedBrowser } from '../support/browser.ts';
import { capturedEvents, installCollector, ofConn, waitForEvents } from './support/capture.ts';
import type { CaptureEvent, EventOf } from '../../src/core/events.ts';
import { DEFAULT_MAX_TEXT_CHARS } from '../../src/shared/constants.ts';
import { BodyHasher, textBodyHash } from '../../src/core/formats/body-hash.ts';

/** 64 KiB chunks of a repeating alphabet: text whose every byte the page and the capture can check. */
const CHUNK = Buffer.from('abcdefghijklmnopqrstuvwxyz0123456789'.repeat(1821).slice(0, 65_536));

/** Bytes written per response id, and whether the client went away before the end. */
const written = new Map<string, number>();
const abandoned = new Set<string>();
let server: Server;
let origin = '';
let plain: LaunchedBrowser;
let hooked: LaunchedBrowser;

/** `/endless?id=` (never ends) and `/sized?id=&bytes=` (Content-Length, text/plain, no content coding). */
function serve(): Server {
  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const id = url.searchParams.get('id') ?? '';
    if (url.pathname === '/page') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>body</title>');
      return;
    }
    const total = url.pathname === '/sized' ? Number(url.searchParams.get('bytes')) : Number.POSITIVE_INFINITY;
    res.writeHead(200, {
      'content-type': url.searchParams.get('type') ?? 'text/plain',
      ...(Number.isFinite(total) ? { 'content-length': String(total) } : {}),
      'cache-control': 'no-store',
    });
    written.set(id, 0);
    let closed = false;
    res.on('close', () => {
      closed = true;
      if (!res.writableFinished) abandoned.add(id);
    });
    const pump = (): void => {
      while (!closed) {
        const sent = written.get(id)!;
        if (sent >= total) {
          res.end();
          return;
        }
        const piece = sent + CHUNK.length <= total ? CHUNK : CHUNK.subarray(0, total - sent);
        written.set(id, sent + piece.length);
        if (!res.write(piece)) {
          res.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
}

/** The bytes of `/sized` with `bytes` bytes. */
function sizedBody(bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  for (let at = 0; at < bytes; at += CHUNK.length) CHUNK.copy(out, at, 0, Math.min(CHUNK.length, bytes - at));
  return out;
}

beforeAll(async () => {
  server = serve();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  [plain, hooked] = await Promise.all([launchBrowser({ extension: false }), launchBrowser({ extension: true })]);
  await installCollector(hooked.context);
});

afterAll(async () => {
  await plain?.close();
  await hooked?.close();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => server?.close(() => resolve()));
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function open(browser: LaunchedBrowser): Promise<Page> {
  const page = await browser.context.newPage();
  await page.goto(`${origin}/page`);
  return page;
}

/**
 * Bytes the server wrote for `script` (page JavaScript, `ID` replaced by the
 * response id) once the writes have stopped growing, without and with the extension.
 */
async function bytesWritten(name: string, script: string): Promise<{ without: number; withExtension: number; pages: Page[] }> {
  const pages = await Promise.all([open(plain), open(hooked)]);
  const ids = [`${name}-plain`, `${name}-hooked`];
  await Promise.all(pages.map((page, i) => page.evaluate(script.replaceAll('ID', ids[i]!))));
  // Until both counts hold still for a second (each side fills its socket and pipe buffers, then waits).
  let last = [-1, -1];
  for (let round = 0; round < 40; round++) {
    await sleep(500);
    const now = ids.map((id) => written.get(id) ?? 0);
    if (round >= 3 && now.every((n, i) => n === last[i])) break;
    last = now;
  }
  return { without: written.get(ids[0]!) ?? 0, withExtension: written.get(ids[1]!) ?? 0, pages };
}

const MiB = 1024 * 1024;

// These tests push hundreds of MiB into both browsers' renderers (Chromium buffers an unread or
// slowly read body: 0.77 GB with the extension, 0.96 GB without, sampled with ps on 2026-12-06).
// In two of seven full runs on fresh clones, a page of the extension's browser crashed ("Target
// crashed") in one of them, while the same tests passed in every run of this file alone or beside
// other browser files; the cause is not known (README, Known limitations). A crashed test runs again
// once, on new pages (vitest.config.ts retry); a second failure fails.
describe('fetch bodies keep the page\'s back-pressure', () => {
  it('an endless body the page never reads: the server writes no more than without the extension, and nothing is captured beyond it', async () => {
    const { without, withExtension, pages } = await bytesWritten(
      'unread',
      `window.__keep = fetch('/endless?id=ID').then((res) => { window.__res = res; return res.status; })`,
    );
    // Without the extension the socket and Chromium's pipe fill, then the server waits.
    expect(without).toBeLessThan(512 * MiB);
    expect(withExtension).toBeLessThanOrEqual(without * 1.5 + 16 * MiB);
    const events = await waitForEvents(pages[1]!, (e) => e.some((x) => x.type === 'http.response'));
    expect(events.filter((e) => e.type === 'http.chunk' || e.type === 'http.end')).toEqual([]);
    await Promise.all(pages.map((p) => p.close()));
  });

  it('an endless body the page reads 1 MiB of, then stops: the server is held back as without the extension', async () => {
    const { without, withExtension, pages } = await bytesWritten(
      'partial',
      `window.__keep = (async () => {
        const res = await fetch('/endless?type=application/x-ndjson&id=ID');
        window.__res = res;
        const reader = res.body.getReader();
        let n = 0;
        while (n < ${MiB}) n += (await reader.read()).value.byteLength;
        window.__read = n;
      })()`,
    );
    expect(withExtension).toBeLessThanOrEqual(without * 1.5 + 16 * MiB);
    // The capture saw exactly what the page read (a streaming type: every chunk is reported).
    const read = (await pages[1]!.evaluate('window.__read')) as number;
    const chunks = (await capturedEvents(pages[1]!)).filter((e): e is EventOf<'http.chunk'> => e.type === 'http.chunk');
    const seen = chunks.reduce((sum, c) => sum + c.size, 0);
    expect(seen).toBe(read);
    await Promise.all(pages.map((p) => p.close()));
  });

  it('a large download the page cancels after its first chunk: the server sees the client go away, and the capture an abort', async () => {
    const bytes = 2048 * MiB;
    const { without, withExtension, pages } = await bytesWritten(
      'cancelled',
      `window.__keep = (async () => {
        const res = await fetch('/sized?bytes=${bytes}&id=ID');
        const reader = res.body.getReader();
        await reader.read();
        await reader.cancel('enough');
      })()`,
    );
    expect([abandoned.has('cancelled-plain'), abandoned.has('cancelled-hooked')]).toEqual([true, true]);
    expect(withExtension).toBeLessThanOrEqual(without * 1.5 + 16 * MiB);
    const events = await waitForEvents(pages[1]!, (e) => e.some((x) => x.type === 'http.error'));
    expect(events.find((e) => e.type === 'http.error')).toMatchObject({ reason: 'abort', message: 'body canceled by the page' });
    expect(events.some((e) => e.type === 'http.end')).toBe(false);
    await Promise.all(pages.map((p) => p.close()));
  });

  it('an unread large body whose Response the page drops ends in the capture as an abort when it is collected', async () => {
    const page = await open(hooked);
    await page.evaluate(`fetch('/sized?bytes=${64 * MiB}&id=dropped').then((res) => res.status)`);
    const cdp = await page.context().newCDPSession(page);
    const events = await (async () => {
      for (let i = 0; i < 40; i++) {
        await cdp.send('HeapProfiler.collectGarbage');
        await sleep(100);
        const got = await capturedEvents(page);
        if (got.some((e) => e.type === 'http.error')) return got;
      }
      return capturedEvents(page);
    })();
    expect(events.find((e) => e.type === 'http.error')).toMatchObject({
      reason: 'abort',
      message: 'the page dropped the response without reading its body',
    });
    await page.close();
  });
});

/** Each way a page reads a body: page JavaScript that sets `bytes` (a Uint8Array) from `res`. */
const WAYS: Record<string, string> = {
  text: `bytes = new TextEncoder().encode(await res.text());`,
  arrayBuffer: `bytes = new Uint8Array(await res.arrayBuffer());`,
  bytes: `bytes = await res.bytes();`,
  blob: `bytes = new Uint8Array(await (await res.blob()).arrayBuffer());`,
  json: `try { await res.json(); } catch (e) { bytes = new TextEncoder().encode(e.name); }`,
  reader: `const r = res.body.getReader(); const parts = []; for (;;) { const { done, value } = await r.read(); if (done) break; parts.push(value); } bytes = join(parts);`,
  byob: `const r = res.body.getReader({ mode: 'byob' }); const parts = []; for (;;) { const { done, value } = await r.read(new Uint8Array(10_000)); if (done) break; parts.push(value); } bytes = join(parts);`,
  forAwait: `const parts = []; for await (const part of res.body) parts.push(part); bytes = join(parts);`,
  pipeThrough: `const r = res.body.pipeThrough(new TextDecoderStream()).getReader(); let t = ''; for (;;) { const { done, value } = await r.read(); if (done) break; t += value; } bytes = new TextEncoder().encode(t);`,
  pipeTo: `const parts = []; await res.body.pipeTo(new WritableStream({ write(part) { parts.push(part); } })); bytes = join(parts);`,
  tee: `const [a, b] = res.body.tee(); const parts = []; const r = a.getReader(); for (;;) { const { done, value } = await r.read(); if (done) break; parts.push(value); } await b.cancel(); bytes = join(parts);`,
  clone: `const copy = res.clone(); await res.arrayBuffer(); bytes = new Uint8Array(await copy.arrayBuffer());`,
  bodyThenText: `const s = res.body; bytes = new TextEncoder().encode(await res.text()); bytes = s === res.body && s.locked && res.bodyUsed ? bytes : new Uint8Array(0);`,
};

describe('a body the page reads is captured whole, and the page reads the same bytes', () => {
  const bytes = 300_000;
  const expected = sizedBody(bytes);
  const sha = (b: Buffer | Uint8Array) => createHash('sha256').update(b).digest('hex');
  const bodyHash = (b: Uint8Array) => {
    const hasher = new BodyHasher();
    hasher.update(b);
    return hasher.hex();
  };

  it.each(Object.keys(WAYS))('read with %s', async (way) => {
    const script = (id: string) => `(async () => {
      const join = (parts) => { const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0)); let at = 0; for (const p of parts) { out.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), at); at += p.byteLength; } return out; };
      const res = await fetch('/sized?bytes=${bytes}&id=${id}');
      let bytes;
      ${WAYS[way]}
      return Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)), (b) => b.toString(16).padStart(2, '0')).join('') + ':' + bytes.byteLength;
    })()`;
    const pages = await Promise.all([open(plain), open(hooked)]);
    const [without, withExtension] = await Promise.all([pages[0]!.evaluate(script(`${way}-p`)), pages[1]!.evaluate(script(`${way}-h`))]);
    expect(withExtension).toBe(without);
    if (way !== 'json') expect(without).toBe(`${sha(expected)}:${bytes}`);
    const events = await waitForEvents(pages[1]!, (e) => e.some((x) => x.type === 'http.end' || x.type === 'http.error'));
    const request = events.find((e) => e.type === 'http.request')!;
    const end = ofConn(events, (request as EventOf<'http.request'>).conn).at(-1) as CaptureEvent;
    // text() and json() of a text body of declared length over 64 KiB are the native text(): hashed from the text.
    const fromText = way === 'text' || way === 'json' || way === 'bodyThenText';
    expect(end).toMatchObject({
      type: 'http.end',
      size: bytes,
      bodyHash: fromText ? textBodyHash(expected.toString('utf8'), bytes) : bodyHash(expected),
      body: { size: bytes, encoding: 'text', truncated: true, data: expected.subarray(0, DEFAULT_MAX_TEXT_CHARS).toString('latin1') },
    });
    await Promise.all(pages.map((p) => p.close()));
  });
});
