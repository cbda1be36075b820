/**
 * Worker traffic for `audit`: a DevTools protocol connection of its own to the browser
 * (flat sessions, which playwright-core's CDPSession does not route), the shared worker
 * tap (src/shared/cdp-workers.ts) on each audited tab, and the translated events handed
 * to the extension's buffer for that tab (API `addWorkerEvents`), so they get their seq
 * among the page's events and are exported and analysed with them.
 *
 * Shared workers belong to no page: a page's auto-attach does not reach them (measured in
 * Chromium 156). The browser session auto-attaches every shared worker instead (held at its
 * first statement, then resumed), and each tab whose top document has the worker's origin
 * (a SharedWorker's script is same-origin with the documents that use it, HTML §10.2.6.4)
 * translates it.
 */
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { CaptureEvent } from '../core/index.ts';
import { DEFAULT_MAX_TEXT_CHARS } from '../shared/constants.ts';
import { AUTO_ATTACH, WorkerTap, type CdpLink, type CdpTargetInfo } from '../shared/cdp-workers.ts';

/** The `ws` client playwright-core bundles (8.x; lib/utilsBundle exports it): no dependency of our own. */
interface WsSocket {
  on(event: 'open' | 'close', listener: () => void): void;
  on(event: 'message', listener: (data: unknown) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  send(data: string): void;
  close(): void;
  readyState: number;
}
type WsCtor = new (url: string, options: { perMessageDeflate: boolean; maxPayload: number }) => WsSocket;

/** How often translated worker events are handed to the extension. */
const FLUSH_MS = 200;
/** Most events per hand-over (src/shared/messages.ts WORKER_EVENTS_MAX_PER_CALL). */
const FLUSH_MAX_EVENTS = 5000;

type Listener = (method: string, params: Record<string, unknown>, sessionId?: string) => void;

/** A flat-session DevTools protocol connection to the browser. */
export class CdpConnection implements CdpLink {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Set<Listener>();
  private closed = false;

  private constructor(private readonly socket: WsSocket) {
    socket.on('message', (data) => this.receive(String(data)));
    socket.on('close', () => {
      this.closed = true;
      for (const p of this.pending.values()) p.reject(new Error('DevTools connection closed'));
      this.pending.clear();
    });
  }

  /** Connect to the browser endpoint Chromium wrote in its profile (`--remote-debugging-port=0` writes DevToolsActivePort). */
  static async open(profileDir: string, timeoutMs = 10_000): Promise<CdpConnection> {
    const file = join(profileDir, 'DevToolsActivePort');
    const deadline = performance.now() + timeoutMs;
    while (!existsSync(file)) {
      if (performance.now() > deadline) throw new Error('Chromium wrote no DevToolsActivePort');
      await new Promise((r) => setTimeout(r, 50));
    }
    const [port, path] = readFileSync(file, 'utf8').split('\n');
    const require = createRequire(import.meta.url);
    const { ws: WebSocketClient } = require('playwright-core/lib/utilsBundle') as { ws: WsCtor };
    const socket = new WebSocketClient(`ws://127.0.0.1:${port}${path}`, { perMessageDeflate: false, maxPayload: 256 * 1024 * 1024 });
    await new Promise<void>((resolve, reject) => {
      socket.on('open', resolve);
      socket.on('error', reject);
    });
    return new CdpConnection(socket);
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('DevTools connection closed'));
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.send(JSON.stringify(sessionId ? { id, method, params, sessionId } : { id, method, params }));
    });
  }

  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.closed = true;
    this.socket.close();
  }

  private receive(text: string): void {
    let m: { id?: number; method?: string; params?: Record<string, unknown>; sessionId?: string; result?: unknown; error?: { message?: string } };
    try {
      m = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof m.id === 'number') {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.error) p?.reject(new Error(m.error.message ?? 'protocol error'));
      else p?.resolve(m.result);
      return;
    }
    if (typeof m.method !== 'string') return;
    for (const listener of this.listeners) listener(m.method, m.params ?? {}, m.sessionId);
  }
}

/** Hands a tab's worker events to the extension (the InspectorSession's addWorkerEvents). */
export type WorkerEventSink = (tabId: number, events: CaptureEvent[]) => Promise<unknown>;

/** One audited tab's workers. */
export interface TabWorkers {
  /** Workers seen, for the summary. */
  workers(): Array<{ kind: string; url: string }>;
  /** Hand over what is still queued (before the export). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** The browser-wide part: the connection, shared-worker auto-attach, and the taps of the audited tabs. */
export class WorkerCapture {
  private readonly taps = new Set<{ tap: WorkerTap; origin: () => string }>();
  private readonly sharedWorkers = new Map<string, CdpTargetInfo>();

  private constructor(
    private readonly cdp: CdpConnection,
    private readonly sink: WorkerEventSink,
  ) {
    cdp.on((method, params, sessionId) => {
      if (method === 'Target.attachedToTarget' && sessionId === undefined) this.browserAttached(params);
      if (method === 'Target.detachedFromTarget' && sessionId === undefined && typeof params.sessionId === 'string') this.sharedWorkers.delete(params.sessionId);
      for (const { tap } of this.taps) tap.onEvent(method, params, sessionId);
    });
  }

  static async start(profileDir: string, sink: WorkerEventSink): Promise<WorkerCapture> {
    const cdp = await CdpConnection.open(profileDir);
    const capture = new WorkerCapture(cdp, sink);
    await cdp.send('Target.setAutoAttach', { ...AUTO_ATTACH, filter: [{ type: 'shared_worker', exclude: false }, { exclude: true }] });
    return capture;
  }

  /** Start capturing the workers of `page` (tab `tabId`) before it navigates. */
  async attach(page: Page, tabId: number): Promise<TabWorkers> {
    const probe = await page.context().newCDPSession(page);
    const { targetInfo } = (await probe.send('Target.getTargetInfo')) as { targetInfo: CdpTargetInfo };
    await probe.detach().catch(() => {});
    const { sessionId } = (await this.cdp.send('Target.attachToTarget', { targetId: targetInfo.targetId, flatten: true })) as { sessionId: string };
    let queue: CaptureEvent[] = [];
    let sending: Promise<unknown> = Promise.resolve();
    const flush = () => {
      while (queue.length) {
        const batch = queue.splice(0, FLUSH_MAX_EVENTS);
        sending = sending.then(() => this.sink(tabId, batch)).catch(() => {});
      }
      return sending;
    };
    const tap = new WorkerTap(this.cdp, { maxTextChars: DEFAULT_MAX_TEXT_CHARS, now: () => Date.now(), onEvents: (events) => queue.push(...events) });
    const entry = { tap, origin: () => originOf(page.url()) };
    this.taps.add(entry);
    await tap.start(sessionId);
    // Shared workers already running for the page's origin are adopted once the page has one (below, at each attach too).
    const adoptShared = () => {
      for (const [sid, info] of this.sharedWorkers) if (!tap.has(sid) && originOf(info.url) === entry.origin()) tap.adopt(sid, info);
    };
    const timer = setInterval(() => {
      adoptShared();
      void flush();
    }, FLUSH_MS);
    return {
      workers: () => tap.workers(),
      flush: async () => {
        adoptShared();
        await new Promise((r) => setTimeout(r, 50));
        await flush();
      },
      close: async () => {
        clearInterval(timer);
        tap.stop();
        this.taps.delete(entry);
        await this.cdp.send('Target.detachFromTarget', { sessionId }).catch(() => {});
      },
    };
  }

  close(): void {
    this.cdp.close();
  }

  /** A shared worker the browser session attached: adopt it in the tabs of its origin, enable Network, resume it. */
  private browserAttached(params: Record<string, unknown>): void {
    const sessionId = typeof params.sessionId === 'string' ? params.sessionId : null;
    const info = params.targetInfo as CdpTargetInfo | undefined;
    if (!sessionId || !info) return;
    const quiet = () => {};
    if (info.type === 'shared_worker') {
      this.sharedWorkers.set(sessionId, info);
      for (const { tap, origin } of this.taps) if (originOf(info.url) === origin()) tap.adopt(sessionId, info);
      void this.cdp.send('Network.enable', {}, sessionId).catch(quiet);
      // Dedicated workers a shared worker starts.
      void this.cdp.send('Target.setAutoAttach', { ...AUTO_ATTACH }, sessionId).catch(quiet);
    }
    void this.cdp.send('Runtime.runIfWaitingForDebugger', {}, sessionId).catch(quiet);
  }
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '';
  }
}
