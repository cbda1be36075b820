/**
 * The worker tap: attaches to an inspected page's workers over the DevTools protocol
 * and turns their network traffic into capture events (src/core/formats/cdp-network.ts).
 * One driver for both DevTools clients: the CLI's own connection to Chromium
 * (src/cli/workers.ts) and the extension's chrome.debugger (src/background/index.ts),
 * which differ only in how a command is sent (`CdpLink`).
 *
 * On the root session (the page) and recursively on every worker's session:
 * `Target.setAutoAttach {autoAttach, waitForDebuggerOnStart, flatten}`, so a worker is
 * held before its first statement until its `Network` domain is enabled, then resumed.
 * The three commands go out together, never one after the other: a service worker
 * answers `Network.enable` only once it runs (measured in Chromium 156: awaited in turn,
 * the service worker never resumed). Only worker sessions get `Network.enable`: the
 * page's own traffic comes from the page hooks, and is not captured twice.
 */
import type { CaptureEvent, WorkerOrigin } from '../core/events.ts';
import { CdpNetworkTranslator, WORKER_TARGET_KINDS, type CdpBody } from '../core/formats/cdp-network.ts';

/** How commands reach the browser; `sessionId` undefined is the root (the tab, for chrome.debugger). */
export interface CdpLink {
  send(method: string, params: Record<string, unknown>, sessionId?: string): Promise<unknown>;
}

/** Target.TargetInfo, the fields the tap reads. */
export interface CdpTargetInfo {
  targetId: string;
  type: string;
  url: string;
}

export interface WorkerTapOptions {
  maxTextChars: number;
  now: () => number;
  /** Translated events, in the order the protocol reported them per worker. */
  onEvents: (events: CaptureEvent[]) => void;
}

/** The auto-attach every session of the tree gets. */
export const AUTO_ATTACH = { autoAttach: true, waitForDebuggerOnStart: true, flatten: true } as const;

/** The root session's key (chrome.debugger's tab session has no id). */
const ROOT = '';

/** One inspected page's worker tap. */
export class WorkerTap {
  private readonly translator: CdpNetworkTranslator;
  /** Sessions of the tree (the root, frames, workers), by id; the root is ''. */
  private readonly tree = new Set<string>();
  /** Per worker session: the chain its events are translated on, so a body fetch keeps them in order. */
  private readonly queues = new Map<string, Promise<void>>();
  /** The workers attached now, by session. */
  private readonly attachedWorkers = new Map<string, WorkerOrigin & { targetId: string }>();
  private stopped = false;

  constructor(
    private readonly link: CdpLink,
    private readonly options: WorkerTapOptions,
  ) {
    this.translator = new CdpNetworkTranslator({ maxTextChars: options.maxTextChars, now: options.now });
  }

  /** Start auto-attaching on the root session (`rootSessionId` undefined for chrome.debugger's tab). */
  async start(rootSessionId?: string): Promise<void> {
    this.tree.add(rootSessionId ?? ROOT);
    await this.link.send('Target.setAutoAttach', { ...AUTO_ATTACH }, rootSessionId);
  }

  /** Stop translating (the link is detached by its owner). */
  stop(): void {
    this.stopped = true;
  }

  /** The workers attached now. */
  workers(): Array<WorkerOrigin & { targetId: string }> {
    return [...this.attachedWorkers.values()];
  }

  /** True when `sessionId` is a worker this tap translates. */
  has(sessionId: string): boolean {
    return this.translator.originOf(sessionId) !== undefined;
  }

  /**
   * A worker attached by other means (the CLI attaches shared workers at the browser
   * level: a page's auto-attach does not reach them): translate it like the tree's own.
   * Its resumption is the attacher's business.
   */
  adopt(sessionId: string, info: CdpTargetInfo): void {
    const kind = WORKER_TARGET_KINDS[info.type];
    if (!kind || this.stopped) return;
    this.tree.add(sessionId);
    this.addWorker(sessionId, info, kind);
  }

  /** Every protocol event the link receives (`sessionId` undefined: the root of chrome.debugger or the browser). */
  onEvent(method: string, params: Record<string, unknown>, sessionId?: string): void {
    if (this.stopped) return;
    const from = sessionId ?? ROOT;
    if (method === 'Target.attachedToTarget') {
      if (this.tree.has(from)) this.attached(params);
      return;
    }
    if (method === 'Target.detachedFromTarget') {
      const child = typeof params.sessionId === 'string' ? params.sessionId : '';
      if (!this.tree.has(from) && !this.has(child)) return;
      this.tree.delete(child);
      this.attachedWorkers.delete(child);
      this.enqueue(child, async () => this.emit(this.translator.removeWorker(child)));
      return;
    }
    if (!method.startsWith('Network.') || !this.has(from)) return;
    this.enqueue(from, async () => {
      let body: CdpBody | null = null;
      if (this.translator.wantsBody(from, method, params)) {
        body = (await this.link.send('Network.getResponseBody', { requestId: params.requestId }, from).catch(() => null)) as CdpBody | null;
        if (body !== null && (typeof body.body !== 'string' || typeof body.base64Encoded !== 'boolean')) body = null;
      }
      this.emit(this.translator.translate(from, method, params, body));
    });
  }

  private attached(params: Record<string, unknown>): void {
    const sessionId = typeof params.sessionId === 'string' ? params.sessionId : null;
    const info = params.targetInfo as CdpTargetInfo | undefined;
    if (!sessionId || !info || typeof info.type !== 'string') return;
    const kind = WORKER_TARGET_KINDS[info.type];
    const quiet = () => {};
    this.tree.add(sessionId);
    if (kind) {
      this.addWorker(sessionId, info, kind);
      void this.link.send('Network.enable', {}, sessionId).catch(quiet);
    }
    // Workers of workers (nested dedicated workers), and of out-of-process frames.
    void this.link.send('Target.setAutoAttach', { ...AUTO_ATTACH }, sessionId).catch(quiet);
    void this.link.send('Runtime.runIfWaitingForDebugger', {}, sessionId).catch(quiet);
  }

  private addWorker(sessionId: string, info: CdpTargetInfo, kind: WorkerOrigin['kind']): void {
    const origin: WorkerOrigin = { kind, url: typeof info.url === 'string' ? info.url : '' };
    this.translator.addWorker(sessionId, String(info.targetId), origin);
    this.attachedWorkers.set(sessionId, { ...origin, targetId: String(info.targetId) });
  }

  private enqueue(sessionId: string, step: () => Promise<void>): void {
    const next: Promise<void> = (this.queues.get(sessionId) ?? Promise.resolve())
      .then(step)
      .catch((error: unknown) => {
        console.error('[realtime-inspector] worker event', error);
      })
      .finally(() => {
        // Nothing queued behind it: forget the session's chain (workers come and go).
        if (this.queues.get(sessionId) === next) this.queues.delete(sessionId);
      });
    this.queues.set(sessionId, next);
  }

  private emit(events: CaptureEvent[]): void {
    if (events.length && !this.stopped) this.options.onEvents(events);
  }
}
