/**
 * EventSource hook. The constructor Proxy registers the hook's listeners for open and error
 * on the native object before the page gets it. Messages (`message` and named events) are
 * observed without a listener of the hooks' own wherever the page listens with a function:
 * the `addEventListener` and `onmessage` hooks hand the native, in the page's function's
 * place, an object whose `handleEvent` getter records the current event (`window.event`,
 * set by the platform before it looks the getter up) and returns the page's function bound
 * to the source. So the platform calls one function of the page's per listener, as without
 * the hooks, and no frame of the hooks is on the stack while it runs (errors the page's
 * listener throws have the same stack). A second listener call per event cost an SSE flood
 * about a sixth of the page's own time (bench/sse-floor.ts, BENCHMARKS.md).
 *
 * While no such listener of a type is registered, the hooks' own listener of that type is
 * (from the constructor on for `message`, from the page's first listener on for a named
 * type), so events are recorded whatever the page listens with. Named events reach only
 * listeners registered for their name: events the page never listens to cannot be observed
 * on a native EventSource.
 */
import { COMPACT_SSE, SSE_ID_CHANGED, SSE_ID_UNREAD, sseEventCode } from '../../shared/page-bridge.ts';
import { emit, emitQueuedInListener, hookError, nextConn, now } from './emitter.ts';
import { copyOfEvent, copyOfMessage, InboundGate, isOffline, registerTarget, trackGate, unregisterTarget, untrackGate } from './faults.ts';
import {
  abortSignalAborted,
  abortSignalAny,
  addListener,
  apply,
  callWith,
  CAPTURE,
  construct,
  currentEvent,
  defineProperty,
  dictionary,
  dispatch,
  eventCancelable,
  EventTargetCtor,
  esClose,
  esGet,
  EventCtor,
  global,
  MapCtor,
  mapGet,
  mapSet,
  messageEventGet,
  noop,
  objectCreate,
  ownIterable,
  preventDefault,
  removeListener,
  setTimer,
  StringCtor,
  WeakMapCtor,
  weakMapGet,
  weakMapSet,
} from './natives.ts';
import { hookConstructor, hookRecordedAccessor, hookRecordedMethod, owned, sharedMap, type Owned } from './patch.ts';
import { TextBudget } from './payload.ts';

// WHATWG HTML § 9.2.2 EventSource readyState values.
const CLOSED = 2;

/**
 * Events a second whose last event id is read, per connection. Each read makes the page's
 * thread build the id's string anew (Blink's MessageEvent.lastEventId), which cost an SSE
 * flood a fifth to a third of what recording it costs the page (BENCHMARKS.md); at an app's
 * rates every id is read.
 */
export const ID_READS_PER_SECOND = 1000;
/** Beyond ID_READS_PER_SECOND in a second, the id of one event in this many milliseconds is read. */
export const ID_READ_EVERY_MS = 10;

/**
 * Which events' last event id to read: all of them up to ID_READS_PER_SECOND in each
 * one-second window of the page clock, then the first event every ID_READ_EVERY_MS.
 */
class IdReads {
  private windowStart = -Infinity;
  private reads = 0;
  private lastRead = -Infinity;

  /** Whether to read the id of an event at time `t` (epoch ms); counts the read. */
  take(t: number): boolean {
    if (t - this.windowStart >= 1000) {
      this.windowStart = t;
      this.reads = 0;
    }
    if (this.reads >= ID_READS_PER_SECOND && t - this.lastRead < ID_READ_EVERY_MS) return false;
    this.reads++;
    this.lastRead = t;
    return true;
  }
}

/** Records one trusted message event of a type; true when the inbound gate holds it back from the page. */
type Recorder = (rec: SourceRecord, event: MessageEvent) => boolean;

/**
 * A page function listening on the native through a stand-in (`standIn`). `live`: the native
 * holds the stand-in. Registered with a `signal`, the platform drops it on abort without a call
 * the hooks see: the signal's abort listener marks it gone if it is still the registration
 * `gen` counts. `once` the stand-in keeps itself.
 */
interface Wrapped {
  standIn: EventListenerObject;
  type: string;
  capture: boolean;
  live: boolean;
  once: boolean;
  gen: number;
  /** While live with a signal: the page's signal, and the hooks' abort listener and what it listens on. */
  signal: AbortSignal | null;
  abortTarget: AbortSignal | null;
  onAbort: (() => void) | null;
}

interface SourceRecord {
  conn: string;
  source: EventSource;
  gate: InboundGate;
  lastEventId: string;
  idReads: IdReads;
  ended: boolean;
  budget: TextBudget;
  /** The last event recorded or held (each event once, whichever stand-in or listener sees it first). */
  lastEvent: Event | null;
  /** Per message type the page listened to: its recorder and the hooks' own listener. */
  types: Map<string, TypeState>;
  /** The page's function listeners → their stand-ins, by capture and type (`c:type`, `b:type`). */
  wrapped: WeakMap<object, Map<string, Wrapped>>;
  /** `onmessage`: the page's value (null when none), the call its stand-in returns, and the stand-in. */
  handlerValue: unknown;
  handlerCall: (event: Event) => unknown;
  handler: Wrapped | null;
}

interface TypeState {
  record: Recorder;
  /** The hooks' own listener of the type (capturing). */
  listener: (event: Event) => void;
  listening: boolean;
  /** Stand-ins of this type the native holds. */
  standIns: number;
  /** A page listener the hooks do not stand in for (an object with handleEvent) is registered: the own listener stays. */
  pinned: boolean;
}

/** EventSource → its record, shared with related realms (set when the hooks install). */
let records: WeakMap<object, SourceRecord & Owned>;

/** The recorder of events of `type` (a listener only ever receives its own type: no `type` read per event). */
function recorderOf(type: string): Recorder {
  const copy = copyOfMessage(type);
  const code = sseEventCode(type);
  return (rec, event) => onEvent(rec, event, code, copy);
}

const copyOpen = copyOfEvent('open');
const copyError = copyOfEvent('error');

function onEvent(rec: SourceRecord, event: MessageEvent, type: string | 0, copy: (event: Event) => Event): boolean {
  const data = messageEventGet.data(event);
  const t = now();
  // The compact id code (src/shared/page-bridge.ts): not read, changed (the new lastEventId), or null unchanged.
  let id: typeof SSE_ID_UNREAD | typeof SSE_ID_CHANGED | null = SSE_ID_UNREAD;
  if (rec.idReads.take(t)) {
    // A native EventSource does not say whether this event had an `id:` line; a
    // changed lastEventId proves one, an unchanged one is reported as none.
    const lastEventId = messageEventGet.lastEventId(event) as string;
    id = lastEventId !== rec.lastEventId ? SSE_ID_CHANGED : null;
    rec.lastEventId = lastEventId;
  }
  const budget = rec.budget;
  const text = budget.keep(typeof data === 'string' ? data : StringCtor(data), t);
  // An sse.message (QueuedMessage): text payload, no retry (a native EventSource does not expose it).
  emitQueuedInListener([COMPACT_SSE, rec.conn, t, 0, budget.size, 0, budget.cut, type, id, rec.lastEventId, null, text]);
  return rec.gate.intercept(event, copy);
}

/**
 * Record `event` (a message of the state's type) unless it was already, or the page dispatched
 * it (events the page dispatches itself are not traffic; re-delivered ones were recorded on
 * arrival). True when the inbound gate holds it back.
 */
function observe(rec: SourceRecord, state: TypeState, event: unknown): boolean {
  if (event === rec.lastEvent || event === undefined || !(event as Event).isTrusted) return false;
  rec.lastEvent = event as Event;
  try {
    return state.record(rec, event as MessageEvent);
  } catch (error) {
    hookError('sse.message', error);
    return false;
  }
}

function guarded(rec: SourceRecord, name: string, handler: (rec: SourceRecord, event: never) => void) {
  return (event: Event): void => {
    if (!event.isTrusted) return;
    try {
      handler(rec, event as never);
    } catch (error) {
      hookError(name, error);
    }
  };
}

/** The state of message type `type`, made (and the hooks' own listener registered) on first use. */
function typeState(rec: SourceRecord, type: string): TypeState {
  let state = mapGet(rec.types, type);
  if (state === undefined) {
    const record = recorderOf(type);
    const made: TypeState = { record, listener: (event) => observe(rec, made, event), listening: false, standIns: 0, pinned: false };
    state = made;
    mapSet(rec.types, type, state);
    listenOwn(rec, type, state);
  }
  return state;
}

function listenOwn(rec: SourceRecord, type: string, state: TypeState): void {
  if (state.listening) return;
  state.listening = true;
  addListener(rec.source, type, state.listener, CAPTURE);
}

/** A stand-in registered: the hooks' own listener of its type goes, unless pinned. */
function standInAdded(rec: SourceRecord, w: Wrapped, once: boolean): void {
  const state = typeState(rec, w.type);
  w.live = true;
  w.once = once;
  w.gen++;
  state.standIns++;
  if (state.listening && !state.pinned) {
    state.listening = false;
    removeListener(rec.source, w.type, state.listener, CAPTURE);
  }
}

/** A stand-in the native no longer holds: with none left, the hooks' own listener comes back. */
function standInGone(rec: SourceRecord, w: Wrapped): void {
  if (!w.live) return;
  w.live = false;
  if (w.onAbort !== null) {
    // The abort listener kept the source reachable from the page's signal for as long as that lives.
    removeListener(w.abortTarget!, 'abort', w.onAbort, false);
    w.signal = w.abortTarget = w.onAbort = null;
  }
  const state = mapGet(rec.types, w.type)!;
  if (--state.standIns === 0) listenOwn(rec, w.type, state);
}

/** Take `w` off the native (the hooks' own doing: a once listener called, a handler set to null). */
function dropStandIn(rec: SourceRecord, w: Wrapped): void {
  if (!w.live) return;
  removeListener(rec.source, w.type, w.standIn, w.capture);
  standInGone(rec, w);
}

/**
 * The object the native holds in place of a page function: the platform reads its
 * `handleEvent` after setting the current event, and calls what it returns (`call()`, the
 * page's function bound to the source, as the platform calls a function listener).
 */
function standIn(rec: SourceRecord, type: string, capture: boolean, call: (event: unknown) => (event: Event) => unknown): Wrapped {
  const w: Wrapped = {
    standIn: objectCreate(null) as EventListenerObject,
    type,
    capture,
    live: false,
    once: false,
    gen: 0,
    signal: null,
    abortTarget: null,
    onAbort: null,
  };
  const state = typeState(rec, type);
  defineProperty(
    w.standIn,
    'handleEvent',
    dictionary({
      get: (): unknown => {
        const event = currentEvent!();
        if (observe(rec, state, event)) return noop;
        // `once` is the hooks' to keep: the platform would drop the stand-in of an event the
        // inbound gate holds, and the page's listener would miss the event when it comes.
        // Dropped here, before the call, as the platform drops a once listener.
        if (w.once) dropStandIn(rec, w);
        return call(event);
      },
    }),
  );
  return w;
}

/** The stand-in of the page's function `fn` for `type` and `capture` on this source, if one was made. */
function wrappedOf(rec: SourceRecord, fn: object, type: string, capture: boolean): Wrapped | undefined {
  const byKey = weakMapGet(rec.wrapped, fn) as Map<string, Wrapped> | undefined;
  return byKey === undefined ? undefined : mapGet(byKey, wrappedKey(type, capture));
}

function wrappedKey(type: string, capture: boolean): string {
  return `${capture ? 'c' : 'b'}:${type}`;
}

/** `capture` of addEventListener/removeEventListener options, read as the platform reads it (once). */
function readCapture(options: unknown): boolean {
  if (options === null || options === undefined) return false;
  if (typeof options !== 'object' && typeof options !== 'function') return !!options;
  return !!(options as { capture?: unknown }).capture;
}

/**
 * The page's addEventListener(type, fn, options) on a tracked source, `fn` a function: the
 * native gets fn's stand-in and the options read once, in the platform's order (WebIDL
 * dictionary members, inherited first: capture, once, passive, signal).
 */
function addStandIn(rec: SourceRecord, add: (...args: unknown[]) => unknown, type: string, fn: object, options: unknown): unknown {
  let capture = false;
  let once = false;
  let signal: unknown;
  let forward: unknown = false;
  if (options === null || options === undefined) forward = false;
  else if (typeof options !== 'object' && typeof options !== 'function') {
    capture = !!options;
    forward = capture;
  } else {
    const o = options as AddEventListenerOptions;
    capture = !!o.capture;
    once = !!o.once;
    const passive = o.passive;
    signal = o.signal;
    // Without `once`: the stand-in drops itself (see standIn).
    const read = objectCreate(null) as AddEventListenerOptions;
    read.capture = capture;
    if (passive !== undefined) read.passive = !!passive;
    if (signal !== undefined) read.signal = signal as AbortSignal;
    forward = read;
  }
  let w = wrappedOf(rec, fn, type, capture);
  if (w === undefined) {
    let byKey = weakMapGet(rec.wrapped, fn) as Map<string, Wrapped> | undefined;
    if (byKey === undefined) {
      byKey = new MapCtor();
      weakMapSet(rec.wrapped, fn, byKey);
    }
    const call = callWith(fn, rec.source);
    w = standIn(rec, type, capture, () => call);
    mapSet(byKey, wrappedKey(type, capture), w);
  }
  // Its signal aborted unheard (without AbortSignal.any the page can stop the abort event
  // before the hooks' listener): the platform dropped the stand-in.
  if (w.live && w.signal !== null && abortSignalAborted(w.signal)) standInGone(rec, w);
  const result = apply(add, rec.source, [type, w.standIn, forward]);
  try {
    // Already held (the platform ignores the call) or given an aborted signal: nothing added.
    if (!w.live && !(signal !== undefined && abortSignalAborted(signal))) {
      standInAdded(rec, w, once);
      if (signal !== undefined) watchAbort(rec, w, signal as AbortSignal);
    }
  } catch (error) {
    // The page's call went through: what failed is the hooks' own bookkeeping, never the page's.
    hookError('sse.listen', error);
  }
  return result;
}

/** Mark `w` gone when `signal` aborts (the platform then drops it without a call the hooks see). */
function watchAbort(rec: SourceRecord, w: Wrapped, signal: AbortSignal): void {
  // A signal of the hooks' own following the page's: the page cannot stop its abort event.
  const target = abortSignalAny ? abortSignalAny(ownIterable([signal])) : signal;
  const registration = w.gen;
  const onAbort = (): void => {
    if (w.gen === registration) standInGone(rec, w);
  };
  w.signal = signal;
  w.abortTarget = target;
  w.onAbort = onAbort;
  addListener(target, 'abort', onAbort, ONCE);
}

const ONCE: AddEventListenerOptions = dictionary({ once: true });

/**
 * What the `onmessage` stand-in hands the platform for `event`. A handler that returns false
 * cancels the event (HTML § 8.1.8.1, the event handler processing algorithm); the platform's
 * events of an EventSource cannot be cancelled, so only for a cancelable event the page made
 * is the handler called through a function of the hooks', which then has a frame on the stack.
 */
function handlerCall(rec: SourceRecord, event: unknown): (event: Event) => unknown {
  const handler = rec.handlerValue;
  if (typeof handler !== 'function' || event === undefined || !eventCancelable(event as Event)) return rec.handlerCall;
  return (e: Event) => {
    const result = apply(handler as (event: Event) => unknown, rec.source, [e]);
    if (result === false) preventDefault(e);
    return result;
  };
}

/**
 * The event type of addEventListener/removeEventListener `args`, converted to a string once as
 * the platform converts it (before the listener and the options); null when the platform is to
 * see the arguments untouched (too few, or a symbol, which it refuses). `args` is the hooks' own
 * copy of the call's arguments: the converted type replaces the page's.
 */
function typeOf(args: unknown[]): string | null {
  const type = args[0];
  if (typeof type === 'string') return type;
  if (args.length < 2 || typeof type === 'symbol') return null;
  const converted = StringCtor(type);
  args[0] = converted;
  return converted;
}

/** Whether the platform sets the current event before it reads a listener object's handleEvent (WHATWG DOM § 2.10 inner invoke). */
function currentEventInGetter(): boolean {
  if (currentEvent === null) return false;
  try {
    const target = new EventTargetCtor();
    const probe = new EventCtor('probe');
    let seen: unknown = null;
    const listener = objectCreate(null) as EventListenerObject;
    defineProperty(listener, 'handleEvent', dictionary({ get: () => ((seen = currentEvent!()), noop) }));
    addListener(target, 'probe', listener);
    dispatch(target, probe);
    return seen === probe;
  } catch {
    return false;
  }
}

function end(rec: SourceRecord): void {
  if (rec.ended) return;
  rec.ended = true;
  rec.lastEvent = null;
  unregisterTarget(rec.conn);
  untrackGate(rec.gate);
}

/** Close the native stream and show the page the error a failed connection gives. */
function drop(rec: SourceRecord): void {
  if (rec.ended) return;
  esClose!(rec.source);
  emit({ type: 'sse.error', conn: rec.conn, readyState: CLOSED });
  end(rec);
  setTimer(() => rec.gate.replace(null, [new EventCtor('error')]), 0);
}

function track(source: EventSource): SourceRecord {
  const conn = nextConn();
  const rec = owned<SourceRecord>({
    conn,
    source,
    gate: new InboundGate(source, conn),
    lastEventId: '',
    idReads: new IdReads(),
    ended: false,
    budget: new TextBudget(),
    lastEvent: null,
    types: new MapCtor(),
    wrapped: new WeakMapCtor(),
    handlerValue: null,
    handlerCall: noop,
    handler: null,
  });
  weakMapSet(records, source, rec);
  emit({
    type: 'sse.create',
    conn,
    transport: 'eventsource',
    url: esGet!.url(source) as string,
    withCredentials: esGet!.withCredentials(source) as boolean,
  });
  addListener(
    source,
    'open',
    guarded(rec, 'sse.open', (r, event: Event) => {
      emit({ type: 'sse.open', conn: r.conn });
      r.gate.intercept(event, copyOpen);
    }),
    CAPTURE,
  );
  addListener(
    source,
    'error',
    guarded(rec, 'sse.error', (r, event: Event) => {
      const readyState = esGet!.readyState(r.source) as number;
      emit({ type: 'sse.error', conn: r.conn, readyState });
      if (readyState === CLOSED) end(r);
      r.gate.intercept(event, copyError);
    }),
    CAPTURE,
  );
  typeState(rec, 'message');
  trackGate(rec.gate);
  registerTarget(conn, { drop: () => drop(rec) });
  return rec;
}

/** Install the EventSource hooks; false when the global is missing or not patchable. */
export function installEventSourceHooks(): boolean {
  const native = global.EventSource;
  if (typeof native !== 'function' || !esGet || !esClose) return false;

  records = sharedMap('eventsource');
  hookRecordedMethod(native.prototype, 'close', 'sse.close', records, (close, self, args) => {
    const rec = weakMapGet(records, self) as SourceRecord | undefined;
    if (rec && !rec.ended) {
      try {
        emit({ type: 'sse.close', conn: rec.conn });
        end(rec);
      } catch (error) {
        hookError('sse.close', error);
      }
    }
    return apply(close, self, args);
  });

  // Without the platform's current event in a handleEvent getter, the hooks' own listeners record every message.
  const standIns = currentEventInGetter();

  hookRecordedMethod(EventTarget.prototype, 'addEventListener', 'sse.listen', records, (add, self, args) => {
    const rec = weakMapGet(records, self) as SourceRecord | undefined;
    if (rec === undefined) return apply(add, self, args);
    const type = typeOf(args);
    if (type === null || type === 'open' || type === 'error') return apply(add, self, args);
    const fn = args[1];
    if (standIns && typeof fn === 'function') return addStandIn(rec, add, type, fn, args[2]);
    try {
      // A listener the hooks do not stand in for (an object with handleEvent): their own
      // listener of the type is registered before it, and stays.
      if (fn !== null && typeof fn === 'object') {
        const state = typeState(rec, type);
        state.pinned = true;
        listenOwn(rec, type, state);
      }
    } catch (error) {
      hookError('sse.listen', error);
    }
    return apply(add, self, args);
  });

  hookRecordedMethod(EventTarget.prototype, 'removeEventListener', 'sse.unlisten', records, (remove, self, args) => {
    const rec = weakMapGet(records, self) as SourceRecord | undefined;
    if (rec === undefined) return apply(remove, self, args);
    const type = typeOf(args);
    const fn = args[1];
    if (type === null || type === 'open' || type === 'error' || typeof fn !== 'function') return apply(remove, self, args);
    const capture = readCapture(args[2]);
    const w = wrappedOf(rec, fn, type, capture);
    if (w === undefined) return apply(remove, self, [type, fn, capture]);
    const result = apply(remove, self, [type, w.standIn, capture]);
    try {
      standInGone(rec, w);
    } catch (error) {
      hookError('sse.unlisten', error);
    }
    return result;
  });

  if (standIns) {
    // onmessage: the page's value is kept here, and its stand-in listens in the event handler's
    // place (HTML § 8.1.8.1: added when first set, kept in place while set, removed when set to null).
    hookRecordedAccessor(
      native.prototype,
      'onmessage',
      'sse.onmessage',
      records,
      (get, self) => {
        const rec = weakMapGet(records, self) as SourceRecord | undefined;
        return rec === undefined ? apply(get, self, []) : rec.handlerValue;
      },
      (set, self, value) => {
        const rec = weakMapGet(records, self) as SourceRecord | undefined;
        if (rec === undefined) return apply(set, self, [value]);
        // [LegacyTreatNonObjectAsNull]: a value that is no object is null; an object that cannot be called does nothing.
        const handler = (typeof value === 'object' && value !== null) || typeof value === 'function' ? value : null;
        rec.handlerValue = handler;
        rec.handlerCall = typeof handler === 'function' ? callWith(handler, rec.source) : noop;
        try {
          if (handler === null) {
            if (rec.handler !== null) dropStandIn(rec, rec.handler);
          } else {
            if (rec.handler === null) rec.handler = standIn(rec, 'message', false, (event) => handlerCall(rec, event));
            if (!rec.handler.live) {
              addListener(rec.source, 'message', rec.handler.standIn, false);
              standInAdded(rec, rec.handler, false);
            }
          }
        } catch (error) {
          hookError('sse.onmessage', error);
        }
        return undefined;
      },
    );
  }

  return hookConstructor(global, 'EventSource', (target, args, newTarget) => {
    const source = construct(target, args, newTarget) as EventSource;
    try {
      const rec = track(source);
      if (isOffline()) drop(rec);
    } catch (error) {
      hookError('sse.create', error);
    }
    return source;
  });
}
