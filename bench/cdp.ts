/**
 * Chromium driven over a raw DevTools-protocol pipe, with nothing else attached.
 *
 * Page-overhead numbers need a baseline with no instrumentation at all.
 * playwright-core cannot give one: it sends `Network.enable` on every page and
 * listens to every WebSocket frame (playwright-core 1.65 coreBundle.js,
 * crNetworkManager `_addSession`), which is exactly the cost set-up (3)
 * measures. So the bench launches /usr/bin/chromium itself with
 * `--remote-debugging-pipe` and sends only what each set-up needs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { BASE_ARGS, findChrome } from '../test/support/browser.ts';

type Params = Record<string, unknown>;
type Listener = (params: any, sessionId: string | undefined) => void;

/** One CDP connection over the pipe (fd 3 → Chromium, fd 4 ← Chromium, NUL-framed JSON). */
export class CdpConnection {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void; method: string }>();
  private readonly listeners = new Map<string, Set<Listener>>();
  private buffered = '';
  closed = false;

  constructor(private readonly out: Writable, input: Readable) {
    input.setEncoding('utf8');
    input.on('data', (chunk: string) => this.onData(chunk));
    input.on('close', () => {
      this.closed = true;
      for (const p of this.pending.values()) p.reject(new Error(`CDP pipe closed during ${p.method}`));
      this.pending.clear();
    });
  }

  private onData(chunk: string): void {
    let text = this.buffered + chunk;
    let end: number;
    while ((end = text.indexOf('\0')) >= 0) {
      const message = JSON.parse(text.slice(0, end));
      text = text.slice(end + 1);
      if (typeof message.id === 'number') {
        const p = this.pending.get(message.id);
        if (!p) continue;
        this.pending.delete(message.id);
        if (message.error) p.reject(new Error(`${p.method}: ${message.error.message}`));
        else p.resolve(message.result);
      } else {
        for (const l of this.listeners.get(message.method) ?? []) l(message.params, message.sessionId);
      }
    }
    this.buffered = text;
  }

  /** Send a command (to a flattened target session when sessionId is given). */
  send<T = any>(method: string, params: Params = {}, sessionId?: string): Promise<T> {
    if (this.closed) return Promise.reject(new Error(`CDP pipe closed before ${method}`));
    const id = this.nextId++;
    const message = sessionId ? { id, method, params, sessionId } : { id, method, params };
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      this.out.write(JSON.stringify(message) + '\0');
    });
  }

  /** Listen to an event; returns the function that removes the listener. */
  on(method: string, listener: Listener): () => void {
    let set = this.listeners.get(method);
    if (!set) this.listeners.set(method, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Resolve with the first event that matches. */
  waitFor<T = any>(method: string, match: (params: T, sessionId?: string) => boolean = () => true, timeoutMs = 30_000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`timed out waiting for ${method}`));
      }, timeoutMs);
      const off = this.on(method, (params, sessionId) => {
        if (!match(params, sessionId)) return;
        clearTimeout(timer);
        off();
        resolve(params);
      });
    });
  }
}

/** A target (page, extension page, service worker) attached in flat mode. */
export class Target {
  constructor(
    readonly cdp: CdpConnection,
    readonly targetId: string,
    readonly sessionId: string,
  ) {}

  send<T = any>(method: string, params: Params = {}): Promise<T> {
    return this.cdp.send<T>(method, params, this.sessionId);
  }

  /** Listen to this target's events only. */
  on(method: string, listener: (params: any) => void): () => void {
    return this.cdp.on(method, (params, sessionId) => {
      if (sessionId === this.sessionId) listener(params);
    });
  }

  /** Evaluate an expression (awaiting a returned promise) and return its JSON value. */
  async evaluate<T = unknown>(expression: string, timeoutMs = 120_000): Promise<T> {
    const result = await withTimeout(
      this.send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true }),
      timeoutMs,
      `evaluate ${expression.slice(0, 60)}`,
    );
    if (result.exceptionDetails) {
      const d = result.exceptionDetails;
      throw new Error(`page threw: ${d.exception?.description ?? d.text}`);
    }
    return result.result.value as T;
  }

  /** Navigate and wait for the load event. */
  async goto(url: string): Promise<void> {
    await this.send('Page.enable');
    const loaded = this.cdp.waitFor('Page.loadEventFired', (_p, s) => s === this.sessionId);
    const nav = await this.send('Page.navigate', { url });
    if (nav.errorText) throw new Error(`navigation to ${url} failed: ${nav.errorText}`);
    await loaded;
    await this.send('Page.disable');
  }

  async close(): Promise<void> {
    await this.cdp.send('Target.closeTarget', { targetId: this.targetId }).catch(() => {});
  }
}

/** Reject when a promise takes longer than timeoutMs. */
export function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms: ${what}`)), timeoutMs);
    }),
  ]);
}

export interface Browser {
  cdp: CdpConnection;
  /** The extension id when an extension was loaded. */
  extensionId: string | null;
  /** Open a tab at url (about:blank by default) and attach to it. */
  newPage(url?: string): Promise<Target>;
  /** Attach to an existing target. */
  attach(targetId: string): Promise<Target>;
  /** The extension's service worker, attached. */
  serviceWorker(): Promise<Target>;
  close(): Promise<void>;
}

/**
 * Launch headless Chromium in a fresh profile with nothing attached,
 * optionally with an unpacked extension loaded.
 */
export async function launchChromium(opts: { extensionDir?: string } = {}): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'ri-bench-profile-'));
  const args = [
    ...BASE_ARGS,
    '--headless',
    '--remote-debugging-pipe',
    `--user-data-dir=${profile}`,
    // Keep every tab running at full speed (the panel tab and the page tab share the browser).
    '--disable-background-timer-throttling',
    '--disable-renderer-backgrounding',
    '--disable-backgrounding-occluded-windows',
    '--disable-dev-shm-usage',
    '--no-default-browser-check',
    '--disable-default-apps',
    '--disable-hang-monitor',
    '--disable-ipc-flooding-protection',
    '--metrics-recording-only',
    '--password-store=basic',
  ];
  if (opts.extensionDir) args.push(`--disable-extensions-except=${opts.extensionDir}`, `--load-extension=${opts.extensionDir}`);
  else args.push('--disable-extensions');
  args.push('about:blank');
  const child: ChildProcess = spawn(findChrome(), args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr = (stderr + d).slice(-4000);
  });
  const cdp = new CdpConnection(child.stdio[3] as Writable, child.stdio[4] as Readable);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  try {
    await withTimeout(cdp.send('Browser.getVersion'), 30_000, 'Chromium start');
  } catch (e) {
    child.kill('SIGKILL');
    throw new Error(`Chromium did not start: ${(e as Error).message}\n${stderr}`);
  }
  await cdp.send('Target.setDiscoverTargets', { discover: true });

  let extensionId: string | null = null;
  const findWorker = async (): Promise<string | null> => {
    const { targetInfos } = await cdp.send('Target.getTargets');
    const sw = (targetInfos as Array<{ type: string; url: string; targetId: string }>).find(
      (t) => t.type === 'service_worker' && t.url.startsWith('chrome-extension://'),
    );
    if (sw) extensionId = new URL(sw.url).host;
    return sw?.targetId ?? null;
  };
  if (opts.extensionDir) {
    const deadline = Date.now() + 15_000;
    while (!(await findWorker()) && Date.now() < deadline) await sleep(100);
    if (!extensionId) throw new Error(`extension from ${opts.extensionDir} did not start a service worker\n${stderr}`);
  }

  let worker: Target | null = null;
  const attach = async (targetId: string): Promise<Target> => {
    const { sessionId } = await cdp.send('Target.attachToTarget', { targetId, flatten: true });
    return new Target(cdp, targetId, sessionId);
  };

  return {
    cdp,
    get extensionId() {
      return extensionId;
    },
    async newPage(url = 'about:blank') {
      const { targetId } = await cdp.send('Target.createTarget', { url });
      return attach(targetId);
    },
    attach,
    async serviceWorker() {
      const id = await findWorker();
      if (!id) throw new Error('extension service worker not found');
      if (worker?.targetId === id) return worker;
      worker = await attach(id);
      // A worker evaluates only once its Runtime is enabled (without it, Runtime.evaluate hangs).
      await worker.send('Runtime.enable');
      await worker.send('Runtime.runIfWaitingForDebugger');
      // Right after start-up the worker's global exists before its extension APIs do.
      for (let i = 0; i < 100 && (await worker.evaluate<string>('typeof chrome === "object" && typeof chrome.tabs')) !== 'object'; i++) await sleep(50);
      return worker;
    },
    async close() {
      await withTimeout(cdp.send('Browser.close'), 5000, 'Browser.close').catch(() => child.kill('SIGKILL'));
      await withTimeout(exited, 5000, 'Chromium exit').catch(() => child.kill('SIGKILL'));
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Poll `read` every 100 ms until it reaches `target`, stops changing for `quietMs`, or
 * `timeoutMs` passes; returns the last value read.
 */
export async function waitForQuiet(read: () => Promise<number>, target: number, quietMs: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    const n = await read();
    if (n >= target) return n;
    if (n !== last) {
      last = n;
      lastChange = Date.now();
    }
    if (Date.now() - lastChange > quietMs || Date.now() > deadline) return n;
    await sleep(100);
  }
}
