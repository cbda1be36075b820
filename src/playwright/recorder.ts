/**
 * `attach(pageOrContext)`: record a Playwright page's real-time traffic with the
 * extension's own page hooks, injected as init scripts (no extension, any context),
 * and analyse it with the core, as the panel and `audit` do.
 *
 * Route: every frame of every document gets, before any page script, the relay of
 * this route (page-relay.ts) and then the page hooks, built unchanged from
 * src/content/page/index.ts (`npm run build`, scripts/build-playwright.mjs). The
 * hooks' event messages reach Node through a Playwright binding; here they are
 * parsed and checked with the background's guard (src/shared/page-events.ts
 * parsePageEvents) and sequenced as the background does (seq per recorder, frameId
 * per frame, page-made drop reports and background-only events refused and counted).
 *
 * A document that goes away (the frame navigates, is removed, or its page closes) gets a
 * `doc.end`, as the background records one when a relay's port closes for good: the browser
 * tears its connections down without a close event, and the analysis ends them there.
 */
import { randomBytes } from 'node:crypto';
import type { BrowserContext, Frame, Page } from 'playwright-core';
import { analyzeCapture, CAPTURE_SCHEMA_VERSION, type CaptureEvent, type CaptureFile, type Report } from '../core/index.ts';
import { isRecorderOnly, parsePageEvents } from '../shared/page-events.ts';
import { faultCommand, targetConnections, type FaultName, type FaultOptions } from './faults.ts';
import type { UrlMatcher } from './url-matcher.ts';
import { pageScripts } from './scripts.ts';

/** Options of `attach`. */
export interface AttachOptions {
  /** Users for the projected polling load in the report (the panel's default when absent). */
  users?: number;
}

/** A recording of a page's (or a context's pages') real-time layer. */
export interface RealtimeInspector {
  /** The events recorded so far (capture format, docs/capture-format.md), in arrival order. */
  events(): CaptureEvent[];
  /** The capture so far, as the extension exports it (after the hooks' pending batches arrived). */
  capture(): Promise<CaptureFile>;
  /** The core's report on the capture so far (docs/report-format.md). */
  report(): Promise<Report>;
  /**
   * Inject a fault into the page's own connections, in every frame (the panel's and
   * `audit --fault`'s machinery). Resolves once the hooks of at least one frame applied it.
   */
  fault(name: 'drop', options?: FaultOptions['drop']): Promise<void>;
  fault(name: 'offline', options: FaultOptions['offline']): Promise<void>;
  fault(name: 'close', options: FaultOptions['close']): Promise<void>;
  fault(name: 'stall', options: FaultOptions['stall']): Promise<void>;
  fault(name: 'latency', options: FaultOptions['latency']): Promise<void>;
  /** Stop recording (the init scripts stay in documents already loaded, their events are ignored). */
  detach(): Promise<void>;
}

/** How long `fault` waits for a frame's hooks to report the fault (a page still loading may not have hooks yet). */
const FAULT_APPLIED_TIMEOUT_MS = 10_000;
/** The hooks flush their batch at most this long after an event (src/content/page/emitter.ts FLUSH_MS), plus margin for the binding's trip. */
const SETTLE_MS = 120;

function isPage(target: Page | BrowserContext): target is Page {
  return typeof (target as Page).mainFrame === 'function';
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Offline windows still open, by context: a later window replaces an earlier one's end. */
const onlineTimers = new WeakMap<BrowserContext, ReturnType<typeof setTimeout>>();

/** `context` offline now, online again after `durationMs`. */
async function goOffline(context: BrowserContext, durationMs: number): Promise<void> {
  const pending = onlineTimers.get(context);
  if (pending !== undefined) clearTimeout(pending);
  await context.setOffline(true);
  const timer = setTimeout(() => {
    onlineTimers.delete(context);
    context.setOffline(false).catch(() => {});
  }, durationMs);
  // A test that ends first closes its context anyway: the timer must not hold the process.
  timer.unref?.();
  onlineTimers.set(context, timer);
}

/** Record `target` (a Page, or every page of a BrowserContext) from the next document it loads on. */
export async function attach(target: Page | BrowserContext, options: AttachOptions = {}): Promise<RealtimeInspector> {
  const scripts = pageScripts();
  const nonce = randomBytes(8).toString('hex');
  const binding = `__realtimeInspector_${nonce}`;
  const commandEvent = `realtime-inspector:command:${nonce}`;
  const events: CaptureEvent[] = [];
  const frameIds = new WeakMap<Frame, number>();
  let nextFrameId = 1;
  let seq = 0;
  let recording = true;
  let page = { url: '', title: '' };
  /** Each frame's document now (the last that sent events), and those that went from it, with when. */
  const frameDocs = new Map<Frame, { current: string; ended: Map<string, number> }>();
  const endDoc = (frameId: number, doc: string, t: number) => {
    if (recording) events.push({ type: 'doc.end', seq: ++seq, pseq: 0, t, frameId, doc });
  };
  /**
   * Events of `doc` arrived from `frame`, the first made at `t`. Another document than the frame's
   * last means that one went away (a navigation), when this one started; but messages the last one
   * flushed as it went (pagehide) can come after the next one's first, and are no new document.
   */
  const seenDoc = (frame: Frame, frameId: number, doc: string, t: number) => {
    const state = frameDocs.get(frame);
    if (state === undefined) {
      frameDocs.set(frame, { current: doc, ended: new Map() });
      return;
    }
    if (doc === state.current) return;
    const endedAt = state.ended.get(doc);
    if (endedAt !== undefined && t <= endedAt) return;
    endDoc(frameId, state.current, t);
    state.ended.set(state.current, t);
    state.ended.delete(doc);
    state.current = doc;
  };
  /** The frame is gone (removed from its page, or the page closed): so is its document. */
  const frameGone = (frame: Frame) => {
    const state = frameDocs.get(frame);
    if (state === undefined) return;
    frameDocs.delete(frame);
    endDoc(frameIdOf(frame), state.current, Date.now());
  };
  const watch = (p: Page) => {
    p.on('framedetached', frameGone);
    p.on('close', () => {
      for (const frame of [...frameDocs.keys()]) if (frame.page() === p) frameGone(frame);
    });
  };

  const frameIdOf = (frame: Frame): number => {
    if (frame.parentFrame() === null) return 0;
    let id = frameIds.get(frame);
    if (id === undefined) frameIds.set(frame, (id = nextFrameId++));
    return id;
  };
  const pages = (): Page[] => (isPage(target) ? [target] : target.pages());

  const receive = (source: { frame: Frame }, json: unknown) => {
    if (!recording || typeof json !== 'string') return;
    const frameId = frameIdOf(source.frame);
    const parsed = parsePageEvents(json);
    const first = parsed.events[0];
    if (first !== undefined) seenDoc(source.frame, frameId, first.doc, first.t);
    let rejected = parsed.rejected;
    let doc = '';
    for (const event of parsed.events) {
      doc = event.doc;
      // Only the recording side says when recording paused, or a document came back from the cache or went away.
      if (isRecorderOnly(event)) {
        rejected++;
        continue;
      }
      if (event.type === 'doc.start' && frameId === 0) page = { url: event.url, title: event.title };
      event.seq = ++seq;
      event.frameId = frameId;
      events.push(event);
    }
    if (rejected > 0) events.push({ type: 'capture.dropped', seq: ++seq, pseq: 0, t: Date.now(), frameId, doc, count: rejected, where: 'relay' });
  };

  const initScript = `(() => {\n${scripts.relay}\n__riPlaywrightRelay.start(${JSON.stringify({ binding, commandEvent })});\n})();\n${scripts.hooks}`;
  await target.exposeBinding(binding, receive);
  await target.addInitScript(initScript);
  if (isPage(target)) watch(target);
  else {
    for (const p of target.pages()) watch(p);
    target.on('page', watch);
  }

  /** Let every frame's hooks flush what they hold (their timer), and the binding calls arrive. */
  const settle = async () => {
    await Promise.all(pages().map((p) => p.evaluate((ms) => new Promise((r) => setTimeout(r, ms)), SETTLE_MS / 2).catch(() => {})));
    await sleep(SETTLE_MS / 2);
  };

  const capture = async (): Promise<CaptureFile> => {
    await settle();
    return {
      format: 'realtime-inspector-capture',
      version: CAPTURE_SCHEMA_VERSION,
      createdAt: new Date().toISOString(),
      page: { ...page },
      redacted: false,
      events: events.slice(),
    };
  };

  return {
    events: () => events.slice(),
    capture,
    async report() {
      const file = await capture();
      // Recording ran until now: a socket silent since its last message was open and idle until then (as audit does).
      const report = analyzeCapture(file.events, { users: options.users, until: Date.parse(file.createdAt) });
      if (report.page.url === '') report.page = file.page;
      return report;
    },
    async fault(name: FaultName, faultOptions?: FaultOptions[FaultName]) {
      const base = faultCommand(name, faultOptions as FaultOptions[typeof name]);
      const url = (faultOptions as { url?: UrlMatcher } | undefined)?.url;
      // A URL names connections: one command per open connection that matches, as the panel does for one channel.
      const commands = url === undefined || !('conn' in base) ? [base] : targetConnections(name, events, url).map((conn) => ({ ...base, conn }));
      const since = seq;
      const applied = () => events.some((e) => e.seq > since && e.type === 'fault' && e.fault === base.fault && e.phase !== 'end');
      const deadline = Date.now() + FAULT_APPLIED_TIMEOUT_MS;
      for (;;) {
        const frames = pages().flatMap((p) => p.frames());
        await Promise.all(
          frames.flatMap((frame) =>
            commands.map((command) =>
              frame
                .evaluate(({ type, detail }) => document.dispatchEvent(new CustomEvent(type, { detail })), { type: commandEvent, detail: JSON.stringify(command) })
                .catch(() => {}),
            ),
          ),
        );
        // The hooks report a fault at once; a page still loading may have none yet, so try again.
        const until = Date.now() + 2000;
        while (Date.now() < until) {
          await sleep(50);
          if (!applied()) continue;
          // As `audit` does (src/cli/audit-run.ts BrowserOffline): once the hooks have applied it, the
          // browser itself offline for as long (Playwright's context.setOffline), so the page sees
          // navigator.onLine false and the real offline/online events, `online` after the hooks' window.
          if (base.fault === 'offline') await goOffline(isPage(target) ? target.context() : target, base.durationMs);
          return;
        }
        if (Date.now() > deadline) {
          throw new Error(`rt.fault('${name}'): no frame's hooks applied it within ${FAULT_APPLIED_TIMEOUT_MS / 1000} s (was the page loaded after attach()?)`);
        }
      }
    },
    async detach() {
      recording = false;
    },
  };
}
