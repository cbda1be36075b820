/**
 * fetch hook. The page gets a promise chained on the native one (so its
 * unhandled rejections stay unhandled) and the very Response object the browser
 * made; the hook reads a `clone()` of it, whose tee leaves the page's body
 * stream unlocked and unread. Streaming bodies are observed chunk by chunk and
 * `text/event-stream` is parsed with the shared SSE parser.
 */
import type { HeaderList } from '../../core/events.ts';
import { emit, hookError, nextConn, now, settings } from './emitter.ts';
import { recordingSseParser } from './sse-stream.ts';
import { delayed, isOffline, latencyMs, registerTarget, unregisterTarget } from './faults.ts';
import {
  AbortControllerCtor,
  abortControllerAbort,
  abortControllerSignal,
  abortSignalAny,
  AbortSignalCtor,
  apply,
  global,
  HeadersCtor,
  headersForEach,
  objectCreate,
  promiseReject,
  promiseThen,
  readerCancel,
  readerRead,
  RequestCtor,
  requestGet,
  responseClone,
  responseGet,
  streamGetReader,
  textDecode,
  TextDecoderCtor,
  TypeErrorCtor,
  Uint8ArrayCtor,
  URLCtor,
  WeakMapCtor,
  weakMapGet,
  weakMapSet,
  doc,
} from './natives.ts';
import { hookMethod } from './patch.ts';
import {
  binaryPayload,
  binaryPreviewBytes,
  BodyHasher,
  EMPTY_BODY_HASH,
  isStreamingType,
  isTextual,
  mediaType,
  normalizeMethod,
  requestBodySize,
} from './payload.ts';

/** Names and values of a Headers object, names lower-cased (as the platform gives them). */
function headerList(headers: Headers): HeaderList {
  const list: HeaderList = [];
  headersForEach(headers, (value, name) => {
    list[list.length] = [name, value];
  });
  return list;
}

/** An absolute URL for what the page passed, resolved like the platform does. */
export function absoluteUrl(url: string): string {
  try {
    return new URLCtor(url, doc.baseURI).href;
  } catch {
    return url;
  }
}

interface RequestFacts {
  conn: string;
  url: string;
  credentials: string;
}

function describeRequest(input: unknown, init: RequestInit | undefined): RequestFacts {
  const conn = nextConn();
  const isRequest = input instanceof RequestCtor;
  const url = isRequest ? (requestGet.url(input) as string) : absoluteUrl(input as string);
  const method = normalizeMethod(init?.method ?? (isRequest ? (requestGet.method(input) as string) : 'GET'));
  let headers: HeaderList = [];
  try {
    if (init?.headers !== undefined) headers = headerList(new HeadersCtor(init.headers));
    else if (isRequest) headers = headerList(requestGet.headers(input) as Headers);
  } catch {
    // Invalid headers: the native call rejects with its own error, reported as http.error.
  }
  const bodySize = init && 'body' in init ? requestBodySize(init.body) : isRequest ? null : 0;
  const credentials = init?.credentials ?? (isRequest ? (requestGet.credentials(input) as string) : 'same-origin');
  emit({ type: 'http.request', conn, transport: 'fetch', method, url, headers, bodySize });
  return { conn, url, credentials };
}

/**
 * Arguments with an extra abort signal, so that a `drop` fault can error the
 * response body the way a network failure does. Left alone when the input is a
 * Request (a non-empty init would reset its referrer) or the page's signal is
 * not a real AbortSignal (the native call must throw its own error).
 */
function withDropSignal(args: unknown[], controller: AbortController): unknown[] {
  if (!abortSignalAny || args[0] instanceof RequestCtor) return args;
  const init = args[1] as RequestInit | undefined | null;
  if (init !== undefined && init !== null && typeof init !== 'object') return args;
  const pageSignal = init ? init.signal : undefined;
  if (pageSignal !== undefined && pageSignal !== null && !(pageSignal instanceof AbortSignalCtor)) return args;
  const ours = abortControllerSignal(controller) as AbortSignal;
  const signal = pageSignal ? abortSignalAny([pageSignal, ours]) : ours;
  // Inherit from the page's init so that every other member, getters included, reads the same.
  const merged = objectCreate(init ?? null, { signal: { value: signal, enumerable: true } }) as RequestInit;
  return [args[0], merged, ...args.slice(2)];
}

function errorReason(error: unknown): 'abort' | 'network' | 'timeout' {
  const name = error && typeof error === 'object' ? (error as { name?: unknown }).name : undefined;
  if (name === 'AbortError') return 'abort';
  if (name === 'TimeoutError') return 'timeout';
  return 'network';
}

function errorMessage(error: unknown): string {
  try {
    return String(error && typeof error === 'object' ? (error as { message?: unknown }).message : error);
  } catch {
    return '';
  }
}

/** Reads the hook's clone of a response body and reports chunks, SSE events and the end. */
function observeBody(facts: RequestFacts, response: Response, contentType: string, controller: AbortController): void {
  const { conn } = facts;
  const body = responseGet.body(response) as ReadableStream<Uint8Array> | null;
  if (body === null) {
    emit({ type: 'http.end', conn, size: 0, bodyHash: EMPTY_BODY_HASH, body: null });
    return;
  }
  const clone = responseClone(response) as Response;
  const reader = streamGetReader(responseGet.body(clone) as ReadableStream<Uint8Array>);
  // After clone() the page's body is the other branch of the tee: when the page
  // cancels it, the hook cancels its own so the connection closes as it would natively.
  weakMapSet(hookReaderOf, responseGet.body(response) as object, reader);
  let canceledByPage = false;
  weakMapSet(onPageCancel, reader, () => {
    canceledByPage = true;
  });
  const textual = isTextual(contentType);
  const streaming = isStreamingType(contentType);
  const decoder = textual ? new TextDecoderCtor() : null;
  const sse = contentType === 'text/event-stream' ? recordingSseParser(conn) : null;
  if (sse) {
    emit({ type: 'sse.create', conn, transport: 'fetch', url: facts.url, withCredentials: facts.credentials === 'include' });
    emit({ type: 'sse.open', conn });
  }
  // Chromium's error for a body cut by the network (what a reader sees on a real drop).
  registerTarget(conn, {
    drop: () => abortControllerAbort(controller, new TypeErrorCtor('network error')),
  });

  let size = 0;
  const hasher = new BodyHasher();
  let text = '';
  /** Part of the text was left out at the cap. */
  let textCut = false;
  let head: Uint8Array = new Uint8ArrayCtor(0);
  let chunks = 0;
  /** The first chunk of a body of unknown kind: reported only once a second one proves it streams. */
  let firstChunk: { t: number; size: number; preview: string } | null = null;

  const appendCapped = (sofar: string, more: string): string => {
    const room = settings.maxTextChars - sofar.length;
    if (more.length <= room) return sofar + more;
    textCut = true;
    return room > 0 ? sofar + more.slice(0, room) : sofar;
  };

  const onChunk = (bytes: Uint8Array): void => {
    size += bytes.byteLength;
    hasher.update(bytes);
    chunks++;
    let chunkText = '';
    if (decoder && (sse || streaming)) {
      chunkText = textDecode(decoder, bytes, { stream: true }) as string;
      text = appendCapped(text, chunkText);
      if (sse) sse.push(chunkText);
    } else if (decoder && text.length < settings.maxTextChars) {
      // Decode only what the cap can keep: a UTF-8 byte never makes more than one
      // UTF-16 unit, nor 4 bytes fewer than one, so 4 bytes per missing char suffice
      // (decoding a whole 1 MiB chunk cost the page more than hashing it).
      const need = (settings.maxTextChars - text.length) * 4;
      chunkText = textDecode(decoder, need < bytes.byteLength ? bytes.subarray(0, need) : bytes, { stream: true }) as string;
      if (need < bytes.byteLength) textCut = true;
      text = appendCapped(text, chunkText);
    } else if (decoder) {
      textCut = true;
    } else if (!textual && head.byteLength < binaryPreviewBytes()) {
      const keep = bytes.subarray(0, binaryPreviewBytes() - head.byteLength);
      const grown = new Uint8ArrayCtor(head.byteLength + keep.byteLength);
      grown.set(head);
      grown.set(keep, head.byteLength);
      head = grown;
    }
    const preview = chunkText.slice(0, settings.maxTextChars);
    if (streaming || chunks > 2) {
      emit({ type: 'http.chunk', conn, size: bytes.byteLength, preview });
    } else if (chunks === 1) {
      firstChunk = { t: now(), size: bytes.byteLength, preview };
    } else {
      const first = firstChunk!;
      emit({ type: 'http.chunk', conn, size: first.size, preview: first.preview, t: first.t });
      emit({ type: 'http.chunk', conn, size: bytes.byteLength, preview });
    }
  };

  const onDone = (): void => {
    unregisterTarget(conn);
    if (canceledByPage) {
      emit({ type: 'http.error', conn, reason: 'abort', message: 'body canceled by the page' });
      return;
    }
    if (decoder) {
      const rest = textDecode(decoder) as string;
      text = appendCapped(text, rest);
      if (sse) sse.push(rest);
    }
    sse?.end();
    const payload = textual
      ? { size, encoding: 'text' as const, data: text, truncated: textCut }
      : binaryPayload(head, size);
    emit({ type: 'http.end', conn, size, bodyHash: hasher.hex(), body: payload });
  };

  const onFailure = (error: unknown): void => {
    unregisterTarget(conn);
    emit({ type: 'http.error', conn, reason: errorReason(error), message: errorMessage(error) });
  };

  const pump = (): void => {
    promiseThen(
      readerRead(reader),
      (result) => {
        const { done, value } = result as ReadableStreamReadResult<Uint8Array>;
        try {
          if (done) {
            onDone();
            return;
          }
          onChunk(value);
        } catch (error) {
          hookError('fetch.body', error);
        }
        pump();
      },
      (error) => {
        try {
          onFailure(error);
        } catch (failure) {
          hookError('fetch.body', failure);
        }
      },
    );
  };
  pump();
}

function onResponse(facts: RequestFacts, response: Response, controller: AbortController): void {
  const headers = responseGet.headers(response) as Headers;
  const list = headerList(headers);
  let contentTypeHeader: string | null = null;
  for (const [name, value] of list) if (name === 'content-type') contentTypeHeader = value;
  const contentType = mediaType(contentTypeHeader);
  const finalUrl = responseGet.url(response) as string;
  emit({
    type: 'http.response',
    conn: facts.conn,
    status: responseGet.status(response) as number,
    statusText: responseGet.statusText(response) as string,
    headers: list,
    url: finalUrl === '' ? facts.url : finalUrl,
    contentType,
  });
  observeBody(facts, response, contentType, controller);
}

/** A page-side body stream or reader → the hook's reader of the other tee branch. */
const hookReaderOf: WeakMap<object, unknown> = new WeakMapCtor();
/** The hook's reader → what to note when the page cancelled its branch. */
const onPageCancel: WeakMap<object, unknown> = new WeakMapCtor();

function cancelHookBranch(pageSide: unknown, reason: unknown): void {
  const reader = weakMapGet(hookReaderOf, pageSide) as ReadableStreamDefaultReader<Uint8Array> | undefined;
  if (!reader) return;
  (weakMapGet(onPageCancel, reader) as () => void)();
  promiseThen(readerCancel(reader, reason), undefined, () => undefined);
}

/**
 * Follow the page's cancel() of a body it got from fetch, on the stream or on
 * a reader of it, to the hook's tee branch (a tee only cancels its source when
 * both branches are cancelled).
 */
function installCancelFollowers(): void {
  hookMethod(ReadableStream.prototype, 'getReader', (getReader, self, args) => {
    const reader = apply(getReader, self, args) as object;
    const hookReader = weakMapGet(hookReaderOf, self);
    if (hookReader !== undefined) weakMapSet(hookReaderOf, reader, hookReader);
    return reader;
  });
  const cancelFollower = (cancel: (...a: unknown[]) => unknown, self: unknown, args: unknown[]): unknown => {
    const result = apply(cancel, self, args);
    try {
      cancelHookBranch(self, args[0]);
    } catch (error) {
      hookError('fetch.cancel', error);
    }
    return result;
  };
  hookMethod(ReadableStream.prototype, 'cancel', cancelFollower);
  hookMethod(ReadableStreamDefaultReader.prototype, 'cancel', cancelFollower);
  if (typeof ReadableStreamBYOBReader === 'function') {
    hookMethod(ReadableStreamBYOBReader.prototype, 'cancel', cancelFollower);
  }
}

/** Install the fetch hook; false when the global is missing or not patchable. */
export function installFetchHook(): boolean {
  if (typeof global.fetch !== 'function') return false;
  installCancelFollowers();
  return hookMethod(global, 'fetch', (nativeFetch, self, args) => {
    let facts: RequestFacts | null = null;
    const controller = new AbortControllerCtor();
    let callArgs = args;
    let droppable = false;
    if (args.length > 0 && typeof args[0] !== 'string' && !(args[0] instanceof RequestCtor)) {
      // Convert the URL once, as WebIDL would (ToString), so a page object's
      // toString runs exactly once; a throwing one rejects the fetch, as natively.
      try {
        callArgs = [`${args[0] as string}`, ...args.slice(1)];
      } catch (error) {
        return promiseReject(error);
      }
    }
    try {
      facts = describeRequest(callArgs[0], callArgs[1] as RequestInit | undefined);
      const signalled = withDropSignal(callArgs, controller);
      droppable = signalled !== callArgs;
      callArgs = signalled;
    } catch (error) {
      hookError('fetch', error);
    }
    if (facts !== null && isOffline()) {
      let failure: unknown = new TypeErrorCtor('Failed to fetch');
      try {
        // Invalid arguments still fail with their own error, as they would offline.
        new RequestCtor(args[0] as RequestInfo, args[1] as RequestInit);
      } catch (error) {
        failure = error;
      }
      emit({ type: 'http.error', conn: facts.conn, reason: 'network', message: errorMessage(failure) });
      return promiseReject(failure);
    }
    const native = apply(nativeFetch, self, callArgs) as Promise<Response>;
    if (facts === null) return native;
    const observed = facts;
    if (droppable) {
      // Until headers arrive, a drop fails the request as the network would: TypeError 'Failed to fetch'.
      registerTarget(observed.conn, {
        drop: () => abortControllerAbort(controller, new TypeErrorCtor('Failed to fetch')),
      });
    }
    return promiseThen(
      native,
      (response) => {
        try {
          onResponse(observed, response as Response, controller);
        } catch (error) {
          hookError('fetch.response', error);
        }
        const delay = latencyMs();
        return delay > 0 ? delayed(response, delay) : response;
      },
      (error) => {
        try {
          unregisterTarget(observed.conn);
          emit({ type: 'http.error', conn: observed.conn, reason: errorReason(error), message: errorMessage(error) });
        } catch (failure) {
          hookError('fetch.error', failure);
        }
        throw error;
      },
    );
  });
}
