/**
 * WebSocket hook: the constructor is a Proxy that builds the native socket and
 * registers the hook's listeners on it before the page gets the instance, so
 * they run first for every event (and faults can hold or replace an event
 * before any page listener sees it). `send` and `close` are Proxies on the
 * prototype. Messages are recorded on arrival with a bounded payload.
 */
import type { Payload } from '../../core/events.ts';
import { COMPACT_WS, type QueuedMessage } from '../../shared/page-bridge.ts';
import { emit, emitQueued, hookError, nextConn, now } from './emitter.ts';
import {
  copyOfEvent,
  copyOfMessage,
  InboundGate,
  isOffline,
  registerTarget,
  trackGate,
  unregisterTarget,
  untrackGate,
} from './faults.ts';
import {
  addListener,
  apply,
  isArrayBuffer,
  CAPTURE,
  blobArrayBuffer,
  BlobCtor,
  blobSize,
  blobSlice,
  closeEventGet,
  CloseEventCtor,
  construct,
  dictionary,
  global,
  isArray,
  isView,
  messageEventGet,
  promiseThen,
  setTimer,
  Uint8ArrayCtor,
  weakMapGet,
  weakMapSet,
  wsClose,
  wsGet,
} from './natives.ts';
import { hookConstructor, hookRecordedMethod, owned, sharedMap, type Owned } from './patch.ts';
import { binaryPayload, binaryPreviewBytes, bytesOf, TextBudget } from './payload.ts';

/**
 * bufferedAmount above which a send is reported as backpressure; reported again
 * only after doubling, or after draining below the threshold, to stay bounded.
 */
const BUFFERED_THRESHOLD_BYTES = 256 * 1024;
/** How long a dropped socket's page-visible close waits for the native close event. */
const DROP_CLOSE_FALLBACK_MS = 1000;

// WHATWG WebSockets § readyState values.
const CONNECTING = 0;
const OPEN = 1;

interface CloseOverride {
  code: number;
  reason: string;
  wasClean: boolean;
  delivered: boolean;
}

interface SocketRecord {
  conn: string;
  socket: WebSocket;
  gate: InboundGate;
  /** The page called close() while the socket was connecting or open. */
  closedByPage: boolean;
  /** A fault replaces the native close with this one. */
  override: CloseOverride | null;
  /** Pending Blob reads: later events of this socket wait for them, to keep order. */
  pending: Promise<unknown> | null;
  lastBuffered: number;
  /** Text kept per second, both directions together. */
  budget: TextBudget;
}

/** WebSocket → its record, shared with related realms (set when the hooks install). */
let records: WeakMap<object, SocketRecord & Owned>;

function protocolList(value: unknown): string[] {
  if (value === undefined) return [];
  if (typeof value === 'string') return [value];
  // Only strings: converting page objects again would run their toString twice.
  const list: string[] = [];
  if (isArray(value)) for (let i = 0; i < value.length; i++) if (typeof value[i] === 'string') list[list.length] = value[i] as string;
  return list;
}

/** Emit an event, or queue a message in its compact form, after any pending Blob read of this socket so its events stay in order. */
function emitInOrder(rec: SocketRecord, event: Parameters<typeof emit>[0] | QueuedMessage): void {
  if (rec.pending === null) emitEither(event);
  else rec.pending = promiseThen(rec.pending, () => emitEither(event));
}

function emitEither(event: Parameters<typeof emit>[0] | QueuedMessage): void {
  if (isArray(event)) emitQueued(event);
  else emit(event);
}

function emitMessage(rec: SocketRecord, dir: 'in' | 'out', data: unknown, t: number): void {
  if (typeof data === 'string') {
    const budget = rec.budget;
    const text = budget.keep(data, t);
    // A ws.message (QueuedMessage) with a text payload.
    emitInOrder(rec, [COMPACT_WS, rec.conn, t, 0, budget.size, 0, budget.cut, dir === 'in' ? 0 : 1, text]);
  } else if (isArrayBuffer(data) || isView(data)) {
    const bytes = bytesOf(data as ArrayBuffer | ArrayBufferView);
    const payload = binaryPayload(bytes, bytes.byteLength);
    emitInOrder(rec, { type: 'ws.message', conn: rec.conn, dir, data: payload, t });
  } else if (data instanceof BlobCtor) {
    const size = blobSize(data);
    const read = blobArrayBuffer(blobSlice(data, 0, binaryPreviewBytes()));
    const emitBlob = (payload: Payload): void => emit({ type: 'ws.message', conn: rec.conn, dir, data: payload, t });
    const after = rec.pending === null ? read : promiseThen(rec.pending, () => read);
    const chain = promiseThen(
      after,
      (buffer) => emitBlob(binaryPayload(new Uint8ArrayCtor(buffer as ArrayBuffer), size)),
      () => emitBlob({ size, encoding: 'binary', data: '', truncated: size > 0 }),
    );
    rec.pending = chain;
    promiseThen(chain, () => {
      if (rec.pending === chain) rec.pending = null;
    });
  }
}

function onOpen(rec: SocketRecord): void {
  emitInOrder(rec, {
    type: 'ws.open',
    conn: rec.conn,
    protocol: wsGet.protocol(rec.socket) as string,
    extensions: wsGet.extensions(rec.socket) as string,
  });
}

function onMessage(rec: SocketRecord, event: MessageEvent): void {
  const data = messageEventGet.data(event);
  emitMessage(rec, 'in', data, now());
  rec.gate.intercept(event, copyMessage);
}

/** A held message or error, to deliver later. */
const copyMessage = copyOfMessage('message');
const copyError = copyOfEvent('error');

function onError(rec: SocketRecord, event: Event): void {
  if (rec.override) {
    // The fault delivers its own close; a native error of the closing socket is hidden.
    rec.gate.replace(event, []);
    return;
  }
  emitInOrder(rec, { type: 'ws.error', conn: rec.conn });
  rec.gate.intercept(event, copyError);
}

function deliverOverride(rec: SocketRecord, nativeClose: Event | null): void {
  const o = rec.override!;
  if (o.delivered) {
    if (nativeClose) rec.gate.replace(nativeClose, []);
    return;
  }
  o.delivered = true;
  emitInOrder(rec, {
    type: 'ws.close',
    conn: rec.conn,
    code: o.code,
    reason: o.reason,
    wasClean: o.wasClean,
    initiator: 'server',
  });
  // Chromium fires no `error` when the TCP connection of an open socket just ends
  // (faults.browser.test.ts compares with a real drop): only `close` is delivered.
  rec.gate.replace(nativeClose, [new CloseEventCtor('close', dictionary({ code: o.code, reason: o.reason, wasClean: o.wasClean }))]);
  finish(rec);
}

function onClose(rec: SocketRecord, event: CloseEvent): void {
  if (rec.override) {
    deliverOverride(rec, event);
    return;
  }
  const code = closeEventGet.code(event) as number;
  const reason = closeEventGet.reason(event) as string;
  const wasClean = closeEventGet.wasClean(event) as boolean;
  emitInOrder(rec, {
    type: 'ws.close',
    conn: rec.conn,
    code,
    reason,
    wasClean,
    initiator: rec.closedByPage ? 'client' : 'server',
  });
  rec.gate.intercept(event, () => new CloseEventCtor('close', dictionary({ code, reason, wasClean })));
  finish(rec);
}

function finish(rec: SocketRecord): void {
  unregisterTarget(rec.conn);
  untrackGate(rec.gate);
}

/** Close the native socket and show the page `override` instead of the native close. */
function injectClose(rec: SocketRecord, override: Omit<CloseOverride, 'delivered'>): void {
  if (rec.override) return;
  rec.override = { ...override, delivered: false };
  const state = wsGet.readyState(rec.socket) as number;
  if (state === CONNECTING || state === OPEN) wsClose(rec.socket);
  setTimer(() => {
    if (rec.override && !rec.override.delivered) deliverOverride(rec, null);
  }, DROP_CLOSE_FALLBACK_MS);
}

function listen(rec: SocketRecord): void {
  const guard =
    (handler: (rec: SocketRecord, event: never) => void, name: string) =>
    (event: Event): void => {
      // Events the page dispatches itself are not traffic; re-delivered ones were recorded on arrival.
      if (!event.isTrusted) return;
      try {
        handler(rec, event as never);
      } catch (error) {
        hookError(name, error);
      }
    };
  addListener(rec.socket, 'open', guard(onOpen, 'ws.open'), CAPTURE);
  addListener(rec.socket, 'message', guard(onMessage, 'ws.message'), CAPTURE);
  addListener(rec.socket, 'error', guard(onError, 'ws.error'), CAPTURE);
  addListener(rec.socket, 'close', guard(onClose, 'ws.close'), CAPTURE);
}

function track(socket: WebSocket, protocols: unknown): void {
  const conn = nextConn();
  const rec = owned<SocketRecord>({
    conn,
    socket,
    gate: new InboundGate(socket, conn),
    closedByPage: false,
    override: null,
    pending: null,
    lastBuffered: 0,
    budget: new TextBudget(),
  });
  weakMapSet(records, socket, rec);
  emit({ type: 'ws.create', conn, url: wsGet.url(socket) as string, protocols: protocolList(protocols) });
  listen(rec);
  trackGate(rec.gate);
  registerTarget(conn, {
    drop: () => injectClose(rec, { code: 1006, reason: '', wasClean: false }),
    serverClose: (code, reason) => injectClose(rec, { code, reason, wasClean: true }),
  });
}

/** Install the WebSocket hooks; false when the global is missing or not patchable. */
export function installWebSocketHooks(): boolean {
  const native = global.WebSocket;
  if (typeof native !== 'function') return false;
  const proto = native.prototype;
  records = sharedMap('websocket');

  hookRecordedMethod(proto, 'send', 'ws.send', records, (send, self, args) => {
    const rec = weakMapGet(records, self) as SocketRecord | undefined;
    const result = apply(send, self, args);
    if (rec) {
      try {
        if ((wsGet.readyState(self) as number) === OPEN) {
          emitMessage(rec, 'out', args[0], now());
          const buffered = wsGet.bufferedAmount(self) as number;
          if (buffered > BUFFERED_THRESHOLD_BYTES && buffered >= rec.lastBuffered * 2) {
            rec.lastBuffered = buffered;
            emit({ type: 'ws.buffered', conn: rec.conn, bufferedAmount: buffered });
          } else if (buffered <= BUFFERED_THRESHOLD_BYTES) rec.lastBuffered = 0;
        }
      } catch (error) {
        hookError('ws.send', error);
      }
    }
    return result;
  });

  hookRecordedMethod(proto, 'close', 'ws.close', records, (close, self, args) => {
    const rec = weakMapGet(records, self) as SocketRecord | undefined;
    let marked = false;
    if (rec && !rec.closedByPage) {
      const state = wsGet.readyState(self) as number;
      if (state === CONNECTING || state === OPEN) {
        rec.closedByPage = true;
        marked = true;
      }
    }
    try {
      return apply(close, self, args);
    } catch (error) {
      // Invalid code or reason: nothing was closed.
      if (marked && rec) rec.closedByPage = false;
      throw error;
    }
  });

  return hookConstructor(global, 'WebSocket', (target, args, newTarget) => {
    const socket = construct(target, args, newTarget) as WebSocket;
    try {
      track(socket, args[1]);
      if (isOffline()) {
        // Closing a CONNECTING socket fails the connection: `error`, then `close` 1006,
        // which is what the page sees when the network is down.
        wsClose(socket);
      }
    } catch (error) {
      hookError('ws.create', error);
    }
    return socket;
  });
}
