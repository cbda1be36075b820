/**
 * fetch hook. The page gets a promise chained on the native one (so its
 * unhandled rejections stay unhandled) and the very Response object the browser
 * made, whose body is observed as the page reads it (response-body.ts).
 *
 * What the page passed is read once, by the platform: an `init` object is handed
 * to the Request constructor (through a Proxy that only watches what it reads),
 * and the Request made from it goes to the native fetch, so getters run and
 * iterators (headers given as a one-shot iterator) are consumed exactly once, in
 * the platform's order; the facts recorded are the Request's. Its errors are
 * fetch's own (reworded as fetch words them), and no error leaves the hook with
 * the hook's frames in its stack.
 */
import type { HeaderList } from '../../core/events.ts';
import { emit, hookError, nextConn, now } from './emitter.ts';
import { noteRequest } from './resource-timing.ts';
import { delayed, isOffline, latencyMs, registerTarget, unregisterTarget } from './faults.ts';
import {
  AbortControllerCtor,
  abortControllerAbort,
  abortControllerSignal,
  abortSignalAny,
  AbortSignalCtor,
  apply,
  arrayCopy,
  defineProperty,
  dictionary,
  doc,
  getOwnPropertyDescriptor,
  global,
  headersForEach,
  nodeBaseURI,
  objectCreate,
  ownIterable,
  promiseReject,
  promiseThen,
  ProxyCtor,
  RequestCtor,
  requestGet,
  responseGet,
  stringSlice,
  stringStartsWith,
  FETCH_NETWORK_ERROR_MESSAGE,
  TypeErrorCtor,
  URLCtor,
  urlHref,
} from './natives.ts';
import { hookMethod, rethrowScrubbed, scrubbed } from './patch.ts';
import { mediaType, normalizeMethod, requestBodySize } from './payload.ts';
import { errorMessage, failureReason, installBodyFollowers, watchResponse, type ResponseFacts } from './response-body.ts';

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
    return urlHref(new URLCtor(url, nodeBaseURI(doc)));
  } catch {
    return url;
  }
}

/** How Blink words an argument error of the Request constructor, and of fetch (Chromium 156). */
const REQUEST_ERROR_CONTEXT = "Failed to construct 'Request': ";
const FETCH_ERROR_CONTEXT = "Failed to execute 'fetch' on 'Window': ";

/** The Request constructor's argument error as fetch reports it (the same text after the context). */
function asFetchError(error: unknown): unknown {
  try {
    const message = error !== null && typeof error === 'object' ? getOwnPropertyDescriptor(error, 'message') : undefined;
    if (message && typeof message.value === 'string' && stringStartsWith(message.value, REQUEST_ERROR_CONTEXT)) {
      defineProperty(
        error as object,
        'message',
        dictionary({ ...message, value: FETCH_ERROR_CONTEXT + stringSlice(message.value, REQUEST_ERROR_CONTEXT.length) }),
      );
    }
  } catch {
    // Leave it as it came.
  }
  return scrubbed(error);
}

interface Prepared {
  /** The arguments for the native fetch. */
  callArgs: unknown[];
  facts: ResponseFacts;
  /** A `drop` fault can abort the request (the hook's signal is part of it). */
  droppable: boolean;
  /** Set when the arguments are invalid: the error fetch rejects with. */
  failure?: unknown;
}

/**
 * The request the page asked for, with the hook's abort signal added where that
 * cannot change it (not to a Request given without init: a non-empty init would
 * reset its referrer), and the facts to record.
 */
function prepare(input: unknown, init: unknown, controller: AbortController): Prepared {
  const conn = nextConn();
  const isRequest = input instanceof RequestCtor;
  const ours = abortSignalAny ? (abortControllerSignal(controller) as AbortSignal) : null;
  if (init === undefined || init === null) {
    const url = isRequest ? (requestGet.url(input) as string) : absoluteUrl(input as string);
    const request = isRequest ? (input as Request) : null;
    const droppable = !isRequest && ours !== null;
    const method = request ? (requestGet.method(request) as string) : 'GET';
    emit({
      type: 'http.request',
      conn,
      transport: 'fetch',
      method,
      url,
      headers: request ? headerList(requestGet.headers(request) as Headers) : [],
      bodySize: request ? null : 0,
    });
    noteRequest(conn, url, now());
    let callArgs: unknown[] = [input];
    if (droppable) {
      // An init with the hook's signal only; no prototype, so assigning runs no setter of the page's.
      const signalOnly = objectCreate(null) as { signal?: AbortSignal };
      signalOnly.signal = ours!;
      callArgs = [input, signalOnly];
    }
    return {
      callArgs,
      facts: {
        conn,
        url,
        method,
        credentials: request ? (requestGet.credentials(request) as string) : 'same-origin',
        signal: request ? (requestGet.signal(request) as AbortSignal) : null,
        controller,
      },
      droppable,
    };
  }
  // The members fetch reads from init, as it reads them (each once).
  const seen = { method: undefined as unknown, body: undefined as unknown, present: false };
  let droppable = false;
  // The Proxy's target is a blank object, not the page's init: a Proxy checks its
  // invariants on its target, which for a page Proxy would show as extra traps.
  const pageInit = init as Record<PropertyKey, unknown>;
  const view =
    typeof init === 'object' || typeof init === 'function'
      ? new ProxyCtor(
          objectCreate(null) as object,
          dictionary({
            get(_blank: object, key: PropertyKey) {
              const value = pageInit[key];
              if (key === 'signal') {
                // With a Request input, only an init that is not empty already may gain a member.
                if (ours && (!isRequest || seen.present)) {
                  if (value === undefined || value === null) {
                    droppable = true;
                    return ours;
                  }
                  if (value instanceof AbortSignalCtor) {
                    droppable = true;
                    return abortSignalAny!(ownIterable([value as AbortSignal, ours]));
                  }
                }
                return value;
              }
              if (value !== undefined) seen.present = true;
              if (key === 'method') seen.method = value;
              else if (key === 'body') seen.body = value;
              return value;
            },
          }),
        )
      : init;
  let request: Request;
  try {
    request = new RequestCtor(input as RequestInfo, view as RequestInit);
  } catch (failure) {
    const url = isRequest ? (requestGet.url(input) as string) : absoluteUrl(input as string);
    const method = typeof seen.method === 'string' ? normalizeMethod(seen.method) : 'GET';
    emit({ type: 'http.request', conn, transport: 'fetch', method, url, headers: [], bodySize: 0 });
    return { callArgs: [], facts: { conn, url, method, credentials: 'same-origin', signal: null, controller }, droppable: false, failure };
  }
  const url = requestGet.url(request) as string;
  const method = requestGet.method(request) as string;
  let bodySize: number | null = isRequest ? null : 0;
  if (seen.body !== undefined) {
    try {
      bodySize = requestBodySize(seen.body);
    } catch (error) {
      // A page object that throws when looked at (a hostile Proxy): the request goes on, its size unknown.
      bodySize = null;
      hookError('fetch', error);
    }
  }
  emit({
    type: 'http.request',
    conn,
    transport: 'fetch',
    method,
    url,
    headers: headerList(requestGet.headers(request) as Headers),
    bodySize,
  });
  noteRequest(conn, url, now());
  return {
    callArgs: [request],
    facts: {
      conn,
      url,
      method,
      credentials: requestGet.credentials(request) as string,
      signal: requestGet.signal(request) as AbortSignal,
      controller,
    },
    droppable,
  };
}

function onResponse(facts: ResponseFacts, response: Response): void {
  const headers = headerList(responseGet.headers(response) as Headers);
  let contentTypeHeader: string | null = null;
  // Indexed, not for-of: a page may replace Array.prototype[Symbol.iterator].
  for (let i = 0; i < headers.length; i++) if (headers[i]![0] === 'content-type') contentTypeHeader = headers[i]![1];
  const contentType = mediaType(contentTypeHeader);
  const finalUrl = responseGet.url(response) as string;
  emit({
    type: 'http.response',
    conn: facts.conn,
    status: responseGet.status(response) as number,
    statusText: responseGet.statusText(response) as string,
    headers,
    url: finalUrl === '' ? facts.url : finalUrl,
    contentType,
  });
  watchResponse(response, facts, headers, contentType);
}

/** The failure an offline fault gives a request: its own argument error, else a network error. */
function offlineFailure(prepared: Prepared): unknown {
  if (prepared.failure !== undefined) return asFetchError(prepared.failure);
  return new TypeErrorCtor(FETCH_NETWORK_ERROR_MESSAGE);
}

/** fetch's arguments with `input` (converted once) in place of the first. */
function withInput(input: unknown, args: unknown[]): unknown[] {
  const callArgs = arrayCopy(args, 0);
  callArgs[0] = input;
  return callArgs;
}

/** Install the fetch hook; false when the global is missing or not patchable. */
export function installFetchHook(): boolean {
  if (typeof global.fetch !== 'function') return false;
  installBodyFollowers();
  return hookMethod(global, 'fetch', (nativeFetch, self, args) => {
    // fetch() without arguments rejects with fetch's own TypeError.
    if (args.length === 0) return promiseThen(apply(nativeFetch, self, args) as Promise<unknown>, undefined, rethrowScrubbed);
    let input = args[0];
    if (typeof input !== 'string' && !(input instanceof RequestCtor)) {
      // Convert the URL once, as WebIDL would (ToString), so a page object's
      // toString runs exactly once; a throwing one rejects the fetch, as natively.
      try {
        input = `${input as string}`;
      } catch (error) {
        return promiseReject(scrubbed(error));
      }
    }
    const controller = new AbortControllerCtor();
    let prepared: Prepared | null = null;
    try {
      prepared = prepare(input, args[1], controller);
    } catch (error) {
      hookError('fetch', error);
    }
    if (prepared === null) {
      return promiseThen(apply(nativeFetch, self, withInput(input, args)) as Promise<unknown>, undefined, rethrowScrubbed);
    }
    const { facts } = prepared;
    if (isOffline()) {
      const failure = offlineFailure(prepared);
      emit({ type: 'http.error', conn: facts.conn, reason: 'network', message: errorMessage(failure) });
      return promiseReject(failure);
    }
    if (prepared.failure !== undefined) {
      const failure = asFetchError(prepared.failure);
      emit({ type: 'http.error', conn: facts.conn, reason: 'network', message: errorMessage(failure) });
      return promiseReject(failure);
    }
    const native = apply(nativeFetch, self, prepared.callArgs) as Promise<Response>;
    if (prepared.droppable) {
      // Until headers arrive, a drop fails the request as the network would: the browser's network TypeError.
      registerTarget(facts.conn, {
        drop: () => abortControllerAbort(controller, new TypeErrorCtor(FETCH_NETWORK_ERROR_MESSAGE)),
      });
    }
    return promiseThen(
      native,
      (response) => {
        try {
          onResponse(facts, response as Response);
        } catch (error) {
          hookError('fetch.response', error);
        }
        const delay = latencyMs();
        return delay > 0 ? delayed(response, delay) : response;
      },
      (error) => {
        try {
          unregisterTarget(facts.conn);
          const reason = failureReason(facts, error);
          emit({ type: 'http.error', conn: facts.conn, reason, message: errorMessage(error) });
        } catch (failure) {
          hookError('fetch.error', failure);
        }
        throw scrubbed(error);
      },
    );
  });
}

