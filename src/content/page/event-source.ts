/**
 * EventSource hook. The constructor Proxy registers the hook's listeners for
 * open, error and message on the native object before the page gets it. Named
 * events reach only listeners registered for their name, so the
 * `addEventListener` Proxy registers the hook's own listener for a new name on
 * a tracked EventSource just before the page's (so it still runs first).
 * Events the page never listens to cannot be observed on a native EventSource.
 */
import { COMPACT_SSE, SSE_ID_CHANGED, SSE_ID_UNREAD, sseEventCode } from '../../shared/page-bridge.ts';
import { emit, emitQueuedInListener, hookError, nextConn, now } from './emitter.ts';
import { copyOfEvent, copyOfMessage, InboundGate, isOffline, registerTarget, trackGate, unregisterTarget, untrackGate } from './faults.ts';
import {
  addListener,
  apply,
  CAPTURE,
  construct,
  esClose,
  esGet,
  EventCtor,
  global,
  messageEventGet,
  SetCtor,
  setAdd,
  setHas,
  setTimer,
  StringCtor,
  weakMapGet,
  weakMapSet,
} from './natives.ts';
import { hookConstructor, hookRecordedMethod, owned, sharedMap, type Owned } from './patch.ts';
import { TextBudget } from './payload.ts';

// WHATWG HTML § 9.2.2 EventSource readyState values.
const CLOSED = 2;
/** Types the constructor already listens to. */
const BUILT_IN = ['open', 'error', 'message'];

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

interface SourceRecord {
  conn: string;
  source: EventSource;
  gate: InboundGate;
  lastEventId: string;
  idReads: IdReads;
  types: Set<string>;
  ended: boolean;
  budget: TextBudget;
}

/** EventSource → its record, shared with related realms (set when the hooks install). */
let records: WeakMap<object, SourceRecord & Owned>;

/** The recorder for events of `type` (a listener only ever receives its own type: no `type` read per event). */
function onEventOf(type: string) {
  const copy = copyOfMessage(type);
  const code = sseEventCode(type);
  return (rec: SourceRecord, event: MessageEvent): void => onEvent(rec, event, code, copy);
}

const copyOpen = copyOfEvent('open');
const copyError = copyOfEvent('error');

function onEvent(rec: SourceRecord, event: MessageEvent, type: string | 0, copy: (event: Event) => Event): void {
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
  rec.gate.intercept(event, copy);
}

function guarded(rec: SourceRecord, name: string, handler: (rec: SourceRecord, event: never) => void) {
  return (event: Event): void => {
    // Events the page dispatches itself are not traffic; re-delivered ones were recorded on arrival.
    if (!event.isTrusted) return;
    try {
      handler(rec, event as never);
    } catch (error) {
      hookError(name, error);
    }
  };
}

function end(rec: SourceRecord): void {
  if (rec.ended) return;
  rec.ended = true;
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

/** A new set of BUILT_IN (the Set constructor would call the page-replaceable iterator and `add`). */
function builtInTypes(): Set<string> {
  const types = new SetCtor<string>();
  for (let i = 0; i < BUILT_IN.length; i++) setAdd(types, BUILT_IN[i]!);
  return types;
}

function track(source: EventSource): SourceRecord {
  const conn = nextConn();
  const rec = owned<SourceRecord>({
    conn,
    source,
    gate: new InboundGate(source, conn),
    lastEventId: '',
    idReads: new IdReads(),
    types: builtInTypes(),
    ended: false,
    budget: new TextBudget(),
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
  addListener(source, 'message', guarded(rec, 'sse.message', onEventOf('message')), CAPTURE);
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

  hookRecordedMethod(EventTarget.prototype, 'addEventListener', 'sse.listen', records, (add, self, args) => {
    const rec = weakMapGet(records, self) as SourceRecord | undefined;
    if (rec !== undefined) {
      try {
        const type = args[0];
        if (typeof type === 'string' && !setHas(rec.types, type)) {
          setAdd(rec.types, type);
          addListener(self, type, guarded(rec, 'sse.message', onEventOf(type)), CAPTURE);
        }
      } catch (error) {
        hookError('sse.listen', error);
      }
    }
    return apply(add, self, args);
  });

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
