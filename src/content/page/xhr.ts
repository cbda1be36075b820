/**
 * XMLHttpRequest hook. The constructor Proxy registers the hook's listeners on
 * each instance before the page can add its own, so they run first (which lets
 * a `drop` fault turn the native `abort` into the `error` a network failure
 * fires). `open`, `setRequestHeader` and `send` are Proxies on the prototype
 * that only note what the page asked for; every fact about the response is
 * read from the instance's own events.
 */
import type { HeaderList, Payload } from '../../core/events.ts';
import type { SseParser } from '../../core/sse-parser.ts';
import { emit, hookError, nextConn, now, settings } from './emitter.ts';
import { noteRequest } from './resource-timing.ts';
import { recordingSseParser } from './sse-stream.ts';
import { isOffline, latencyMs, registerTarget, unregisterTarget } from './faults.ts';
import { absoluteUrl } from './fetch.ts';
import {
  addListener,
  apply,
  arrayCopy,
  blobArrayBuffer,
  blobSize,
  bytesRange,
  CAPTURE,
  construct,
  dispatch,
  global,
  jsonStringify,
  ProgressEventCtor,
  progressLoaded,
  promiseThen,
  setTimer,
  stopImmediatePropagation,
  StringCtor,
  stringIndexOf,
  stringSlice,
  stringToLowerCase,
  stringTrim,
  textDecode,
  TextDecoderCtor,
  Uint8ArrayCtor,
  weakMapGet,
  weakMapSet,
  xhrAbort,
  xhrGet,
  xhrGetAllResponseHeaders,
  xhrOpen,
} from './natives.ts';
import { hookConstructor, hookRecordedMethod, owned, sharedMap, type Owned } from './patch.ts';
import {
  binaryPayload,
  bytesOf,
  bodyHashOfBytes,
  bodyHashOfText,
  EMPTY_BODY_HASH,
  isStreamingType,
  isTextual,
  mediaType,
  normalizeMethod,
  requestBodySize,
  textPayload,
  utf8Length,
} from './payload.ts';

// XMLHttpRequest Standard § states.
const OPENED = 1;
const HEADERS_RECEIVED = 2;
const DONE = 4;
/**
 * Where an offline-window request is re-aimed: nothing can listen on port 0,
 * so the browser fails it as a network error without reaching any server
 * (faults.browser.test.ts checks the page sees what a refused connection gives).
 */
const UNREACHABLE_URL = 'http://0.0.0.0:0/';

interface XhrRecord {
  xhr: XMLHttpRequest;
  method: string;
  url: string;
  async: boolean;
  headers: HeaderList;
  conn: string | null;
  responded: boolean;
  contentType: string;
  textSeen: number;
  loadedSeen: number;
  chunks: number;
  firstChunk: { t: number; size: number; preview: string } | null;
  sse: SseParser | null;
  /** A drop fault: the native abort is shown to the page as a network error. */
  abortAsError: boolean;
  /**
   * When readyState became DONE: the request ended then. `load`, `error`, `abort` and
   * `timeout` fire after that readystatechange, whose handlers may already have sent the
   * next request (a long poll re-requesting from onreadystatechange), so the end is stamped
   * with this time.
   */
  doneAt: number | null;
  /** When send() was called (for a timeout told from a network error). */
  sentAt: number;
}

/** XMLHttpRequest → its record, shared with related realms (set when the hooks install). */
let records: WeakMap<object, XhrRecord & Owned>;

function responseHeaders(xhr: XMLHttpRequest): HeaderList {
  const raw = xhrGetAllResponseHeaders(xhr) as string;
  const list: HeaderList = [];
  for (let start = 0; start < raw.length; ) {
    let end = stringIndexOf(raw, '\r\n', start);
    if (end < 0) end = raw.length;
    const colon = stringIndexOf(raw, ':', start);
    if (colon > start && colon < end) {
      list[list.length] = [stringToLowerCase(stringTrim(stringSlice(raw, start, colon))), stringTrim(stringSlice(raw, colon + 1, end))];
    }
    start = end + 2;
  }
  return list;
}

function onResponse(rec: XhrRecord): void {
  if (rec.responded || rec.conn === null) return;
  rec.responded = true;
  const conn = rec.conn;
  const headers = responseHeaders(rec.xhr);
  let contentTypeHeader: string | null = null;
  // Indexed, not for-of: a page may replace Array.prototype[Symbol.iterator].
  for (let i = 0; i < headers.length; i++) if (headers[i]![0] === 'content-type') contentTypeHeader = headers[i]![1];
  rec.contentType = mediaType(contentTypeHeader);
  const responseUrl = xhrGet.responseURL(rec.xhr) as string;
  emit({
    type: 'http.response',
    conn,
    status: xhrGet.status(rec.xhr) as number,
    statusText: xhrGet.statusText(rec.xhr) as string,
    headers,
    url: responseUrl === '' ? rec.url : responseUrl,
    contentType: rec.contentType,
  });
  if (rec.contentType === 'text/event-stream') {
    emit({
      type: 'sse.create',
      conn,
      transport: 'xhr',
      url: rec.url,
      withCredentials: xhrGet.withCredentials(rec.xhr) as boolean,
    });
    emit({ type: 'sse.open', conn });
    rec.sse = recordingSseParser(conn);
  }
}

function readsText(xhr: XMLHttpRequest): boolean {
  const type = xhrGet.responseType(xhr) as string;
  return type === '' || type === 'text';
}

/** New response text since the last look (text response types only). */
function newText(rec: XhrRecord): string {
  const text = xhrGet.responseText(rec.xhr) as string;
  const fresh = text.length > rec.textSeen ? stringSlice(text, rec.textSeen) : '';
  rec.textSeen = text.length;
  return fresh;
}

function onProgress(rec: XhrRecord, event: ProgressEvent): void {
  if (rec.conn === null) return;
  onResponse(rec);
  const loaded = progressLoaded(event) as number;
  let size = loaded - rec.loadedSeen;
  let preview = '';
  if (readsText(rec.xhr)) {
    const fresh = newText(rec);
    size = utf8Length(fresh);
    preview = stringSlice(fresh, 0, settings.maxTextChars);
    rec.sse?.push(fresh);
  }
  rec.loadedSeen = loaded;
  if (size === 0) return;
  rec.chunks++;
  const conn = rec.conn;
  if (isStreamingType(rec.contentType) || rec.chunks > 2) {
    emit({ type: 'http.chunk', conn, size, preview });
  } else if (rec.chunks === 1) {
    rec.firstChunk = { t: now(), size, preview };
  } else {
    const first = rec.firstChunk!;
    emit({ type: 'http.chunk', conn, size: first.size, preview: first.preview, t: first.t });
    emit({ type: 'http.chunk', conn, size, preview });
  }
}

function endConn(rec: XhrRecord): string | null {
  const conn = rec.conn;
  if (conn !== null) unregisterTarget(conn);
  rec.conn = null;
  rec.sse = null;
  return conn;
}

function bytesBody(bytes: Uint8Array, textual: boolean): Payload {
  if (!textual) return binaryPayload(bytes, bytes.byteLength);
  const head = bytesRange(bytes, 0, settings.maxTextChars * 4);
  const text = textDecode(new TextDecoderCtor(), head) as string;
  return { ...textPayload(text), size: bytes.byteLength, truncated: text.length > settings.maxTextChars || head.length < bytes.length };
}

/** The request completed (`loaded`: bytes received): its end, with the body the page got. */
function onLoad(rec: XhrRecord, loaded: number): void {
  if (rec.conn === null) return;
  onResponse(rec);
  const xhr = rec.xhr;
  const type = xhrGet.responseType(xhr) as string;
  const textual = isTextual(rec.contentType);
  if (rec.sse) {
    rec.sse.push(newText(rec));
    rec.sse.end();
  }
  const conn = endConn(rec)!;
  const t = rec.doneAt ?? now();
  const end = (size: number, bodyHash: string | null, body: Payload | null): void =>
    emit({ type: 'http.end', conn, size, bodyHash, body, t });
  if (type === '' || type === 'text') {
    const text = xhrGet.responseText(xhr) as string;
    end(utf8Length(text), bodyHashOfText(text), textPayload(text));
  } else if (type === 'json') {
    const value = xhrGet.response(xhr);
    // The page got a parsed object: its canonical JSON stands for the body (same data, same hash).
    const text = value === null ? '' : (jsonStringify(value) as string);
    end(loaded, bodyHashOfText(text), { ...textPayload(text), size: loaded });
  } else if (type === 'arraybuffer') {
    const buffer = xhrGet.response(xhr) as ArrayBuffer | null;
    const bytes = buffer ? bytesOf(buffer) : new Uint8ArrayCtor(0);
    end(bytes.byteLength, bodyHashOfBytes(bytes), bytesBody(bytes, textual));
  } else if (type === 'blob') {
    const blob = xhrGet.response(xhr) as Blob | null;
    if (!blob) {
      end(0, EMPTY_BODY_HASH, null);
      return;
    }
    promiseThen(
      blobArrayBuffer(blob),
      (buffer) => {
        const bytes = new Uint8ArrayCtor(buffer as ArrayBuffer);
        emit({ type: 'http.end', conn, size: bytes.byteLength, bodyHash: bodyHashOfBytes(bytes), body: bytesBody(bytes, textual), t });
      },
      () => emit({ type: 'http.end', conn, size: blobSize(blob), bodyHash: null, body: null, t }),
    );
  } else {
    // 'document': the page got a parsed tree; the wire text is not exposed.
    end(loaded, null, null);
  }
}

function onFailure(rec: XhrRecord, reason: 'abort' | 'network' | 'timeout', message: string): void {
  const t = rec.doneAt ?? now();
  const conn = endConn(rec);
  if (conn !== null) emit({ type: 'http.error', conn, reason, message, t });
}

function listen(rec: XhrRecord): void {
  const on = (type: string, name: string, handler: (event: ProgressEvent) => void): void => {
    addListener(
      rec.xhr,
      type,
      (event: Event) => {
        if (!event.isTrusted) return;
        try {
          handler(event as ProgressEvent);
        } catch (error) {
          hookError(name, error);
        }
      },
      CAPTURE,
    );
  };
  on('readystatechange', 'xhr.response', () => {
    const state = xhrGet.readyState(rec.xhr) as number;
    if (state >= HEADERS_RECEIVED) onResponse(rec);
    if (state === DONE && rec.conn !== null && rec.doneAt === null) rec.doneAt = now();
  });
  on('progress', 'xhr.progress', (e) => onProgress(rec, e));
  on('load', 'xhr.load', (e) => onLoad(rec, progressLoaded(e) as number));
  // A request's error and timeout events fire even when its readystatechange handler re-opened
  // the object (XHR Standard, "request error steps": no state check, unlike load): the request
  // they are for was recorded then (the open() hook), and the one in flight is not theirs.
  const failed = (reason: 'network' | 'timeout', message: string) => () => {
    if ((xhrGet.readyState(rec.xhr) as number) === DONE) onFailure(rec, reason, message);
  };
  on('error', 'xhr.error', failed('network', 'XMLHttpRequest network error'));
  on('timeout', 'xhr.timeout', failed('timeout', 'XMLHttpRequest timeout'));
  on('abort', 'xhr.abort', (event) => {
    if (rec.abortAsError) {
      rec.abortAsError = false;
      onFailure(rec, 'network', 'network error (injected drop)');
      stopImmediatePropagation(event);
      dispatch(rec.xhr, new ProgressEventCtor('error', { loaded: progressLoaded(event) as number }));
      return;
    }
    onFailure(rec, 'abort', 'XMLHttpRequest aborted');
  });
}

/**
 * `args` with its first two converted to strings once, in WebIDL order, so page
 * objects' toString runs once (open's method and URL, a header's name and value).
 */
function withStringPair(args: unknown[]): unknown[] {
  if (args.length < 2) return args;
  const callArgs = arrayCopy(args, 0);
  callArgs[0] = `${args[0] as string}`;
  callArgs[1] = `${args[1] as string}`;
  return callArgs;
}

/** Install the XMLHttpRequest hooks; false when the global is missing or not patchable. */
export function installXhrHooks(): boolean {
  const native = global.XMLHttpRequest;
  if (typeof native !== 'function') return false;
  const proto = native.prototype;
  records = sharedMap('xhr');

  hookRecordedMethod(proto, 'open', 'xhr.open', records, (open, self, args) => {
    const callArgs = withStringPair(args);
    const before = weakMapGet(records, self) as XhrRecord | undefined;
    try {
      // Re-opened from its own readystatechange at DONE (a long poll reusing its XHR): `load`
      // never fires for the request that completed (XHR Standard, "handle response
      // end-of-body": load only while the state is still done), so its end is recorded now,
      // while its response is still readable.
      if (before !== undefined && before.conn !== null && before.doneAt !== null && (xhrGet.readyState(self) as number) === DONE) {
        if ((xhrGet.status(self) as number) !== 0) onLoad(before, before.loadedSeen);
        else {
          // It failed, and is re-opened before its error or timeout event: a timeout when the
          // request's own limit had run out by then, else a network error.
          const limit = xhrGet.timeout(self) as number;
          if (limit > 0 && before.doneAt - before.sentAt >= limit) onFailure(before, 'timeout', 'XMLHttpRequest timeout');
          else onFailure(before, 'network', 'XMLHttpRequest network error');
        }
      }
    } catch (error) {
      hookError('xhr.open', error);
    }
    const result = apply(open, self, callArgs);
    const rec = weakMapGet(records, self) as XhrRecord | undefined;
    if (rec) {
      try {
        // open() terminates a request still in flight without firing events.
        onFailure(rec, 'abort', 'XMLHttpRequest re-opened');
        rec.method = normalizeMethod(callArgs[0] as string);
        rec.url = absoluteUrl(callArgs[1] as string);
        rec.async = args.length < 3 ? true : !!args[2];
        rec.headers = [];
      } catch (error) {
        hookError('xhr.open', error);
      }
    }
    return result;
  });

  hookRecordedMethod(proto, 'setRequestHeader', 'xhr.setRequestHeader', records, (set, self, args) => {
    const callArgs = withStringPair(args);
    const result = apply(set, self, callArgs);
    const rec = weakMapGet(records, self) as XhrRecord | undefined;
    if (rec) rec.headers[rec.headers.length] = [stringToLowerCase(callArgs[0] as string), callArgs[1] as string];
    return result;
  });

  hookRecordedMethod(proto, 'send', 'xhr.send', records, (send, self, args) => {
    const rec = weakMapGet(records, self) as XhrRecord | undefined;
    let delay = 0;
    if (rec && rec.conn === null && (xhrGet.readyState(self) as number) === OPENED) {
      try {
        const conn = nextConn();
        rec.conn = conn;
        rec.responded = false;
        rec.contentType = '';
        rec.textSeen = 0;
        rec.loadedSeen = 0;
        rec.chunks = 0;
        rec.firstChunk = null;
        rec.doneAt = null;
        rec.sentAt = now();
        const bodyless = rec.method === 'GET' || rec.method === 'HEAD';
        emit({
          type: 'http.request',
          conn,
          transport: 'xhr',
          method: rec.method,
          url: rec.url,
          headers: rec.headers,
          bodySize: bodyless ? 0 : requestBodySize(args[0]),
          sync: !rec.async,
        });
        noteRequest(conn, rec.url, now());
        registerTarget(conn, {
          drop: () => {
            rec.abortAsError = true;
            xhrAbort(self);
          },
        });
        if (isOffline()) xhrOpen(self as XMLHttpRequest, rec.method, UNREACHABLE_URL, rec.async);
        else if (rec.async) delay = latencyMs();
      } catch (error) {
        hookError('xhr.send', error);
      }
    }
    if (delay > 0) {
      setTimer(() => {
        try {
          apply(send, self, args);
        } catch {
          // The page aborted or re-opened the request during the injected delay.
          if (rec) onFailure(rec, 'abort', 'XMLHttpRequest aborted during injected latency');
        }
      }, delay);
      return undefined;
    }
    try {
      return apply(send, self, args);
    } catch (error) {
      // A synchronous request that failed throws; its events may not have fired.
      if (rec && rec.conn !== null && !rec.async) onFailure(rec, 'network', StringCtor((error as Error)?.message ?? error));
      throw error;
    }
  });

  return hookConstructor(global, 'XMLHttpRequest', (target, args, newTarget) => {
    const xhr = construct(target, args, newTarget) as XMLHttpRequest;
    try {
      const rec = owned<XhrRecord>({
        xhr,
        method: 'GET',
        url: '',
        async: true,
        headers: [],
        conn: null,
        responded: false,
        contentType: '',
        textSeen: 0,
        loadedSeen: 0,
        chunks: 0,
        firstChunk: null,
        sse: null,
        abortAsError: false,
        doneAt: null,
        sentAt: 0,
      });
      weakMapSet(records, xhr, rec);
      listen(rec);
    } catch (error) {
      hookError('xhr.create', error);
    }
    return xhr;
  });
}
