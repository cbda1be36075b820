/**
 * One runtime port to the background that survives the service worker: the
 * content relay (src/content/relay.ts) and the panel bridge (src/panel/bridge.ts)
 * both hold their link through it.
 *
 * Chrome stops an idle MV3 service worker and restarts it on the next event; a
 * port to a stopped worker disconnects, and a port opened while the worker was
 * stopping can stay silent (no onDisconnect, no reply). So:
 * - on each new port the owner greets first (`greet`); the background answers with
 *   a welcome, which the owner reports with `welcomed()`;
 * - no welcome within WELCOME_TIMEOUT_MS, or a disconnect, drops the port and opens
 *   a new one after the next delay of RECONNECT_DELAYS_MS (the last repeats);
 * - messages and disconnects of a port that is no longer the current one are ignored,
 *   and a new port replaces the current one (disconnected) and any reopen still
 *   waiting, so at most one port is live and nothing is handled twice;
 * - the owner may `renew` the port when it knows better than the port (Chrome closes a
 *   cached document's ports without telling it);
 * - the back-off restarts when the owner says the link works again (`resetBackoff`):
 *   the relay on a welcome, the panel once its history is in sync.
 *
 * It knows only a PortLike and a timer, so it is tested in Node with in-memory ports.
 */
import { RECONNECT_DELAYS_MS, WELCOME_TIMEOUT_MS } from './constants.ts';
import type { PortLike } from './messages.ts';

export interface PortSessionOptions {
  /** Open a port to the background; throws when the extension context is gone. */
  connect(): PortLike;
  setTimeout(fn: () => void, ms: number): unknown;
  /** Send the first message on a new port (hello, subscribe). */
  greet(port: PortLike): void;
  /** A message on the current port. */
  onMessage(raw: unknown, port: PortLike): void;
  /** The current port is gone; a new one opens after `delayMs`. */
  onReconnecting?(delayMs: number): void;
  /**
   * `connect()` threw. 'stop': the context is gone for good (an extension that was
   * reloaded or removed cannot be reached from this document again); 'retry': try again
   * after the next back-off delay.
   */
  onConnectError(error: unknown): 'stop' | 'retry';
}

export class PortSession {
  private port: PortLike | null = null;
  private welcome = false;
  private attempt = 0;
  private stopped = false;
  /** Bumped by every open and reopen: a delayed open whose ticket is not the latest does nothing. */
  private pendingOpen = 0;

  constructor(private readonly options: PortSessionOptions) {}

  /** Open a port now (the first, or a fresh one in place of the current, which is disconnected). */
  open(): void {
    if (this.stopped) return;
    // A reopen still waiting for its delay opens nothing now: one port at a time.
    this.pendingOpen++;
    this.drop();
    let port: PortLike;
    try {
      port = this.options.connect();
    } catch (error) {
      this.port = null;
      this.welcome = false;
      if (this.options.onConnectError(error) === 'stop') this.stopped = true;
      else this.reopen();
      return;
    }
    this.port = port;
    this.welcome = false;
    port.onMessage.addListener((raw) => {
      if (this.port === port) this.options.onMessage(raw, port);
    });
    port.onDisconnect.addListener(() => {
      if (this.port === port) this.reopen();
    });
    this.options.greet(port);
    this.options.setTimeout(() => {
      if (this.port === port && !this.welcome) this.reopen();
    }, WELCOME_TIMEOUT_MS);
  }

  /** Drop the current port (if any) and open a new one after the next back-off delay. */
  reopen(): void {
    this.drop();
    if (this.stopped) return;
    const delay = RECONNECT_DELAYS_MS[Math.min(this.attempt++, RECONNECT_DELAYS_MS.length - 1)]!;
    const ticket = ++this.pendingOpen;
    this.options.onReconnecting?.(delay);
    this.options.setTimeout(() => {
      if (this.pendingOpen === ticket) this.open();
    }, delay);
  }

  /**
   * Open a fresh port now, from the first back-off delay, whatever the current one seems
   * to be: the owner knows it may be dead without a word (a document back from the
   * back/forward cache, whose ports Chrome closed without telling it).
   */
  renew(): void {
    this.attempt = 0;
    this.open();
  }

  /** The background welcomed the current port. */
  welcomed(): void {
    this.welcome = true;
  }

  /** The link works again: the next loss starts the back-off from its first delay. */
  resetBackoff(): void {
    this.attempt = 0;
  }

  /** The current port, or null between ports. */
  current(): PortLike | null {
    return this.port;
  }

  /** The current port got its welcome. */
  isWelcomed(): boolean {
    return this.port !== null && this.welcome;
  }

  /** The session was stopped (by `close`, or a context that is gone). */
  isStopped(): boolean {
    return this.stopped;
  }

  /** Close for good: disconnect the current port and open no other. */
  close(): void {
    this.stopped = true;
    this.drop();
  }

  /** Forget the current port and disconnect it. */
  private drop(): void {
    const old = this.port;
    this.port = null;
    this.welcome = false;
    try {
      old?.disconnect();
    } catch {
      // already gone
    }
  }
}
