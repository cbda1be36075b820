/**
 * Fault injection on the page's own connections (issue 6), driven by the relay's
 * `fault` commands. Each transport hook registers its open connections here and
 * routes incoming events through an InboundGate, which can hold them (stall) or
 * delay them (latency) and then delivers them to the page in arrival order.
 * Every fault emits a `fault` event so analysis can tell it from organic failures.
 *
 * What the page observes, per fault (see the report for what cannot be exact):
 * - drop: WebSocket → `close` 1006, wasClean false (the native socket is closed
 *   for real); fetch stream → the page's reader rejects with TypeError
 *   "network error"; XHR → `error` with status 0; EventSource → native closed
 *   and `error` fired (readyState CLOSED: the browser's own reconnect cannot be
 *   driven from the page).
 * - offline D ms: new WebSockets fail (error, close 1006); fetch rejects
 *   TypeError('Failed to fetch'); XHR fires `error` with status 0; EventSource
 *   fires `error`; open connections are dropped as above.
 * - close code: a server-initiated close with that code, wasClean true.
 * - stall D ms: incoming messages held, then delivered in order.
 * - latency: responses and incoming messages delayed by delayMs.
 */
import type { FaultCommand } from '../../shared/page-bridge.ts';
import { emit, now } from './emitter.ts';
import {
  clearTimer,
  dictionary,
  EventCtor,
  messageEventGet,
  MessageEventCtor,
  dispatch,
  isFiniteNumber,
  MapCtor,
  mapDelete,
  mapForEach,
  mapGet,
  mapSet,
  PromiseCtor,
  SetCtor,
  setAdd,
  setDelete,
  setForEach,
  setTimer,
  stopImmediatePropagation,
  stringSlice,
} from './natives.ts';

/** An open connection that faults can act on. */
export interface FaultTarget {
  /** End it as a network drop would. */
  drop(): void;
  /** Deliver a server-initiated close (WebSocket only). */
  serverClose?(code: number, reason: string): void;
}

const targets = new MapCtor<string, FaultTarget>();

/** Track an open connection so that faults can reach it. */
export function registerTarget(conn: string, target: FaultTarget): void {
  mapSet(targets, conn, target);
}

/** Forget a connection once it has ended. */
export function unregisterTarget(conn: string): void {
  mapDelete(targets, conn);
}

let offlineUntil = 0;
let latency = { delayMs: 0, until: 0 };
let stallAll = 0;
const stallByConn = new MapCtor<string, number>();
/** Some connection was ever stalled on its own: until then no message looks it up in stallByConn. */
let anyConnStalled = false;

/** True while an offline window is active. */
export function isOffline(): boolean {
  return now() < offlineUntil;
}

/** Extra delay for responses and incoming messages right now. */
export function latencyMs(): number {
  if (latency.delayMs <= 0) return 0;
  if (latency.until !== 0 && now() >= latency.until) return 0;
  return latency.delayMs;
}

function holdUntil(conn: string): number {
  if (!anyConnStalled) return stallAll;
  const own = mapGet(stallByConn, conn) ?? 0;
  return own > stallAll ? own : stallAll;
}

/** Wait `ms` then resolve with `value` (a latency fault on a response). */
export function delayed<T>(value: T, ms: number): Promise<T> {
  return new PromiseCtor((resolve) => setTimer(() => resolve(value), ms));
}

interface Held {
  event: Event;
  releaseAt: number;
}

/** A copier for `InboundGate.intercept`: the held MessageEvent of `type` (its data, origin and lastEventId) made anew. */
export function copyOfMessage(type: string): (event: Event) => Event {
  return (event) =>
    new MessageEventCtor(
      type,
      dictionary({
        data: messageEventGet.data(event),
        origin: messageEventGet.origin(event) as string,
        lastEventId: messageEventGet.lastEventId(event) as string,
      }),
    );
}

/** A copier for `InboundGate.intercept`: a plain event of `type`. */
export function copyOfEvent(type: string): () => Event {
  return () => new EventCtor(type);
}

/**
 * Holds a connection's incoming events while a stall or latency applies and
 * delivers them later, in arrival order, to the page's listeners on `target`.
 * What intercepts runs before any page listener sees the event: the hooks' own
 * listener, registered first on the native object (and on an EventSource before
 * any page listener the hooks do not stand in for), or an EventSource listener's
 * stand-in, which then hands the platform a no-op instead of the page's function
 * (event-source.ts). Stopping the native event there hides it from every later
 * page listener; the copies delivered later are untrusted events, which the hooks
 * do not record again.
 */
export class InboundGate {
  /** Held events, oldest at `head` (a queue by index: no page-replaceable Array methods). */
  private held: Array<Held | null> = [];
  private head = 0;
  private timer: number | null = null;

  constructor(
    private readonly target: EventTarget,
    private readonly conn: string,
  ) {}

  /**
   * Take `event` away from the page if it must wait; `copy(event)` builds the event delivered
   * later (a function made once, not a closure per event: this runs on every message).
   */
  intercept(event: Event, copy: (event: Event) => Event): boolean {
    const delay = latencyMs();
    const hold = holdUntil(this.conn);
    // No fault active (the usual case): no clock read on the page's every message.
    const empty = this.head === this.held.length;
    if (empty && delay === 0 && hold === 0) return false;
    const t = now();
    if (empty && delay === 0 && hold <= t) return false;
    this.defer(event, copy(event), t + delay > hold ? t + delay : hold);
    return true;
  }

  /** Stop `event` and deliver `replacement` (or nothing) in order after everything already held. */
  replace(event: Event | null, replacement: Event[]): void {
    const t = now();
    if (event) stopImmediatePropagation(event);
    for (let i = 0; i < replacement.length; i++) this.enqueue(replacement[i]!, t);
    this.schedule();
  }

  private defer(event: Event, copy: Event, releaseAt: number): void {
    stopImmediatePropagation(event);
    this.enqueue(copy, releaseAt);
    this.schedule();
  }

  private enqueue(event: Event, releaseAt: number): void {
    const last = this.head < this.held.length ? this.held[this.held.length - 1] : null;
    const at = last && last.releaseAt > releaseAt ? last.releaseAt : releaseAt;
    this.held[this.held.length] = { event, releaseAt: at };
  }

  /** Re-evaluate hold times (a stall ended early or was extended). */
  schedule(): void {
    if (this.timer !== null) clearTimer(this.timer);
    this.timer = null;
    const first = this.head < this.held.length ? this.held[this.head] : null;
    if (!first) return;
    const hold = holdUntil(this.conn);
    const at = first.releaseAt > hold ? first.releaseAt : hold;
    const wait = at - now();
    this.timer = setTimer(() => this.pump(), wait > 0 ? wait : 0);
  }

  private pump(): void {
    this.timer = null;
    const t = now();
    if (holdUntil(this.conn) > t) {
      this.schedule();
      return;
    }
    // A page listener may hold more events (a close() it calls): the loop re-reads the queue.
    while (this.head < this.held.length && this.held[this.head]!.releaseAt <= t) {
      const { event } = this.held[this.head]!;
      this.held[this.head++] = null;
      if (this.head === this.held.length) {
        this.held = [];
        this.head = 0;
      }
      dispatch(this.target, event);
    }
    this.schedule();
  }
}

const gates = new SetCtor<InboundGate>();

/** Let the stall logic re-schedule `gate` when stall windows change. */
export function trackGate(gate: InboundGate): void {
  setAdd(gates, gate);
}

/** Stop tracking a closed connection's gate. */
export function untrackGate(gate: InboundGate): void {
  setDelete(gates, gate);
}

function rescheduleGates(): void {
  setForEach(gates, (gate) => gate.schedule());
}

function faultEvent(
  fault: 'drop' | 'offline' | 'close' | 'stall' | 'latency',
  conn: string | null,
  params: Record<string, number | string>,
  phase: 'start' | 'end' | 'instant',
): void {
  emit({ type: 'fault', fault, conn, params, phase });
}

function selected(conn: string | null): FaultTarget[] {
  if (conn === null) {
    const all: FaultTarget[] = [];
    mapForEach(targets, (target) => {
      all[all.length] = target;
    });
    return all;
  }
  const one = mapGet(targets, conn);
  return one ? [one] : [];
}

function dropAll(list: FaultTarget[]): void {
  for (let i = 0; i < list.length; i++) list[i]!.drop();
}

function finite(n: unknown, fallback: number): number {
  return typeof n === 'number' && isFiniteNumber(n) && n >= 0 ? n : fallback;
}

/** Apply one fault command from the relay. */
export function applyFault(command: FaultCommand): void {
  switch (command.fault) {
    case 'drop': {
      const conn = typeof command.conn === 'string' ? command.conn : null;
      faultEvent('drop', conn, {}, 'instant');
      dropAll(selected(conn));
      break;
    }
    case 'offline': {
      const durationMs = finite(command.durationMs, 0);
      offlineUntil = now() + durationMs;
      faultEvent('offline', null, { durationMs }, 'start');
      dropAll(selected(null));
      setTimer(() => faultEvent('offline', null, { durationMs }, 'end'), durationMs);
      break;
    }
    case 'close': {
      const conn = typeof command.conn === 'string' ? command.conn : null;
      const code = finite(command.code, 1000);
      const reason = typeof command.reason === 'string' ? stringSlice(command.reason, 0, 123) : '';
      faultEvent('close', conn, { code, reason }, 'instant');
      const closing = selected(conn);
      for (let i = 0; i < closing.length; i++) closing[i]!.serverClose?.(code, reason);
      break;
    }
    case 'stall': {
      const conn = typeof command.conn === 'string' ? command.conn : null;
      const durationMs = finite(command.durationMs, 0);
      const until = now() + durationMs;
      if (conn === null) stallAll = until;
      else {
        mapSet(stallByConn, conn, until);
        anyConnStalled = true;
      }
      faultEvent('stall', conn, { durationMs }, 'start');
      setTimer(() => {
        faultEvent('stall', conn, { durationMs }, 'end');
        rescheduleGates();
      }, durationMs);
      break;
    }
    case 'latency': {
      const delayMs = finite(command.delayMs, 0);
      const durationMs = finite(command.durationMs, 0);
      latency = { delayMs, until: durationMs === 0 ? 0 : now() + durationMs };
      faultEvent('latency', null, { delayMs, durationMs }, delayMs === 0 ? 'end' : 'start');
      if (durationMs > 0 && delayMs > 0) {
        setTimer(() => faultEvent('latency', null, { delayMs, durationMs }, 'end'), durationMs);
      }
      break;
    }
    default:
      break;
  }
}
