/**
 * Response bodies of fetch, observed without taking back-pressure from the page.
 *
 * Chromium's `Response.clone()` tees a network body natively (Blink
 * bytes_consumer_tee.cc, TeeHelper::OnStateChange): it reads the source whenever
 * data is there and queues every chunk for both branches, however slowly either
 * is read, and cancelling one branch leaves the other filling. A hook that clones
 * every response therefore downloads and buffers every body in full, read by the
 * page or not (an endless stream the page never read: 1.6 GB in 5 s). So a body
 * is cloned only when it is known to be small, or when the page itself consumes
 * all of it (`text()`, `json()`, …); otherwise the hook observes the bytes as the
 * page reads them, on the page's own stream:
 * - small: Content-Length at most the capture's text cap and no content coding
 *   (the decoded size is then known): cloned a task after the response arrived, or
 *   when the page first takes its `body` stream, unless the page has consumed it by
 *   then; bodies the page never reads are captured too;
 * - `text()`, `json()`, `arrayBuffer()`, `bytes()` on a body of declared length (one
 *   document, no stream of records): no clone; the hook records what the call gives the
 *   page (`text()` and `json()` are served from `arrayBuffer()`'s bytes, decoded as
 *   they decode; see BodyWatch.json; `json()` in Chromium only), or for a text body over
 *   LARGE_TEXT_MIN_BYTES from the native `text()`, hashed from the text (BodyWatch.finishWithText);
 * - `blob()`, `formData()`, and every call on a body of unknown length (a long-poll
 *   may trickle bytes, whose times the hook keeps): cloned at the call, the hook
 *   reading its branch (in one native call for a small body of declared length, else
 *   chunk by chunk) as the native call reads the other. On a path whose bodies of
 *   unknown length have so far each come whole promptly (PROMPT), `text()` & co. are
 *   served from the call's result as for a declared length, with no clone. Serving
 *   `text()` & co. by reading the page's own stream instead spared the tee (2,000 small fetches: 1.59
 *   against 1.65 times the page's own CPU) but left the page's DevTools without the
 *   body of a third of such requests (test/e2e/har-equivalence.e2e.test.ts);
 * - the `body` stream: every way of reading it is followed (default and BYOB
 *   readers, async iteration, `tee()`, `pipeTo()`/`pipeThrough()`), the hook seeing
 *   each chunk the page's read returns, first, and never reading ahead of the page.
 *   A pipe runs through an identity TransformStream of the hook's (one chunk of
 *   buffering); a page pipe with `preventCancel` that stops early leaves the body
 *   locked by the hook's half of the pipe.
 * A body the page consumes in a way the hook cannot follow (a `new Response(body)`,
 * a Cache API put) leaves its request open in the capture; one the page drops unread
 * ends with an abort when the Response is garbage-collected, as the browser then
 * cancels it.
 */
import { emit, hookError, now, settings } from './emitter.ts';
import { recordingSseParser } from './sse-stream.ts';
import { registerTarget, unregisterTarget } from './faults.ts';
import type { HeaderList } from '../../core/events.ts';
import type { SseParser } from '../../core/sse-parser.ts';
import {
  abortControllerAbort,
  abortControllerSignal,
  abortSignalAborted,
  abortSignalReason,
  addListener,
  apply,
  bytesRange,
  construct,
  dictionary,
  FinalizationRegistryCtor,
  GECKO,
  finalizationRegister,
  finalizationUnregister,
  global,
  isView,
  jsonParse,
  MapCtor,
  mapGet,
  mapSet,
  defineProperty,
  ErrorCtor,
  getOwnPropertyDescriptor,
  hasOwn,
  promiseThen,
  readerCancel,
  ownRegExp,
  readerRead,
  regExpTest,
  removeListener,
  responseArrayBuffer,
  responseBodyUsed,
  responseTextMethod,
  responseClone,
  responseGet,
  setTimer,
  streamGetReader,
  streamLocked,
  streamPipeTo,
  STREAM,
  StringCtor,
  stringIndexOf,
  stringSlice,
  stringStartsWith,
  stringToLowerCase,
  stringTrim,
  textDecode,
  TextDecoderCtor,
  transformEnqueue,
  transformGet,
  TransformStreamCtor,
  TypeErrorCtor,
  typedArrayByteLength,
  typedArraySet,
  Uint8ArrayCtor,
  weakMapDelete,
  weakMapGet,
  weakMapSet,
} from './natives.ts';
import { hookConstructor, hookGetter, hookMethod, rethrowScrubbed, scrubbed, sharedMap } from './patch.ts';
import { binaryPayload, binaryPreviewBytes, BodyHasher, bytesOf, EMPTY_BODY_HASH, isStreamingType, isTextual, utf8Length } from './payload.ts';
import { digestText } from './text-digest.ts';

/**
 * Text bodies of a declared length over this are served to the page's `text()` and `json()`
 * from the native `text()`, hashed from their text (BodyWatch.finishWithText); up to it, from
 * `arrayBuffer()`'s bytes, whose hash equals an imported body's (src/core/formats/body-hash.ts).
 */
const LARGE_TEXT_MIN_BYTES = 64 * 1024;

/** What the hook knows of the request a response answers. */
export interface ResponseFacts {
  conn: string;
  url: string;
  method: string;
  credentials: string;
  /** The signal that aborts the request (its body too); null when only the hook's own can. */
  signal: AbortSignal | null;
  /** The hook's controller, aborted by a `drop` fault. */
  controller: AbortController;
}

/**
 * What follows the page's reads of one stream (a response body's BodyWatch, or a WebTransport
 * stream's in src/content/page/web-transport.ts): told each chunk a page read returns, first,
 * and how the stream ended, through every way of reading it the hooks below follow.
 */
export interface StreamFollower {
  /** `bytes` read by `source` (each source counts its own offset: a tee's branches deliver the same bytes). */
  feed(source: Source, bytes: Uint8Array): void;
  /** A chunk that is no byte view (a stream of objects, such as WebTransport's incoming streams); ignored when absent. */
  value?(source: Source, value: unknown): void;
  /** `source` read the end of the stream. */
  finish(source: Source): void;
  /** The stream errored. */
  fail(error: unknown): void;
  /** The page cancelled `source`. */
  cancelled(source: Source, reason: unknown): void;
  /** Something reads the stream. */
  touched(): void;
  /** A new source starting at `offset`. */
  source(offset: number): Source;
  /** Streams of it the page can still read (a tee adds one). */
  streams: number;
}

/** One way of reading a body (a stream, one of its readers, a branch): how far it has read. */
export interface Source {
  watch: StreamFollower;
  /** Bytes (or chunks, for streams of objects) this source has delivered. */
  offset: number;
  cancelled: boolean;
}

/** Follow the page's reads of `stream` (a ReadableStream the hooks did not get from a Response). */
export function followStream(stream: object, follower: StreamFollower): void {
  weakMapSet(sourceOf, stream, follower.source(0));
}

/** The capture's reason for an error that ended a request. */
function errorReason(error: unknown): 'abort' | 'network' | 'timeout' {
  const name = error && typeof error === 'object' ? (error as { name?: unknown }).name : undefined;
  if (name === 'AbortError') return 'abort';
  if (name === 'TimeoutError') return 'timeout';
  return 'network';
}

/**
 * Why a fetch or its body failed with `error`. A page that aborts with a reason of its own
 * (`controller.abort(reason)`: any value; connect-web 2.x aborts with its ConnectError when a
 * stream's trailers carry an error status) makes the fetch and its body reject with that very
 * value, which names no abort: it is one when it is the request signal's reason and the hook's
 * own signal (a `drop` fault, a network failure by design) was not aborted.
 */
export function failureReason(facts: ResponseFacts, error: unknown): 'abort' | 'network' | 'timeout' {
  const named = errorReason(error);
  if (named !== 'network') return named;
  const signal = facts.signal;
  if (signal === null || !(abortSignalAborted(signal) as boolean) || abortSignalReason(signal) !== error) return 'network';
  return abortSignalAborted(abortControllerSignal(facts.controller)) ? 'network' : 'abort';
}

/** The message of an error, '' when it has none that converts. */
export function errorMessage(error: unknown): string {
  try {
    return StringCtor(error && typeof error === 'object' ? (error as { message?: unknown }).message : error);
  } catch {
    return '';
  }
}

/** Bodies that end with an abort when the page drops their unread Response. */
const unread = FinalizationRegistryCtor ? new FinalizationRegistryCtor<BodyWatch>((watch) => watch.abandoned()) : null;

/**
 * What the capture learns of one response body: bytes are fed in order by
 * whichever sources read it (the page's stream or readers, the hook's clone),
 * each byte once, however many branches deliver it.
 */
class BodyWatch implements StreamFollower {
  /** Bytes observed so far. */
  private size = 0;
  private readonly hasher = new BodyHasher();
  private text = '';
  /** Part of the text was left out at the cap. */
  private textCut = false;
  private head: Uint8Array = new Uint8ArrayCtor(0);
  private chunks = 0;
  /** The first chunk of a body of unknown kind: reported only once a second one proves it streams. */
  private firstChunk: { t: number; size: number; preview: string } | null = null;
  readonly textual: boolean;
  readonly streaming: boolean;
  /** A body of declared length, no stream of records (see the constructor). */
  readonly oneDocument: boolean;
  /** The hook's clone is read in one call (a one-document body within the text cap). */
  private readonly whole: boolean;
  /**
   * A text body of declared length over LARGE_TEXT_MIN_BYTES: the page's `text()` and
   * `json()` are served from the native `text()` (finishWithText), not from bytes.
   */
  readonly largeText: boolean;
  private readonly decoder: TextDecoder | null;
  private readonly sse: SseParser | null;
  ended = false;
  /** Body streams the page can still read (a clone or a tee adds one, a cancel takes one). */
  streams = 1;
  /** The reader of the hook's own clone, when it reads one chunk by chunk. */
  ownReader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  /** The hook reads its own clone (chunk by chunk or whole). */
  ownRead = false;
  /** The hook's clone of a body the page consumes whole, not read yet (holdClone). */
  private heldClone: Response | null = null;
  /**
   * When the page's own whole-body call settled (a held clone's body): the body was complete
   * then. The clone's read ends later, after the page's continuation may have sent the next
   * request, so the end and a failure are stamped with this time (a long poll's re-request
   * comes after its response's end, as it did on the wire).
   */
  private settledAt: number | null = null;
  /** When the page's call consuming a body of unknown length whole began (consumeCalled); null before. */
  private calledAt: number | null = null;
  /** The key of this body's pace (pacedPath), once asked. */
  private pathKey: string | null | undefined = undefined;
  /** A known-small body waiting to be cloned unless the page reads it first (readLaterIfUnread). */
  smallPending = false;
  /** Still registered in `unread`: nothing has read or consumed the body yet. */
  private untouched = false;
  private onAbort: (() => void) | null = null;

  constructor(
    private readonly facts: ResponseFacts,
    contentType: string,
    /**
     * The Content-Length the response declares (Infinity when none). A body of declared
     * length that is no stream of records is one document: how its parts arrive says
     * nothing the analysis reads, so it gets no http.chunk events, and when it fits the
     * text cap the hook's clone is read whole. (A larger body read whole cost the page more
     * than chunk by chunk: 100 fetches of 1 MiB took 2.52 times the page's own CPU against
     * 2.29, measured side by side in one run of the bench; the body is gathered into one
     * buffer first.)
     */
    declaredLength: number,
    /** The body's size in bytes once decoded, when its Content-Length says it (no content coding seen); else -1. */
    private readonly decodedLength: number,
  ) {
    this.textual = isTextual(contentType);
    this.streaming = isStreamingType(contentType);
    this.oneDocument = !this.streaming && declaredLength !== Infinity;
    this.whole = this.oneDocument && declaredLength <= settings.maxTextChars;
    this.largeText = this.oneDocument && this.textual && declaredLength > LARGE_TEXT_MIN_BYTES;
    this.decoder = this.textual ? new TextDecoderCtor() : null;
    this.sse = contentType === 'text/event-stream' ? recordingSseParser(facts.conn) : null;
    if (this.sse) {
      emit({ type: 'sse.create', conn: facts.conn, transport: 'fetch', url: facts.url, withCredentials: facts.credentials === 'include' });
      emit({ type: 'sse.open', conn: facts.conn });
    }
    // Chromium's error for a body cut by the network (what a reader sees on a real drop).
    registerTarget(facts.conn, {
      drop: () => abortControllerAbort(facts.controller, new TypeErrorCtor('network error')),
    });
    const signal = facts.signal;
    if (signal) {
      this.onAbort = () => this.fail(abortSignalReason(signal));
      addListener(signal, 'abort', this.onAbort);
    }
  }

  /** End with an abort if the page drops the Response before anything reads its body. */
  watchUnread(response: object): void {
    if (!unread || !finalizationRegister) return;
    this.untouched = true;
    finalizationRegister(unread, response, this, this);
  }

  /** Nothing has read or consumed the body yet. */
  isUntouched(): boolean {
    return this.untouched;
  }

  /** Something reads or consumes the body: its end will be seen. */
  touched(): void {
    if (!this.untouched) return;
    this.untouched = false;
    if (unread && finalizationUnregister) finalizationUnregister(unread, this);
  }

  /** A new source of this body, starting at `offset` bytes. */
  source(offset: number): Source {
    return { watch: this, offset, cancelled: false };
  }

  /** `bytes` read by `source`; what lies beyond the bytes already observed is recorded. */
  feed(source: Source, bytes: Uint8Array): void {
    const start = source.offset;
    source.offset = start + typedArrayByteLength(bytes);
    this.touched();
    if (this.ended || source.offset <= this.size) return;
    const skip = this.size - start;
    this.onChunk(skip > 0 ? bytesRange(bytes, skip) : bytes);
  }

  private appendCapped(sofar: string, more: string): string {
    const room = settings.maxTextChars - sofar.length;
    if (more.length <= room) return sofar + more;
    this.textCut = true;
    return room > 0 ? sofar + stringSlice(more, 0, room) : sofar;
  }

  private onChunk(bytes: Uint8Array): void {
    const { conn } = this.facts;
    const size = typedArrayByteLength(bytes);
    this.size += size;
    this.hasher.update(bytes);
    this.chunks++;
    let chunkText = '';
    const decoder = this.decoder;
    if (decoder && (this.sse || this.streaming)) {
      chunkText = textDecode(decoder, bytes, STREAM) as string;
      this.text = this.appendCapped(this.text, chunkText);
      if (this.sse) this.sse.push(chunkText);
    } else if (decoder && this.text.length < settings.maxTextChars) {
      // Decode only what the cap can keep: a UTF-8 byte never makes more than one
      // UTF-16 unit, nor 4 bytes fewer than one, so 4 bytes per missing char suffice
      // (decoding a whole 1 MiB chunk cost the page more than hashing it).
      const need = (settings.maxTextChars - this.text.length) * 4;
      chunkText = textDecode(decoder, need < size ? bytesRange(bytes, 0, need) : bytes, STREAM) as string;
      if (need < size) this.textCut = true;
      this.text = this.appendCapped(this.text, chunkText);
    } else if (decoder) {
      this.textCut = true;
    } else if (!this.textual && typedArrayByteLength(this.head) < binaryPreviewBytes()) {
      const held = typedArrayByteLength(this.head);
      const keep = bytesRange(bytes, 0, binaryPreviewBytes() - held);
      const grown = new Uint8ArrayCtor(held + typedArrayByteLength(keep));
      typedArraySet(grown, this.head);
      typedArraySet(grown, keep, held);
      this.head = grown;
    }
    if (this.oneDocument) return;
    const preview = stringSlice(chunkText, 0, settings.maxTextChars);
    const t = this.when();
    if (this.streaming && !this.textual) {
      // A binary stream of records (gRPC-web, Connect): the chunk's first bytes, so its frames can be read while it is open.
      emit({ type: 'http.chunk', conn, size, preview, data: binaryPayload(bytes, size), t });
    } else if (this.streaming || this.chunks > 2) {
      emit({ type: 'http.chunk', conn, size, preview, t });
    } else if (this.chunks === 1) {
      this.firstChunk = { t, size, preview };
    } else {
      const first = this.firstChunk!;
      emit({ type: 'http.chunk', conn, size: first.size, preview: first.preview, t: first.t });
      emit({ type: 'http.chunk', conn, size, preview, t });
    }
  }

  private close(): void {
    this.ended = true;
    this.touched();
    unregisterTarget(this.facts.conn);
    if (this.onAbort && this.facts.signal) removeListener(this.facts.signal, 'abort', this.onAbort);
    this.onAbort = null;
  }

  /** `source` reached the end of the body. */
  finish(source: Source): void {
    if (this.ended || source.cancelled || source.offset < this.size) return;
    this.close();
    const decoder = this.decoder;
    if (decoder) {
      const rest = textDecode(decoder) as string;
      this.text = this.appendCapped(this.text, rest);
      if (this.sse) this.sse.push(rest);
    }
    this.sse?.end();
    const payload = this.textual
      ? { size: this.size, encoding: 'text' as const, data: this.text, truncated: this.textCut }
      : binaryPayload(this.head, this.size);
    emit({ type: 'http.end', conn: this.facts.conn, size: this.size, bodyHash: this.hasher.hex(), body: payload, t: this.when() });
  }

  /**
   * The page consumes the whole body itself with `text()`, `arrayBuffer()` or `bytes()`:
   * the hook records what that call gives the page, and reads no clone of its own.
   * Cloning tees the body natively, which cost the page's thread more than anything
   * else the hooks do on a fetch (100 × 1 MiB read with `text()`: 1.26 times the page's
   * own CPU with no body capture, 2.6 with a clone read; BENCHMARKS.md).
   */
  consumedByPage(): void {
    this.ownRead = true;
    this.touched();
  }

  /** The path's bodies of unknown length have so far each come whole soon after the page asked (PROMPT). */
  promptPath(): boolean {
    const path = this.pacePath();
    return path !== null && mapGet(bodyPace, path) === PROMPT;
  }

  private pacePath(): string | null {
    if (this.pathKey === undefined) this.pathKey = pacedPath(this.facts.url);
    return this.pathKey;
  }

  /** The page's call consuming this body of unknown length whole begins now. */
  consumeCalled(): void {
    if (this.calledAt === null) this.calledAt = now();
  }

  /**
   * That call settled, with the whole body (`ok`) or a failure: how soon tells the path's pace
   * (once a path is SLOW it stays so). A failure proves no prompt body; one that came after
   * HELD_CLONE_MS (a trickling long poll cut by the page's timeout or by a proxy) is slow.
   */
  consumeSettled(ok: boolean): void {
    const calledAt = this.calledAt;
    if (calledAt === null) return;
    this.calledAt = null;
    const path = this.pacePath();
    if (path === null) return;
    const prompt = now() - calledAt < HELD_CLONE_MS;
    if (ok || !prompt) notePace(path, prompt);
  }

  /**
   * What the native `text()` gave the page for a large text body (largeText): the text, the
   * size it was sent with, and a hash that needs no bytes (text-digest.ts). Decoding the body's
   * bytes in script to hash them all cost the page more than the whole native `text()` call:
   * 1.4 ms per MiB for TextDecoder in Chromium 156, against a call that decodes natively
   * (BENCHMARKS.md, bench/fetch-mechanisms.ts).
   */
  finishWithText(text: string): void {
    if (this.ended) return;
    const size = this.decodedLength >= 0 ? this.decodedLength : utf8Length(text);
    this.size = size;
    this.close();
    const cap = settings.maxTextChars;
    const cut = text.length > cap;
    const payload = { size, encoding: 'text' as const, data: cut ? stringSlice(text, 0, cap) : text, truncated: cut };
    const bodyHash = digestText(text, size);
    emit({ type: 'http.end', conn: this.facts.conn, size, bodyHash, body: payload, t: this.when() });
  }

  /** What `arrayBuffer()` or `bytes()` gave the page: the body's bytes. */
  finishWithBytes(bytes: Uint8Array): void {
    if (this.ended) return;
    const source = this.source(0);
    if (typedArrayByteLength(bytes) > 0) this.feed(source, bytes);
    this.finish(source);
  }

  /**
   * What `json()` gives the page for a body of these bytes (Fetch § "parse JSON from bytes":
   * JSON.parse of the UTF-8 decode). Blink's BodyJsonConsumer (core/fetch/body.cc) hands the
   * decoded string to V8's JSON parser, the one `JSON.parse` runs, in the Response's realm,
   * which made this watch (a frame's `json()` called on the top page's Response gives the
   * top page's objects and errors). When the body comes after the call, Blink parses with
   * no script on the stack: its SyntaxError has JSON.parse's message and a stack of no
   * frames, which parsing again with `Error.stackTraceLimit` at 0 reproduces. (When the body
   * had fully arrived before the call, Blink parses within the call and prefixes the message
   * with "Failed to execute 'json' on 'Response': ", the caller's frames in the stack; the
   * hooks give the first form then too: README, Known limitations; transparency browser
   * test.) Taking `json()` this way spares the clone of every JSON body of declared length.
   */
  json(buffer: ArrayBuffer): unknown {
    return this.jsonOf(textDecode(utf8!, buffer) as string);
  }

  /** What `json()` gives the page for a body of this text (see json). */
  jsonOf(text: string): unknown {
    try {
      return jsonParse(text);
    } catch {
      // Not JSON: made again, frame-less (jsonFramelessErrors said the limit can be set).
    }
    const limit = dictionary(getOwnPropertyDescriptor(ErrorCtor, 'stackTraceLimit')!);
    defineProperty(ErrorCtor, 'stackTraceLimit', dictionary({ ...limit, value: 0 }));
    let error: unknown;
    try {
      jsonParse(text);
    } catch (failure) {
      error = failure;
    } finally {
      defineProperty(ErrorCtor, 'stackTraceLimit', limit);
    }
    throw error;
  }

  /** The body failed (network error, abort). */
  fail(error: unknown): void {
    if (this.ended) return;
    this.close();
    emit({ type: 'http.error', conn: this.facts.conn, reason: failureReason(this.facts, error), message: errorMessage(error), t: this.when() });
  }

  /** The page cancelled `source`; when no stream of the body is left, the request ends (natively the connection closes). */
  cancelled(source: Source, reason: unknown): void {
    if (source.cancelled) return;
    source.cancelled = true;
    this.streams--;
    if (this.streams > 0 || this.ended) return;
    this.close();
    emit({ type: 'http.error', conn: this.facts.conn, reason: 'abort', message: 'body canceled by the page' });
    // The hook's own branch would keep a tee's source open: cancel it too.
    const own = this.ownReader;
    if (own) promiseThen(readerCancel(own, reason), undefined, () => undefined);
  }

  /** The page dropped the Response without reading its body: the browser cancels it. */
  abandoned(): void {
    if (this.ended) return;
    this.close();
    emit({ type: 'http.error', conn: this.facts.conn, reason: 'abort', message: 'the page dropped the response without reading its body' });
  }

  /**
   * Read a clone of the response to its end (the hook's own branch): in one native call
   * when the body is one document of declared length (no stream, reader or promise per
   * chunk on the page's thread), else chunk by chunk.
   */
  readClone(clone: Response): void {
    this.ownRead = true;
    if (this.whole) this.readWhole(clone);
    else this.readChunks(clone);
  }

  /**
   * The page consumes this body (of unknown length, no stream of records) whole with a
   * native call: its clone is held, and read in one native call once the page's call has
   * settled (the body is complete then, its chunks have nothing left to tell), or chunk by
   * chunk from up to HELD_CLONE_MS after the call on, when the page's call is still waiting
   * (a long-poll trickling keep-alive bytes: those chunks keep their times, the ones before
   * are read at once then). Reading every such clone chunk by chunk cost the page a reader
   * and a promise per chunk on its own thread (see HELD_CLONE_MS).
   */
  holdClone(clone: Response): void {
    this.ownRead = true;
    this.touched();
    this.heldClone = clone;
    heldClones[heldClones.length] = this;
    if (heldClones.length === 1) setTimer(readHeldClones, HELD_CLONE_MS);
  }

  /** The time of what the hook reads now: when the page's call settled, if it has (all had arrived by then). */
  private when(): number {
    return this.settledAt ?? now();
  }

  /** The page's call on the body settled: a held clone is read whole. */
  pageCallSettled(ok: boolean): void {
    if (this.settledAt === null) this.settledAt = now();
    this.consumeSettled(ok);
    const clone = this.heldClone;
    if (clone === null) return;
    this.heldClone = null;
    this.readWhole(clone);
  }

  /** The page's call is still waiting: a held clone is read chunk by chunk from now on. */
  stillArriving(): void {
    const clone = this.heldClone;
    if (clone === null) return;
    this.heldClone = null;
    // A body that failed meanwhile has nothing left to read.
    if (!this.ended) this.readChunks(clone);
  }

  private readWhole(clone: Response): void {
    this.touched();
    promiseThen(
      responseArrayBuffer(clone),
      (buffer) => {
        try {
          this.finishWithBytes(new Uint8ArrayCtor(buffer as ArrayBuffer));
        } catch (error) {
          hookError('fetch.body', error);
        }
      },
      (error) => {
        try {
          this.fail(error);
        } catch (failure) {
          hookError('fetch.body', failure);
        }
      },
    );
  }

  private readChunks(clone: Response): void {
    const reader = streamGetReader(responseGet.body(clone) as ReadableStream<Uint8Array>);
    this.ownReader = reader;
    this.touched();
    const source = this.source(0);
    const pump = (): void => {
      promiseThen(
        readerRead(reader),
        (result) => {
          const { done, value } = result as ReadableStreamReadResult<Uint8Array>;
          try {
            if (done) {
              this.finish(source);
              return;
            }
            this.feed(source, value);
          } catch (error) {
            hookError('fetch.body', error);
          }
          if (!this.ended) pump();
        },
        (error) => {
          try {
            this.fail(error);
          } catch (failure) {
            hookError('fetch.body', failure);
          }
        },
      );
    };
    pump();
  }
}

// Shared with related realms (an iframe's ReadableStreamDefaultReader.prototype.read
// called on the top page's reader follows it too); set when the hooks install.
/** Response → its BodyWatch (also the page's clones of it). */
let watchOf: WeakMap<object, BodyWatch>;
/** A body stream, reader or async iterator of a watched body → its Source. */
let sourceOf: WeakMap<object, Source>;
/** A Response whose body the hook teed after the page got its stream → that stream, which `body` keeps returning. */
let pageBodyOf: WeakMap<object, unknown>;
const watchAt = (key: unknown): BodyWatch | undefined => weakMapGet(watchOf, key) as BodyWatch | undefined;
const sourceAt = (key: unknown): Source | undefined => weakMapGet(sourceOf, key) as Source | undefined;

function header(list: HeaderList, name: string): string | null {
  // Indexed, not for-of: a page may replace Array.prototype[Symbol.iterator].
  for (let i = 0; i < list.length; i++) if (list[i]![0] === name) return list[i]![1];
  return null;
}

/** A Content-Length value: digits, perhaps with whitespace around (HTTP strips it; a header list may not). */
const DECIMAL = ownRegExp(/^\s*[0-9]{1,15}\s*$/);

/** The Content-Length a response declares, Infinity when none (or not a plain number). */
function declaredLength(headers: HeaderList): number {
  const length = header(headers, 'content-length');
  return length !== null && regExpTest(DECIMAL, length) ? +length : Infinity;
}

/** Fetch § "null body status" (with 101 and 103, which never reach a page). */
function isNullBodyStatus(status: number): boolean {
  return status === 101 || status === 103 || status === 204 || status === 205 || status === 304;
}

/**
 * True when the decoded body is known to be at most the capture's cap: a
 * Content-Length within it and no content coding, seen (a same-origin response
 * shows every header; a CORS one hides Content-Encoding unless exposed).
 */
function knownSmall(response: Response, facts: ResponseFacts, declared: number, identity: boolean, contentType: string): boolean {
  // Fetch § null body status, and HEAD: no body bytes, whatever the headers say.
  if (facts.method === 'HEAD' || isNullBodyStatus(responseGet.status(response) as number)) return true;
  if (isStreamingType(contentType)) return false;
  return declared <= settings.maxTextChars && identity;
}

/** True when the response is seen to carry no content coding (a CORS one hides Content-Encoding unless exposed). */
function identityCoded(response: Response, headers: HeaderList): boolean {
  const coding = header(headers, 'content-encoding');
  if (coding !== null) return stringToLowerCase(stringTrim(coding)) === 'identity';
  return responseGet.type(response) === 'basic';
}

/** Observe the body of a response the page gets from fetch. */
export function watchResponse(response: Response, facts: ResponseFacts, headers: HeaderList, contentType: string): void {
  const body = responseGet.body(response);
  if (body === null) {
    emit({ type: 'http.end', conn: facts.conn, size: 0, bodyHash: EMPTY_BODY_HASH, body: null });
    return;
  }
  // Read once: the watch's decoded size and the known-small test both need them.
  const declared = declaredLength(headers);
  const identity = declared !== Infinity && identityCoded(response, headers);
  const watch = new BodyWatch(facts, contentType, declared, identity ? declared : -1);
  weakMapSet(watchOf, response, watch);
  watch.watchUnread(response);
  if (knownSmall(response, facts, declared, identity, contentType)) readLaterIfUnread(watch, response);
}

/**
 * Known-small bodies the page may not read: each is cloned and read in a task after the
 * one that delivered its response, unless the page has touched its body by then (a page
 * reads a response in the same promise chain that got it; its reads or its `text()` are
 * then what the hook records, with no clone).
 */
let unreadSmall: Array<{ watch: BodyWatch; response: Response }> = [];

/**
 * How long a held clone (BodyWatch.holdClone) waits for the page's call before it is read
 * chunk by chunk. Chunk times feed what the core judges over seconds: a streamed response
 * needs chunks spread over a second or more (src/core/classify/streaming.ts
 * STREAM_MIN_SPAN_MS), keep-alive bytes and intermediary timeouts are tens of seconds apart.
 * A body still arriving after this has its chunks until then read at once, at this time.
 */
const HELD_CLONE_MS = 250;

/**
 * The pace of bodies of unknown length that the page consumes whole (`text()`, `json()`,
 * `arrayBuffer()`, `bytes()`), by path (origin and path, no query): PROMPT once one came
 * whole within HELD_CLONE_MS of the page's call and none took longer, SLOW once one did.
 * A held clone (BodyWatch.holdClone) gives such a body chunk times only from HELD_CLONE_MS
 * on; a body that comes sooner is read whole, so its tee bought nothing. On a PROMPT path the
 * page's call is served from `arrayBuffer()`'s bytes, as for a body of declared length, with
 * no clone: 2,000 small JSON fetches without Content-Length paid a tee and a second read each
 * (BENCHMARKS.md). The price: bodies on a PROMPT path that trickle (a long poll that answered
 * at once until then, then held with keep-alive bytes) get no chunk times until the first of
 * them ends or fails; the path is SLOW from then on, and every later body is cloned again.
 * Only http(s) paths are paced (a `data:` URL is its body, which the map must not keep).
 */
const PROMPT = 1;
const SLOW = 2;
/** Paths whose pace is kept; beyond, what was learnt is forgotten (every path clones again). */
const MAX_PACED_PATHS = 1024;
let bodyPace = new MapCtor<string, number>();
let pacedPaths = 0;

/** Longest path whose pace is kept (a longer one is cloned, as before any pace was learnt). */
const MAX_PACED_PATH_CHARS = 2048;

/**
 * The key of `url`'s pace: an http(s) URL without its query and fragment; null for any other
 * (a `data:` or `blob:` URL is the body itself, which the map must not keep alive).
 */
function pacedPath(url: string): string | null {
  if (!stringStartsWith(url, 'https://') && !stringStartsWith(url, 'http://')) return null;
  const query = stringIndexOf(url, '?');
  const hash = stringIndexOf(url, '#');
  const end = query < 0 ? hash : hash < 0 || query < hash ? query : hash;
  const path = end < 0 ? url : stringSlice(url, 0, end);
  return path.length <= MAX_PACED_PATH_CHARS ? path : null;
}

/** A body of unknown length on `path` came whole `prompt`ly (within HELD_CLONE_MS of the page's call) or not. */
function notePace(path: string, prompt: boolean): void {
  const known = mapGet(bodyPace, path);
  if (known === SLOW || (known === PROMPT && prompt)) return;
  if (known === undefined && ++pacedPaths > MAX_PACED_PATHS) {
    bodyPace = new MapCtor<string, number>();
    pacedPaths = 1;
  }
  mapSet(bodyPace, path, prompt ? PROMPT : SLOW);
}

/** Watches holding a clone, due for readHeldClones. */
let heldClones: BodyWatch[] = [];

function readHeldClones(): void {
  const due = heldClones;
  heldClones = [];
  for (let i = 0; i < due.length; i++) {
    try {
      due[i]!.stillArriving();
    } catch (error) {
      hookError('fetch.body', error);
    }
  }
}

function readLaterIfUnread(watch: BodyWatch, response: Response): void {
  watch.smallPending = true;
  unreadSmall[unreadSmall.length] = { watch, response };
  if (unreadSmall.length === 1) setTimer(readUnreadSmall, 0);
}

function readUnreadSmall(): void {
  const due = unreadSmall;
  unreadSmall = [];
  for (let i = 0; i < due.length; i++) {
    try {
      readIfStillUnread(due[i]!.watch, due[i]!.response);
    } catch (error) {
      hookError('fetch.body', error);
    }
  }
}

/** Clone and read a known-small body now, if it still waits and nothing has touched it (once). */
function readIfStillUnread(watch: BodyWatch, response: unknown): void {
  if (!watch.smallPending) return;
  watch.smallPending = false;
  if (watch.isUntouched() && !watch.ended) readCloneOf(watch, response);
}

/**
 * Read a clone of `response` alongside the page, if its body is still there to clone; `hold`
 * it instead while the page's own call consumes the body (BodyWatch.holdClone).
 */
function readCloneOf(watch: BodyWatch, response: unknown, hold = false): void {
  const body = responseGet.body(response);
  if (body === null || streamLocked(body) || responseBodyUsed(response)) return;
  // The page holds this stream: `body` goes on returning it, as natively (the tee replaces the Response's own).
  if (sourceAt(body) !== undefined) weakMapSet(pageBodyOf, response as object, body);
  const clone = responseClone(response) as Response;
  if (hold) watch.holdClone(clone);
  else watch.readClone(clone);
}

/** A page-side reader or iterator read: observe what it returns before the page does. */
function followRead(reader: object, source: Source, read: Promise<unknown>): void {
  promiseThen(
    read,
    (result) => {
      try {
        if (sourceAt(reader) !== source) return;
        const { done, value } = result as ReadableStreamReadResult<ArrayBufferView>;
        if (!done) feedChunk(source, value);
        if (done) source.watch.finish(source);
      } catch (error) {
        hookError('fetch.read', error);
      }
    },
    (error) => {
      try {
        // The page's handlers run after this one: an error made in the hooked read leaves without the hook's frames.
        scrubbed(error);
        // A reader released while its read was pending is no failure of the body.
        if (sourceAt(reader) === source) source.watch.fail(error);
      } catch (failure) {
        hookError('fetch.read', failure);
      }
    },
  );
}

/** One chunk a page's read (or pipe) took from a followed stream. */
function feedChunk(source: Source, value: unknown): void {
  if (isView(value)) {
    const bytes = bytesOf(value);
    if (typedArrayByteLength(bytes) > 0) source.watch.feed(source, bytes);
  } else if (source.watch.value) source.watch.value(source, value);
}

/** `result` (a reader or iterator the page got from `stream`) reads for the stream's source. */
function inherit(stream: unknown, result: unknown): void {
  const source = sourceAt(stream);
  if (source !== undefined && result !== null && typeof result === 'object') {
    weakMapSet(sourceOf, result, source);
    source.watch.touched();
  }
}

/**
 * Pipe `stream` through the hook's identity transform into `pipe(readable)`, the
 * page's own pipe call (which validates its arguments first: when it does not
 * lock the transform's readable, the page's stream is left alone).
 */
function observedPipe(stream: ReadableStream<Uint8Array>, source: Source, pipe: (from: ReadableStream<Uint8Array>) => unknown): unknown {
  const observer = construct(TransformStreamCtor, [
    dictionary({
      transform(chunk: Uint8Array, controller: TransformStreamDefaultController<Uint8Array>) {
        try {
          feedChunk(source, chunk);
        } catch (error) {
          hookError('fetch.pipe', error);
        }
        transformEnqueue(controller, chunk);
      },
      flush() {
        try {
          source.watch.finish(source);
        } catch (error) {
          hookError('fetch.pipe', error);
        }
      },
    }),
  ]) as TransformStream<Uint8Array, Uint8Array>;
  const readable = transformGet.readable(observer);
  const result = pipe(readable);
  if (streamLocked(readable)) {
    source.watch.touched();
    promiseThen(streamPipeTo(stream, transformGet.writable(observer)), undefined, (error) => {
      try {
        source.watch.fail(error);
      } catch (failure) {
        hookError('fetch.pipe', failure);
      }
    });
  }
  return result;
}

/** How the hook observes a body the page consumes whole: from the call's result, or from a clone read alongside. */
type Consumption = 'text' | 'json' | 'largeText' | 'largeJson' | 'bytes' | 'clone' | 'held' | null;

/** Before the page consumes a whole body with `text()` & co.: how the hook will see it, or null when it does not need to. */
function beforeConsume(response: unknown, method: string): Consumption {
  const watch = watchAt(response);
  if (watch === undefined || watch.ended || watch.ownRead) return null;
  const body = responseGet.body(response);
  if (body === null || streamLocked(body) || responseBodyUsed(response)) return null;
  // A body of declared length is taken from the call's result; a stream of records (SSE,
  // NDJSON, gRPC-web...) is followed chunk by chunk, as it arrives. A body of unknown length
  // (a long-poll may trickle bytes to keep its connection alive) is taken from the call's
  // result on a path whose such bodies come promptly (see PROMPT), else a clone waits for the call.
  const unknownLength = !watch.oneDocument && !watch.streaming;
  if (unknownLength) watch.consumeCalled();
  if (watch.oneDocument || (unknownLength && watch.promptPath())) {
    if (method === 'arrayBuffer' || method === 'bytes') {
      watch.consumedByPage();
      return 'bytes';
    }
    // json() in Chromium only: its errors were measured there (BodyWatch.json), not in Firefox.
    if ((method === 'text' || (method === 'json' && !GECKO && jsonFramelessErrors())) && utf8 !== null) {
      watch.consumedByPage();
      if (watch.largeText) return method === 'text' ? 'largeText' : 'largeJson';
      return method;
    }
  }
  if (unknownLength) {
    readCloneOf(watch, response, true);
    return 'held';
  }
  readCloneOf(watch, response);
  return 'clone';
}

/** Record the bytes a consuming call read (`how` from beforeConsume). */
function recordConsumed(response: unknown, value: unknown): void {
  const watch = watchAt(response);
  if (watch === undefined) return;
  // `bytes()` gives a view, `arrayBuffer()` a buffer, perhaps of another realm (a frame's
  // method called on the top page's response): no `instanceof` here.
  watch.finishWithBytes(bytesOf(value as ArrayBuffer | ArrayBufferView));
}

/**
 * UTF-8 decode as Fetch's `text()` does it (Fetch § "consume body", Encoding § "UTF-8
 * decode": a leading byte order mark dropped, invalid bytes replaced, whatever the
 * Content-Type's charset). Made when the hooks install, before any page script.
 */
let utf8: TextDecoder | null = null;

/**
 * Whether BodyWatch.json can make its SyntaxError without frames: `Error.stackTraceLimit`
 * is a data property it may set and put back. A page that made it an accessor or froze it
 * keeps the clone for `json()`.
 */
function jsonFramelessErrors(): boolean {
  const found = getOwnPropertyDescriptor(ErrorCtor, 'stackTraceLimit');
  // A data descriptor's members are its own: no getter the page put on Object.prototype is read
  // (this runs on every json(); giving the descriptor no prototype cost a setPrototypeOf each).
  return found !== undefined && hasOwn(found, 'value') && found.writable === true && found.configurable === true;
}

/** Follow the page's reads of fetch bodies (see the file comment). */
export function installBodyFollowers(): void {
  watchOf = sharedMap('fetch.response');
  sourceOf = sharedMap('fetch.source');
  pageBodyOf = sharedMap('fetch.pageBody');
  const responseProto = Response.prototype;
  utf8 = new TextDecoderCtor();
  hookGetter(responseProto, 'body', (get, self) => {
    const shown = weakMapGet(pageBodyOf, self);
    if (shown !== undefined) return shown;
    try {
      // A known-small body the page takes as a stream: cloned first (the page gets a branch),
      // as the page may hand the stream where the hooks cannot follow (`new Response(body)`).
      const pending = watchAt(self);
      if (pending !== undefined) readIfStillUnread(pending, self);
    } catch (error) {
      hookError('fetch.body', error);
    }
    const body = apply(get, self, []);
    try {
      const watch = watchAt(self);
      if (watch !== undefined && body !== null && sourceAt(body) === undefined) {
        weakMapSet(sourceOf, body as object, watch.source(0));
        watch.touched();
      }
    } catch (error) {
      hookError('fetch.body', error);
    }
    return body;
  });
  for (const name of ['arrayBuffer', 'blob', 'bytes', 'formData', 'json', 'text']) {
    hookMethod(responseProto, name, (consume, self, args) => {
      let how: Consumption = null;
      try {
        how = beforeConsume(self, name);
      } catch (error) {
        hookError('fetch.consume', error);
      }
      // text() and json() read the bytes with arrayBuffer() and decode them as they would:
      // the hook hashes the bytes the page's value came from (encoding the text back to hash
      // it cost 4 ms per MiB in Chromium 156, more than the clone it replaces).
      // A large text body is read with the native text() instead (BodyWatch.finishWithText).
      const fromBytes = how === 'text' || how === 'json';
      const result = (fromBytes ? responseArrayBuffer(self) : how === 'largeJson' ? responseTextMethod(self) : apply(consume, self, args)) as Promise<unknown>;
      // A rejection made now (a used body) would carry the hook's frames.
      if (how === 'held') {
        // The same chain tells the held clone that the page's call settled.
        const settled = (ok: boolean): void => {
          try {
            watchAt(self)?.pageCallSettled(ok);
          } catch (error) {
            hookError('fetch.consume', error);
          }
        };
        return promiseThen(
          result,
          (value) => {
            settled(true);
            return value;
          },
          (error) => {
            settled(false);
            return rethrowScrubbed(error);
          },
        );
      }
      const fromText = how === 'largeText' || how === 'largeJson';
      if (!fromBytes && !fromText && how !== 'bytes') return promiseThen(result, undefined, rethrowScrubbed);
      return promiseThen(
        result,
        (value) => {
          if (fromText) {
            try {
              watchAt(self)?.finishWithText(value as string);
            } catch (error) {
              hookError('fetch.consume', error);
            }
            return how === 'largeJson' ? watchAt(self)!.jsonOf(value as string) : value;
          }
          try {
            recordConsumed(self, value);
            watchAt(self)?.consumeSettled(true);
          } catch (error) {
            hookError('fetch.consume', error);
          }
          if (how === 'text') return textDecode(utf8!, value as ArrayBuffer);
          // The Response's own watch: its realm parses (a frame may call this realm's json()).
          return how === 'json' ? watchAt(self)!.json(value as ArrayBuffer) : value;
        },
        (error) => {
          try {
            const watch = watchAt(self);
            watch?.consumeSettled(false);
            watch?.fail(error);
          } catch (failure) {
            hookError('fetch.consume', failure);
          }
          return rethrowScrubbed(error);
        },
      );
    });
  }
  hookMethod(responseProto, 'clone', (clone, self, args) => {
    const copy = apply(clone, self, args) as object;
    const watch = watchAt(self);
    if (watch !== undefined && !watch.ended) {
      weakMapSet(watchOf, copy, watch);
      watch.streams++;
    }
    return copy;
  });

  const streamProto = ReadableStream.prototype;
  hookMethod(streamProto, 'getReader', (getReader, self, args) => {
    const reader = apply(getReader, self, args);
    inherit(self, reader);
    return reader;
  });
  const readerCtor = (name: 'ReadableStreamDefaultReader' | 'ReadableStreamBYOBReader') => {
    if (typeof global[name] !== 'function') return;
    hookConstructor(global, name, (target, args, newTarget) => {
      const reader = construct(target, args, newTarget);
      inherit(args[0], reader);
      return reader;
    });
  };
  readerCtor('ReadableStreamDefaultReader');
  readerCtor('ReadableStreamBYOBReader');
  const readerProtos: object[] = [ReadableStreamDefaultReader.prototype];
  if (typeof ReadableStreamBYOBReader === 'function') readerProtos.push(ReadableStreamBYOBReader.prototype);
  // Readers the page released: their read() and cancel() reject with an error made inside the hook.
  const released = sharedMap<boolean>('fetch.released');
  for (const proto of readerProtos) {
    const byob = proto !== ReadableStreamDefaultReader.prototype;
    hookMethod(proto, 'read', (read, self, args) => {
      const result = apply(read, self, args) as Promise<unknown>;
      const source = sourceAt(self);
      if (source !== undefined) followRead(self as object, source, result);
      // A BYOB read also rejects at once for a view it cannot use.
      else if (byob || weakMapGet(released, self)) return promiseThen(result, undefined, rethrowScrubbed);
      return result;
    });
    hookMethod(proto, 'releaseLock', (release, self, args) => {
      const result = apply(release, self, args);
      weakMapDelete(sourceOf, self);
      weakMapSet(released, self as object, true);
      return result;
    });
    hookMethod(proto, 'cancel', (cancel, self, args) => {
      const source = sourceAt(self);
      const result = apply(cancel, self, args) as Promise<unknown>;
      if (source !== undefined) source.watch.cancelled(source, args[0]);
      return weakMapGet(released, self) ? promiseThen(result, undefined, rethrowScrubbed) : result;
    });
  }
  hookMethod(streamProto, 'cancel', (cancel, self, args) => {
    const source = sourceAt(self);
    // A locked stream's cancel() only rejects, with an error made inside the hook.
    const locked = streamLocked(self);
    const result = apply(cancel, self, args) as Promise<unknown>;
    if (locked) return promiseThen(result, undefined, rethrowScrubbed);
    if (source !== undefined) source.watch.cancelled(source, args[0]);
    return result;
  });
  hookMethod(streamProto, 'tee', (tee, self, args) => {
    const source = sourceAt(self);
    const branches = apply(tee, self, args) as ReadableStream[];
    if (source !== undefined) {
      weakMapSet(sourceOf, branches[0]!, source.watch.source(source.offset));
      weakMapSet(sourceOf, branches[1]!, source.watch.source(source.offset));
      source.watch.streams++;
      source.watch.touched();
    }
    return branches;
  });
  for (const name of ['pipeTo', 'pipeThrough']) {
    hookMethod(streamProto, name, (pipe, self, args) => {
      const source = sourceAt(self);
      const result =
        source === undefined || streamLocked(self)
          ? apply(pipe, self, args)
          : observedPipe(self as ReadableStream<Uint8Array>, source, (from) => apply(pipe, from, args));
      // pipeTo rejects at once for arguments it refuses, with an error made inside the hook.
      return name === 'pipeTo' ? promiseThen(result as Promise<unknown>, undefined, rethrowScrubbed) : result;
    });
  }
  const values = streamProto.values as unknown;
  if (typeof values === 'function') {
    hookMethod(
      streamProto,
      'values',
      (iterate, self, args) => {
        const iterator = apply(iterate, self, args);
        inherit(self, iterator);
        return iterator;
      },
      [Symbol.asyncIterator],
    );
    const iteratorProto = Object.getPrototypeOf(apply(values, construct(ReadableStream, []), [])) as object;
    hookMethod(iteratorProto, 'next', (next, self, args) => {
      const result = apply(next, self, args) as Promise<unknown>;
      const source = sourceAt(self);
      if (source !== undefined) followRead(self as object, source, result);
      return result;
    });
    // Leaving a for-await loop calls return(), which cancels the stream (unless values() was given preventCancel).
    hookMethod(iteratorProto, 'return', (stop, self, args) => {
      const source = sourceAt(self);
      weakMapDelete(sourceOf, self);
      const result = apply(stop, self, args);
      if (source !== undefined) source.watch.cancelled(source, args[0]);
      return result;
    });
  }
}
