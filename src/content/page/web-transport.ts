/**
 * WebTransport hook. The constructor is a Proxy that builds the native session and, before
 * the page gets it, attaches the hook's handlers to its `ready` and `closed` promises (Chromium
 * marks both as handled itself: a page that ignores them sees no unhandledrejection either way)
 * and marks its streams for following. Nothing is wrapped or replaced: the page gets the
 * native session, promises, streams and errors.
 *
 * - Bytes read: the session's incoming streams, the readable side of every stream and the
 *   datagrams' readable are followed through the body followers of response-body.ts (every
 *   reader, iterator, tee and pipe of the page), which tell the hook each chunk a page's read
 *   returns, first, and never read ahead: a stream the page does not read is not read.
 * - Bytes written: writes through a writer of a send stream or of the datagrams' writable
 *   (`getWriter().write()`), recorded (with the call's time) once the platform accepted them,
 *   so a write the session's failure rejects records nothing; `close()`/`abort()` end the
 *   stream's side. A pipe into a send stream (`pipeTo`) writes without a writer and is not
 *   recorded.
 * - Streams are numbered per session in the order the hook sees them: at the resolution of
 *   `createBidirectionalStream()`/`createUnidirectionalStream()` (the page's), and as the
 *   page reads them from `incomingBidirectionalStreams`/`incomingUnidirectionalStreams` (the
 *   server's).
 */
import type { Payload } from '../../core/events.ts';
import { emit, hookError, nextConn, now } from './emitter.ts';
import { apply, isArrayBuffer, bytesRange, construct, ErrorCtor, getOwnPropertyDescriptor, global, isView, promiseThen, StringCtor, URLCtor, urlHref, weakMapGet, weakMapSet } from './natives.ts';
import { hookConstructor, hookMethod, hookRecordedMethod, owned, rethrowScrubbed, scrubbed, sharedMap, type Owned } from './patch.ts';
import { binaryPayload, bytesOf } from './payload.ts';
import { followStream, type Source, type StreamFollower } from './response-body.ts';

type Getter = (self: unknown) => unknown;

/** The getter `key` of `proto`, uncurried; null when the platform lacks it. */
function getterOf(proto: object | undefined, key: string): Getter | null {
  if (proto === undefined) return null;
  const d = getOwnPropertyDescriptor(proto, key);
  const get = d?.get;
  return typeof get === 'function' ? (self) => apply(get, self, []) : null;
}

// Captured when the hooks install, at document_start, before any page script.
const wtCtor = (global as unknown as { WebTransport?: unknown }).WebTransport;
const wtProto = typeof wtCtor === 'function' ? (wtCtor.prototype as object) : undefined;
const bidiProto = (global as unknown as { WebTransportBidirectionalStream?: { prototype: object } }).WebTransportBidirectionalStream?.prototype;
const datagramsProto = (global as unknown as { WebTransportDatagramDuplexStream?: { prototype: object } }).WebTransportDatagramDuplexStream?.prototype;
const wtGet = {
  ready: getterOf(wtProto, 'ready'),
  closed: getterOf(wtProto, 'closed'),
  datagrams: getterOf(wtProto, 'datagrams'),
  incomingBidi: getterOf(wtProto, 'incomingBidirectionalStreams'),
  incomingUni: getterOf(wtProto, 'incomingUnidirectionalStreams'),
  protocol: getterOf(wtProto, 'protocol'),
};
const bidiGet = { readable: getterOf(bidiProto, 'readable'), writable: getterOf(bidiProto, 'writable') };
const datagramsGet = { readable: getterOf(datagramsProto, 'readable'), writable: getterOf(datagramsProto, 'writable') };
const exceptionProto = typeof DOMException === 'function' ? DOMException.prototype : undefined;
const exceptionGet = { name: getterOf(exceptionProto, 'name'), message: getterOf(exceptionProto, 'message') };
const wtErrorProto = (global as unknown as { WebTransportError?: { prototype: object } }).WebTransportError?.prototype;
const wtErrorSource = getterOf(wtErrorProto, 'source');
const DOMExceptionCtor = typeof DOMException === 'function' ? DOMException : null;

interface SessionRecord {
  conn: string;
  /** Streams numbered so far. */
  streams: number;
  /** The page called close() before the session ended. */
  closedByPage: boolean;
  ended: boolean;
}

/** Where a followed writable's writes go: a stream's outgoing side, or the datagrams (stream null). */
interface Sink {
  rec: SessionRecord;
  stream: number | null;
  ended: boolean;
}

/** WebTransport → its record, shared with related realms (set when the hooks install). */
let sessions: WeakMap<object, SessionRecord & Owned>;
/** A send stream, the datagrams' writable, or a writer of one → its Sink. */
let sinks: WeakMap<object, Sink>;

/** An own data property of a plain object the platform made (a page getter on Object.prototype is not run). */
function ownValue(object: unknown, key: string): unknown {
  if (object === null || typeof object !== 'object') return undefined;
  const d = getOwnPropertyDescriptor(object, key);
  return d && 'value' in d ? d.value : undefined;
}

/** Name, message and WebTransportError.source of an error, through the natives' getters. */
function errorFacts(error: unknown): { name: string; message: string; source: string } {
  if (DOMExceptionCtor !== null && error instanceof DOMExceptionCtor && exceptionGet.name && exceptionGet.message) {
    let source = '';
    if (wtErrorProto !== undefined && wtErrorSource !== null) {
      try {
        source = StringCtor(wtErrorSource(error));
      } catch {
        // Not a WebTransportError.
      }
    }
    return { name: StringCtor(exceptionGet.name(error)), message: StringCtor(exceptionGet.message(error)), source };
  }
  const message = ownValue(error, 'message');
  return { name: error instanceof ErrorCtor ? 'Error' : typeof error, message: typeof message === 'string' ? message : '', source: '' };
}

/** The URL the page gave the constructor, read without running page code again (the native converted it already). */
function urlOf(arg: unknown): string {
  if (typeof arg === 'string') return arg;
  if (arg instanceof URLCtor) return StringCtor(urlHref(arg));
  return '';
}

/** A payload of bytes written or read (binary, bounded like WebSocket payloads). */
function payloadOf(bytes: Uint8Array): Payload {
  return binaryPayload(bytes, bytes.byteLength);
}

/**
 * Follows the page's reads of one readable: a stream's incoming side (`stream` its number),
 * the datagrams (`stream` null), or an incoming-streams readable (`incoming` set: its chunks
 * are streams). Each tee branch counts its own offset; what one branch already delivered is
 * not recorded twice.
 */
class ReadFollower implements StreamFollower {
  streams = 1;
  private seen = 0;
  private ended = false;

  constructor(
    private readonly rec: SessionRecord,
    private readonly stream: number | null,
    private readonly incoming: { bidi: boolean } | null = null,
  ) {}

  source(offset: number): Source {
    return { watch: this, offset, cancelled: false };
  }

  touched(): void {}

  feed(source: Source, bytes: Uint8Array): void {
    const start = source.offset;
    source.offset = start + bytes.byteLength;
    if (this.incoming !== null || source.offset <= this.seen) return;
    const skip = this.seen - start;
    const fresh = skip > 0 ? bytesRange(bytes, skip) : bytes;
    this.seen = source.offset;
    const { conn } = this.rec;
    if (this.stream === null) emit({ type: 'wt.datagram', conn, dir: 'in', data: payloadOf(fresh) });
    else emit({ type: 'wt.data', conn, stream: this.stream, dir: 'in', data: payloadOf(fresh) });
  }

  value(source: Source, value: unknown): void {
    if (this.incoming === null) return;
    source.offset++;
    if (source.offset <= this.seen) return;
    this.seen = source.offset;
    if (value !== null && typeof value === 'object') openedStream(this.rec, value, this.incoming.bidi, 'server');
  }

  private end(how: 'end' | 'cancel' | 'error', message: string): void {
    if (this.ended) return;
    this.ended = true;
    if (this.stream !== null) emit({ type: 'wt.stream.end', conn: this.rec.conn, stream: this.stream, dir: 'in', how, message });
  }

  finish(source: Source): void {
    if (!source.cancelled && source.offset >= this.seen) this.end('end', '');
  }

  fail(error: unknown): void {
    scrubbed(error);
    this.end('error', errorFacts(error).message);
  }

  cancelled(source: Source): void {
    if (source.cancelled) return;
    source.cancelled = true;
    this.streams--;
    if (this.streams <= 0) this.end('cancel', '');
  }
}

/** A stream of the session opened (by the page or the server): number it and follow its sides. */
function openedStream(rec: SessionRecord, value: object, bidi: boolean, initiator: 'client' | 'server'): void {
  const stream = ++rec.streams;
  emit({ type: 'wt.stream', conn: rec.conn, stream, bidi, initiator });
  if (bidi) {
    if (bidiGet.readable === null || bidiGet.writable === null) return;
    followStream(bidiGet.readable(value) as object, new ReadFollower(rec, stream));
    weakMapSet(sinks, bidiGet.writable(value) as object, { rec, stream, ended: false });
  } else if (initiator === 'client') {
    weakMapSet(sinks, value, { rec, stream, ended: false });
  } else {
    followStream(value, new ReadFollower(rec, stream));
  }
}

/** What a chunk the page writes to a sink would record (null for anything but bytes, which the write rejects). */
function writtenPayload(chunk: unknown): Payload | null {
  return isArrayBuffer(chunk) || isView(chunk) ? payloadOf(bytesOf(chunk as ArrayBuffer | ArrayBufferView)) : null;
}

/** A write the platform accepted (its promise fulfilled): the bytes went out at `t`, the call. */
function recordWrite(sink: Sink, data: Payload, t: number): void {
  const { conn } = sink.rec;
  if (sink.stream === null) emit({ type: 'wt.datagram', conn, dir: 'out', data, t });
  else emit({ type: 'wt.data', conn, stream: sink.stream, dir: 'out', data, t });
}

/** The page's close or abort of a sink (its writer or the stream itself) went through, called at `t`. */
function endWrite(sink: Sink, how: 'end' | 'abort', t: number): void {
  if (sink.ended) return;
  sink.ended = true;
  if (sink.stream !== null) emit({ type: 'wt.stream.end', conn: sink.rec.conn, stream: sink.stream, dir: 'out', how, message: '', t });
}

function track(transport: object, url: string): void {
  const rec = owned<SessionRecord>({ conn: nextConn(), streams: 0, closedByPage: false, ended: false });
  weakMapSet(sessions, transport, rec);
  const { conn } = rec;
  emit({ type: 'wt.create', conn, url });
  // The hook's handlers are attached first, so they run before any of the page's.
  if (wtGet.ready) {
    promiseThen(
      wtGet.ready(transport) as Promise<unknown>,
      () => {
        try {
          const protocol = wtGet.protocol ? wtGet.protocol(transport) : '';
          emit({ type: 'wt.ready', conn, protocol: typeof protocol === 'string' ? protocol : '' });
        } catch (error) {
          hookError('wt.ready', error);
        }
      },
      // Reported once, with `closed` (which rejects too); a rejection made inside the hooked close() leaves without the hook's frames.
      scrubbed,
    );
  }
  if (wtGet.closed) {
    promiseThen(
      wtGet.closed(transport) as Promise<unknown>,
      (info) => {
        try {
          if (rec.ended) return;
          rec.ended = true;
          const code = ownValue(info, 'closeCode');
          const reason = ownValue(info, 'reason');
          emit({
            type: 'wt.close',
            conn,
            code: typeof code === 'number' ? code : 0,
            reason: typeof reason === 'string' ? reason : '',
            initiator: rec.closedByPage ? 'client' : 'server',
          });
        } catch (error) {
          hookError('wt.close', error);
        }
      },
      (error) => {
        try {
          scrubbed(error);
          if (rec.ended) return;
          rec.ended = true;
          emit({ type: 'wt.error', conn, ...errorFacts(error) });
        } catch (failure) {
          hookError('wt.error', failure);
        }
      },
    );
  }
  if (wtGet.datagrams && datagramsGet.readable && datagramsGet.writable) {
    const datagrams = wtGet.datagrams(transport);
    followStream(datagramsGet.readable(datagrams) as object, new ReadFollower(rec, null));
    weakMapSet(sinks, datagramsGet.writable(datagrams) as object, { rec, stream: null, ended: false });
  }
  if (wtGet.incomingBidi) followStream(wtGet.incomingBidi(transport) as object, new ReadFollower(rec, null, { bidi: true }));
  if (wtGet.incomingUni) followStream(wtGet.incomingUni(transport) as object, new ReadFollower(rec, null, { bidi: false }));
}

/**
 * The promise a hooked method returns to the page: the native's, followed (`opened` runs first,
 * on fulfilment) and with a rejection made inside the hooked call scrubbed of the hook's frames.
 * The page gets this derived promise, not the native, so a rejection it ignores is still reported
 * as unhandled (a handler on the native would mark it handled); it settles one microtask later.
 */
function followed(result: unknown, opened: (value: unknown) => void): unknown {
  if (result === null || typeof result !== 'object') return result;
  return promiseThen(
    result as Promise<unknown>,
    (value) => {
      try {
        opened(value);
      } catch (error) {
        hookError('wt.stream', error);
      }
      return value;
    },
    rethrowScrubbed,
  );
}

/** Follow writes to the followed writables (send streams, datagrams): their writers, and close/abort. */
function installWriteFollowers(): void {
  const streamProto = WritableStream.prototype;
  const sinkAt = (key: unknown): Sink | undefined => weakMapGet(sinks, key) as Sink | undefined;
  const inherit = (stream: unknown, writer: unknown): void => {
    const sink = sinkAt(stream);
    if (sink !== undefined && writer !== null && typeof writer === 'object') weakMapSet(sinks, writer, sink);
  };
  hookMethod(streamProto, 'getWriter', (getWriter, self, args) => {
    const writer = apply(getWriter, self, args);
    inherit(self, writer);
    return writer;
  });
  if (typeof global.WritableStreamDefaultWriter === 'function') {
    hookConstructor(global, 'WritableStreamDefaultWriter', (target, args, newTarget) => {
      const writer = construct(target, args, newTarget);
      inherit(args[0], writer);
      return writer;
    });
  }
  const writerProto = WritableStreamDefaultWriter.prototype;
  // Recorded once the platform accepted them: a write the session's failure rejects sent nothing.
  hookMethod(writerProto, 'write', (write, self, args) => {
    const sink = sinkAt(self);
    if (sink === undefined) return apply(write, self, args);
    const t = now();
    let data: Payload | null = null;
    try {
      data = writtenPayload(args[0]);
    } catch (error) {
      hookError('wt.write', error);
    }
    return followed(apply(write, self, args), () => {
      if (data !== null) recordWrite(sink, data, t);
    });
  });
  for (const [owner, name] of [
    [writerProto, 'close'],
    [writerProto, 'abort'],
    [streamProto, 'close'],
    [streamProto, 'abort'],
  ] as const) {
    hookMethod(owner, name, (end, self, args) => {
      const sink = sinkAt(self);
      if (sink === undefined) return apply(end, self, args);
      const t = now();
      return followed(apply(end, self, args), () => endWrite(sink, name === 'close' ? 'end' : 'abort', t));
    });
  }
}

/** Install the WebTransport hooks; true when the platform has no WebTransport (nothing to hook), false when not patchable. */
export function installWebTransportHooks(): boolean {
  const native = global.WebTransport as unknown;
  if (typeof native !== 'function' || wtProto === undefined) return true;
  sessions = sharedMap('webtransport');
  sinks = sharedMap('webtransport.sink');
  const proto = wtProto;

  for (const [name, bidi] of [
    ['createBidirectionalStream', true],
    ['createUnidirectionalStream', false],
  ] as const) {
    hookRecordedMethod(proto, name, `wt.${name}`, sessions, (create, self, args) => {
      const result = apply(create, self, args);
      const rec = weakMapGet(sessions, self) as SessionRecord | undefined;
      if (rec === undefined) return result;
      return followed(result, (stream) => {
        if (stream !== null && typeof stream === 'object') openedStream(rec, stream, bidi, 'client');
      });
    });
  }

  hookRecordedMethod(proto, 'close', 'wt.close', sessions, (close, self, args) => {
    const rec = weakMapGet(sessions, self) as SessionRecord | undefined;
    const result = apply(close, self, args);
    // Marked once the native accepted the call (an invalid close info throws, closing nothing).
    if (rec !== undefined && !rec.ended) rec.closedByPage = true;
    return result;
  });

  installWriteFollowers();

  return hookConstructor(global, 'WebTransport', (target, args, newTarget) => {
    const transport = construct(target, args, newTarget);
    try {
      track(transport, urlOf(args[0]));
    } catch (error) {
      hookError('wt.create', error);
    }
    return transport;
  });
}
