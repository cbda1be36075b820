/**
 * The isolated-world relay, one per frame document, built as a standalone IIFE
 * that runs at document_start (vite.config.ts): page hooks → relay → background.
 *
 * It hands the hooks a private channel at document_start (src/shared/page-bridge.ts),
 * listens there for their CustomEvents and forwards their event messages as the
 * JSON strings they came as, batched (time- and size-bounded), on a runtime port.
 * What a page dispatches under the bridge's names where it can (on `document` or
 * `window`: forged events, config or faults, a channel of its own) is refused and
 * counted as rejected.
 *
 * It runs on the page's thread, so it does not parse them: it reads each message's
 * event count from its fixed header (src/shared/page-bridge.ts) for its bounds and
 * counters, and the background parses the message and checks every event with the
 * one guard. A message whose header is not an events message's, or that is too
 * large, is rejected here and counted.
 * Batches stay held until the background acknowledges them as persisted; when the
 * port drops (Chrome stopped the service worker) the relay reconnects and resends
 * what was not acknowledged. It forwards the background's config and fault
 * commands to the hooks and acts on nothing else.
 *
 * Two things a page's life does to the relay's links, both handled here:
 * - The back/forward cache: Chrome closes a cached document's extension ports
 *   without firing onDisconnect on this side (Chromium 156: messages posted on the
 *   port after the restore vanish), so on a trusted `pageshow` with `persisted`
 *   the relay opens a new port, resends what the closed one never acknowledged,
 *   and tells the background when the document was hidden and shown again, which
 *   becomes a `doc.restored` event (the analysis measures no gap across it).
 * - Freezing in place (Page Lifecycle `freeze`/`resume`: Chrome 133+ freezes CPU-intensive
 *   tabs hidden for 5 minutes under Energy Saver): the document runs nothing meanwhile, so the
 *   relay reports the window, which becomes a `doc.resumed` event (no gap measured across it).
 * - `document.open()` erases every listener on `document` and `window` (HTML
 *   "document open steps"), of every world: the relay watches the document's
 *   children (a MutationObserver, which document.open does not erase) and adds its
 *   listeners again. The private channel, outside the document, is not affected.
 *
 * `Relay` knows only a PortLike transport, so it is tested in Node with an in-memory one.
 */
import {
  CHANNEL_OFFER_EVENT,
  CHANNEL_REQUEST_EVENT,
  PAGE_BRIDGE_VERSION,
  PAGE_TO_RELAY_EVENT,
  pageEventsCount,
  RELAY_TO_PAGE_EVENT,
  type RelayToPage,
} from '../shared/page-bridge.ts';
import {
  PAGE_MESSAGE_MAX_CHARS,
  RELAY_BATCH_MAX_CHARS,
  RELAY_BATCH_MAX_EVENTS,
  RELAY_FLUSH_MS,
  RELAY_MAX_HELD_CHARS,
  RELAY_MAX_HELD_EVENTS,
  RELAY_MAX_HELD_RESTORES,
  RELAY_MAX_IN_FLIGHT,
  RELAY_PORT_NAME,
  ACK_TIMEOUT_MS,
} from '../shared/constants.ts';
import { PortSession } from '../shared/port-session.ts';
import {
  parseWire,
  send,
  TO_RELAY_MESSAGE_CHECKS,
  type CacheStay,
  type FreezeStay,
  type PageConfig,
  type PortLike,
  type RelayMessages,
  type ToRelayMessages,
} from '../shared/messages.ts';

/** Longest hello message parsed (it carries a short document id). */
const HELLO_MAX_CHARS = 512;

/** What the relay needs from its surroundings. */
export interface RelayEnvironment {
  /** Open a port to the background; throws when the extension context is gone. */
  connect(): PortLike;
  /** Deliver a message to the page hooks of this frame. */
  postToPage(message: RelayToPage): void;
  setTimeout(fn: () => void, ms: number): unknown;
  /** Unique id of this relay instance (de-duplication key in the background). */
  relayId: string;
  /**
   * Whether the extension is still there when `connect()` threw: false (the default) stops
   * the relay for good, true retries after the next back-off delay (a connect refused for
   * a passing reason must not end the capture of a document that lives on).
   */
  extensionAlive?(): boolean;
}

interface SentBatch {
  batch: number;
  /** Events in the batch (as their messages' headers claim). */
  count: number;
  chars: number;
  payload: RelayMessages['batch'];
}

/** Counters for tests and diagnostics. */
export interface RelayStats {
  /** Events queued, not yet sent. */
  queued: number;
  unacked: number;
  heldEvents: number;
  dropped: number;
  rejected: number;
  connected: boolean;
  nextBatch: number;
}

/** The relay's logic, independent of chrome.* and the DOM. */
export class Relay {
  /** Page event messages not yet sent, in page order, and each one's event count. */
  private readonly queue: string[] = [];
  private readonly queueCounts: number[] = [];
  private queuedEvents = 0;
  private readonly unacked: SentBatch[] = [];
  private heldEvents = 0;
  private heldChars = 0;
  /** Characters of the sent-but-unacknowledged batches (part of heldChars). */
  private unackedChars = 0;
  private nextBatch = 1;
  private dropped = 0;
  private rejected = 0;
  private sentDropped = 0;
  private sentRejected = 0;
  private doc = '';
  /** The port to the background, reopened when Chrome stops the service worker. */
  private readonly session: PortSession;
  private config: PageConfig | null = null;
  private flushTimer: unknown = null;
  /** The document is being unloaded or cached (pagehide): send at once, timers may never run. */
  private hidden = false;
  /** The hooks said hello (on the private channel). */
  private greeted = false;
  /** When the last pagehide came (page clock, epoch ms). */
  private hiddenAt: number | null = null;
  /** The ack watchdog's mark: the oldest unacknowledged batch when it was armed, and its port. */
  private ackWatch: { batch: number; port: PortLike } | null = null;
  /** Stays in the back/forward cache not yet sent to the background. */
  private restores: CacheStay[] = [];
  /** When the document was last frozen in place (page clock, epoch ms), until it resumes. */
  private frozenAt: number | null = null;
  /** Freezes in place not yet sent to the background. */
  private freezes: FreezeStay[] = [];

  constructor(private readonly env: RelayEnvironment) {
    this.session = new PortSession({
      connect: () => env.connect(),
      setTimeout: (fn, ms) => env.setTimeout(fn, ms),
      greet: (port) => send<RelayMessages, 'hello'>(port, 'hello', { relayId: env.relayId }),
      onMessage: (raw) => this.receiveFromBackground(raw),
      // The extension was reloaded or removed: this relay can never reach it again.
      onConnectError: () => (env.extensionAlive?.() ? 'retry' : 'stop'),
    });
  }

  /** The extension was reloaded or removed: this relay can never reach it again. */
  private get dead(): boolean {
    return this.session.isStopped();
  }

  /** Open the port (call once, early, so events queue against a live connection). */
  start(): void {
    this.session.open();
  }

  /** Handle one page → relay CustomEvent detail. Anything that is not one of the hooks' messages is rejected and counted. */
  receiveFromPage(detail: unknown): void {
    if (this.dead) return;
    if (typeof detail !== 'string' || detail.length > PAGE_MESSAGE_MAX_CHARS) {
      this.reject(1);
      return;
    }
    const count = pageEventsCount(detail);
    if (count === null) {
      const doc = parseHello(detail);
      if (doc === null) {
        this.reject(1);
        return;
      }
      if (!this.doc) this.doc = doc;
      this.greeted = true;
      this.answerHello();
      return;
    }
    if (this.heldEvents + count > RELAY_MAX_HELD_EVENTS || this.heldChars + detail.length > RELAY_MAX_HELD_CHARS) {
      this.dropped += count;
      this.scheduleFlush();
      return;
    }
    this.queue.push(detail);
    this.queueCounts.push(count);
    this.queuedEvents += count;
    this.heldEvents += count;
    this.heldChars += detail.length;
    this.scheduleFlush();
  }

  /** Tell the hooks the relay listens, and the current config. */
  answerHello(): void {
    this.env.postToPage({ v: PAGE_BRIDGE_VERSION, kind: 'ready' });
    if (this.config) this.env.postToPage({ v: PAGE_BRIDGE_VERSION, kind: 'config', ...this.config });
  }

  /**
   * The document is going away (pagehide): send what is queued now, and every
   * later page message at once, past the in-flight window (the port closes with
   * the document, so no acknowledgement would come to open it).
   */
  pageHidden(at?: number): void {
    this.hidden = true;
    this.hiddenAt = at ?? null;
    this.flush();
  }

  /**
   * The document is shown again: batch as usual. `restoredAt` (page clock) when it
   * comes back from the back/forward cache (pageshow `persisted`): Chrome closed the
   * ports of the cached document without telling this side, so open a new one (the
   * background de-duplicates what the old one did deliver), and report the stay.
   * Whatever port the relay holds now is replaced, not only the one it had at pagehide:
   * a cached document can still run for a while before Chrome freezes it (over a second
   * on a loaded machine), and a port it opened then is as dead.
   */
  pageShown(restoredAt?: number): void {
    this.hidden = false;
    if (restoredAt === undefined || this.dead) return;
    if (this.restores.length < RELAY_MAX_HELD_RESTORES) {
      this.restores.push({ cachedAt: Math.min(this.hiddenAt ?? restoredAt, restoredAt), restoredAt });
    }
    this.hiddenAt = null;
    this.ackWatch = null;
    this.session.renew();
  }

  /**
   * The browser froze the document (trusted `freeze`). Also before a stay in the back/forward
   * cache, after its pagehide: that stay is reported as a restore, not as a freeze.
   */
  pageFrozen(at: number): void {
    if (!this.hidden) this.frozenAt = at;
  }

  /** The browser resumed a document it froze in place (trusted `resume`): report the freeze. */
  pageResumed(at: number): void {
    const frozenAt = this.frozenAt;
    this.frozenAt = null;
    if (frozenAt === null || this.dead || this.hidden) return;
    if (this.freezes.length < RELAY_MAX_HELD_RESTORES) this.freezes.push({ frozenAt: Math.min(frozenAt, at), resumedAt: at });
    this.scheduleFlush();
  }

  /** True once the hooks said hello. */
  hooksGreeted(): boolean {
    return this.greeted;
  }

  /** Count one message a page dispatched under the bridge's names, outside the private channel. */
  refuse(): void {
    if (!this.dead) this.reject(1);
  }

  /** Current counters. */
  stats(): RelayStats {
    return {
      queued: this.queuedEvents,
      unacked: this.unacked.length,
      heldEvents: this.heldEvents,
      dropped: this.dropped,
      rejected: this.rejected,
      connected: this.session.isWelcomed(),
      nextBatch: this.nextBatch,
    };
  }

  private reject(count: number): void {
    this.rejected += count;
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    const full = this.queuedChars() >= RELAY_BATCH_MAX_CHARS || this.queuedEvents >= RELAY_BATCH_MAX_EVENTS;
    if (full || this.hidden) {
      this.flush();
    } else if (this.flushTimer === null) {
      this.flushTimer = this.env.setTimeout(() => {
        this.flushTimer = null;
        this.flush();
      }, RELAY_FLUSH_MS);
    }
  }

  private queuedChars(): number {
    return this.heldChars - this.unackedChars;
  }

  /**
   * Send queued messages as batches while the in-flight window allows. Before the welcome
   * only while the document goes away: a page left right after it loaded (a link followed at
   * once, a Back) may never see the welcome, and the background takes a port's messages in
   * order, the hello first. What the port loses is resent after a welcome, if one comes.
   */
  private flush(): void {
    const port = this.session.current();
    if (!port || (!this.session.isWelcomed() && !this.hidden)) return;
    while (
      (this.hidden || this.unacked.length < RELAY_MAX_IN_FLIGHT) &&
      (this.queue.length > 0 || this.countersChanged() || this.restores.length > 0 || this.freezes.length > 0)
    ) {
      // Whole page messages, at least one, up to the batch bounds.
      let taken = 0;
      let count = 0;
      let chars = 0;
      while (
        taken < this.queue.length &&
        (taken === 0 ||
          (count + this.queueCounts[taken]! <= RELAY_BATCH_MAX_EVENTS && chars + this.queue[taken]!.length <= RELAY_BATCH_MAX_CHARS))
      ) {
        count += this.queueCounts[taken]!;
        chars += this.queue[taken]!.length;
        taken++;
      }
      const pages = this.queue.splice(0, taken);
      this.queueCounts.splice(0, taken);
      this.queuedEvents -= count;
      const payload: RelayMessages['batch'] = {
        batch: this.nextBatch++,
        doc: this.doc,
        pages,
        dropped: this.dropped,
        rejected: this.rejected,
      };
      if (this.restores.length > 0) {
        payload.restored = this.restores;
        this.restores = [];
      }
      if (this.freezes.length > 0) {
        payload.resumed = this.freezes;
        this.freezes = [];
      }
      this.sentDropped = this.dropped;
      this.sentRejected = this.rejected;
      this.unacked.push({ batch: payload.batch, count, chars, payload });
      this.unackedChars += chars;
      this.watchAcks();
      if (!send<RelayMessages, 'batch'>(port, 'batch', payload)) return;
    }
  }

  /**
   * A port can die without a word: Chrome closes a cached document's ports silently, and a
   * worker can stop between a welcome and the next batch. A welcomed port that acknowledges
   * nothing for ACK_TIMEOUT_MS while batches wait is replaced; what it swallowed is resent
   * on the new one (the background de-duplicates). One timer at a time, armed by a send.
   */
  private watchAcks(): void {
    const port = this.session.current();
    if (this.ackWatch !== null || this.unacked.length === 0 || port === null || this.hidden) return;
    const watch = { batch: this.unacked[0]!.batch, port };
    this.ackWatch = watch;
    this.env.setTimeout(() => {
      if (this.ackWatch !== watch) return;
      this.ackWatch = null;
      if (this.dead || this.hidden || this.unacked.length === 0) return;
      if (this.session.current() === watch.port && this.unacked[0]!.batch === watch.batch) this.session.reopen();
      else this.watchAcks();
    }, ACK_TIMEOUT_MS);
  }

  private countersChanged(): boolean {
    return this.dropped !== this.sentDropped || this.rejected !== this.sentRejected;
  }

  private receiveFromBackground(raw: unknown): void {
    const message = parseWire<ToRelayMessages>(raw, TO_RELAY_MESSAGE_CHECKS);
    const port = this.session.current();
    if (!message || !port) return;
    switch (message.type) {
      case 'welcome': {
        this.session.welcomed();
        this.session.resetBackoff();
        this.release(message.payload.ackedBatch);
        this.setConfig(message.payload.config);
        // Resend, in order, what the previous service worker never persisted, watched on this port.
        this.ackWatch = null;
        this.watchAcks();
        for (const sent of this.unacked) {
          if (!send<RelayMessages, 'batch'>(port, 'batch', sent.payload)) return;
        }
        this.flush();
        break;
      }
      case 'ack':
        this.release(message.payload.batch);
        this.flush();
        this.watchAcks();
        break;
      case 'config':
        this.setConfig(message.payload);
        break;
      case 'fault':
        this.env.postToPage({ v: PAGE_BRIDGE_VERSION, kind: 'fault', command: message.payload.command });
        break;
    }
  }

  /** Forget batches up to `batch`: the background persisted them. */
  private release(batch: number): void {
    while (this.unacked.length > 0 && this.unacked[0]!.batch <= batch) {
      const done = this.unacked.shift()!;
      this.heldEvents -= done.count;
      this.heldChars -= done.chars;
      this.unackedChars -= done.chars;
    }
  }

  private setConfig(config: PageConfig): void {
    this.config = config;
    this.env.postToPage({ v: PAGE_BRIDGE_VERSION, kind: 'config', ...config });
  }
}

/** The document id of a hooks' hello message, or null when `detail` is not one. */
function parseHello(detail: string): string | null {
  if (detail.length > HELLO_MAX_CHARS) return null;
  let value: unknown;
  try {
    value = JSON.parse(detail);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const m = value as Record<string, unknown>;
  return m.v === PAGE_BRIDGE_VERSION && m.kind === 'hello' && typeof m.doc === 'string' && m.doc.length <= 256 ? m.doc : null;
}

/** A random id from crypto.getRandomValues (randomUUID needs a secure context; pages may be http:). */
function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

const INSTALLED = Symbol.for('realtime-inspector.relay');

function startInFrame(): void {
  const scope = globalThis as typeof globalThis & { [INSTALLED]?: true };
  if (scope[INSTALLED]) return;
  scope[INSTALLED] = true;
  // The private channel: a node outside the document, so its events reach only its own
  // listeners (ours and the hooks'), never the page's, and document.open() leaves them be.
  const channel = document.createElement('span');
  const relay = new Relay({
    connect: () => chrome.runtime.connect({ name: RELAY_PORT_NAME }),
    postToPage: (message) => {
      channel.dispatchEvent(new CustomEvent(RELAY_TO_PAGE_EVENT, { detail: JSON.stringify(message) }));
    },
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    relayId: randomId(),
    // An orphaned content script (the extension reloaded or removed) loses chrome.runtime.id.
    extensionAlive: () => typeof chrome.runtime?.id === 'string',
  });
  channel.addEventListener(PAGE_TO_RELAY_EVENT, (event) => relay.receiveFromPage((event as CustomEvent).detail));
  let offering = false;
  let answeredRequest = false;
  const offer = () => {
    offering = true;
    try {
      document.dispatchEvent(new MouseEvent(CHANNEL_OFFER_EVENT, { relatedTarget: channel }));
    } finally {
      offering = false;
    }
  };
  // Hooks that started after us ask once, at document_start; any other ask is a page's.
  const onRequest = () => {
    if (relay.hooksGreeted() || answeredRequest) relay.refuse();
    else {
      answeredRequest = true;
      offer();
    }
  };
  const onForgedOffer = () => offering || relay.refuse();
  const onForgedMessage = () => relay.refuse();
  const pageClock = (event: Event) => performance.timeOrigin + event.timeStamp;
  // Only the browser's own page-lifecycle events count: a page dispatching a fake
  // pagehide must not switch off batching and flow control, nor a fake pageshow reopen the port.
  const onPageHide = (event: Event) => event.isTrusted && relay.pageHidden(pageClock(event));
  const onPageShow = (event: Event) => {
    if (event.isTrusted) relay.pageShown((event as PageTransitionEvent).persisted ? pageClock(event) : undefined);
  };
  // Dispatched at the document; the window's capture phase sees them first.
  const onFreeze = (event: Event) => event.isTrusted && relay.pageFrozen(pageClock(event));
  const onResume = (event: Event) => event.isTrusted && relay.pageResumed(pageClock(event));
  const listen = () => {
    // Capture phase on window sees every event dispatched in the document. Adding the same
    // listener again is a no-op, so this runs again after every change below.
    window.addEventListener(CHANNEL_REQUEST_EVENT, onRequest, true);
    window.addEventListener(CHANNEL_OFFER_EVENT, onForgedOffer, true);
    window.addEventListener(PAGE_TO_RELAY_EVENT, onForgedMessage, true);
    window.addEventListener(RELAY_TO_PAGE_EVENT, onForgedMessage, true);
    window.addEventListener('pagehide', onPageHide, true);
    window.addEventListener('pageshow', onPageShow, true);
    window.addEventListener('freeze', onFreeze, true);
    window.addEventListener('resume', onResume, true);
  };
  listen();
  // document.open() erases the listeners above and replaces the document's children:
  // listen again once it did (the hooks post their batches from timers, after this runs).
  new MutationObserver(listen).observe(document, { childList: true });
  relay.start();
  // Hooks that started first (the manifest's order) take it now and say hello.
  offer();
}

if (typeof chrome !== 'undefined' && chrome.runtime?.id && typeof document !== 'undefined') startInFrame();
