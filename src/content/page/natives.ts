/**
 * Natives captured when the hooks install at document_start, before any page
 * script runs. Page code that later overwrites `JSON`, `dispatchEvent`,
 * `setTimeout` or the transport globals cannot blind or break the hooks, which
 * only ever call these references.
 */

import {
  arrayBufferByteLength,
  charCodeAt,
  hasOwn,
  isArray,
  stringIndexOf,
  stringSlice,
  typedArrayBuffer,
  typedArrayByteLength,
  typedArrayByteOffset,
  typedArrayLength,
  uncurry,
} from '../../core/primordials.ts';

export { arrayBufferByteLength, charCodeAt, hasOwn, isArray, stringIndexOf, stringSlice, typedArrayByteLength };

const R = Reflect;
export const apply = R.apply;
export const construct = R.construct;
export const getOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
export const defineProperty = Object.defineProperty;
export const ProxyCtor = Proxy;
export const reflectGet = R.get;
export const deleteProperty = R.deleteProperty;
export const ObjectPrototype = Object.prototype;
export const ArrayPrototype = Array.prototype;
export const ErrorCtor = Error;

const win = globalThis as unknown as Window & typeof globalThis;
export const global = win;
export const doc = win.document;

export const jsonStringify = JSON.stringify;
export const jsonParse = JSON.parse;
export const setTimer = win.setTimeout.bind(win) as (fn: () => void, ms: number) => number;
export const clearTimer = win.clearTimeout.bind(win) as (id: number) => void;
export const performanceNow = win.performance.now.bind(win.performance);
export const timeOrigin = win.performance.timeOrigin;
export const btoaNative = win.btoa.bind(win);
export const fromCharCode = String.fromCharCode;
export const getRandomValues = win.crypto.getRandomValues.bind(win.crypto);

export const addListener = uncurry(EventTarget.prototype.addEventListener);
export const removeListener = uncurry(EventTarget.prototype.removeEventListener);
export const dispatch = uncurry(EventTarget.prototype.dispatchEvent);
export const stopImmediatePropagation = uncurry(Event.prototype.stopImmediatePropagation);
/**
 * The window's current event (`window.event`, WHATWG DOM § 2.10: set while a listener of an
 * event whose target lives in this window is invoked), or null where the platform has none.
 */
const windowEvent = getter(win, 'event');
export const currentEvent: (() => unknown) | null = windowEvent ? () => windowEvent(win) : null;
const functionBind = Function.prototype.bind;
const functionCall = Function.prototype.call;
/** `call` bound to itself: `through(f, self, ...args)` is `f.call(self, ...args)`. */
const through = apply(functionBind, functionCall, [functionCall]) as (...args: unknown[]) => unknown;
/** A function that does nothing and adds no frame to a stack (Function.prototype is callable and returns undefined). */
export const noop = Function.prototype as () => void;
/**
 * `callback` called with `self` as this. Bound functions and Function.prototype.call add no
 * frame to a stack, so no frame of the hooks is there while `callback` runs; and bind reads
 * the name and length of what it binds, here `through`, which the page cannot reach (the
 * native call's are configurable: a page's getter there would run).
 */
export const callWith = (callback: unknown, self: unknown): ((event: Event) => unknown) =>
  apply(functionBind, through, [undefined, callback, self]) as (event: Event) => unknown;
export const eventCancelable = getter(Event.prototype, 'cancelable')! as (event: Event) => boolean;
export const preventDefault = uncurry(Event.prototype.preventDefault);
export const EventTargetCtor = EventTarget;
export const CustomEventCtor = CustomEvent;
export const customEventDetail = getter(CustomEvent.prototype, 'detail')! as (event: Event) => unknown;
export const mouseEventRelatedTarget = uncurry(getOwnPropertyDescriptor(MouseEvent.prototype, 'relatedTarget')!.get!) as (
  event: Event,
) => EventTarget | null;
export const getAttribute = uncurry(Element.prototype.getAttribute) as (element: unknown, name: string) => string | null;
export const iframeSandbox = getter(HTMLIFrameElement.prototype, 'sandbox')! as (iframe: unknown) => DOMTokenList;
export const tokenListContains = uncurry(DOMTokenList.prototype.contains) as (list: DOMTokenList, token: string) => boolean;
export const documentDefaultView = getter(Document.prototype, 'defaultView')! as (d: unknown) => Window | null;
export const MutationObserverCtor = MutationObserver;
export const observeMutations = uncurry(MutationObserver.prototype.observe) as (
  observer: MutationObserver,
  target: Node,
  options: MutationObserverInit,
) => void;
export const MessageEventCtor = MessageEvent;
export const CloseEventCtor = CloseEvent;
export const EventCtor = Event;
export const TypeErrorCtor = TypeError;
/**
 * The message of the TypeError a fetch rejects with on a network failure, in this browser:
 * Gecko says "NetworkError when attempting to fetch resource." where Chromium says "Failed to
 * fetch" (both measured: test/e2e/firefox.e2e.test.ts, test/browser/faults.browser.test.ts).
 * Read at install, before page scripts run: `mozInnerScreenX` exists only in Gecko.
 */
export const GECKO = typeof (globalThis as { mozInnerScreenX?: unknown }).mozInnerScreenX === 'number';
export const FETCH_NETWORK_ERROR_MESSAGE = GECKO ? 'NetworkError when attempting to fetch resource.' : 'Failed to fetch';
export const URLCtor = URL;
export const urlHref = getter(URL.prototype, 'href')! as (url: URL) => string;
export const nodeBaseURI = getter(Node.prototype, 'baseURI')! as (node: Node) => string;
export const TextDecoderCtor = TextDecoder;
export const textDecode = uncurry(TextDecoder.prototype.decode);
export const textEncoder = new TextEncoder();
export const textEncode = uncurry(TextEncoder.prototype.encode);
const regExpExec = RegExp.prototype.exec;
/**
 * `re` with the native `exec` as its own property: RegExp.prototype.test and
 * @@search look `exec` up on the regexp, so a page that replaces
 * RegExp.prototype.exec would otherwise see (or break) the hooks' matching.
 */
export function ownRegExp(re: RegExp): RegExp {
  defineProperty(re, 'exec', { value: regExpExec });
  return re;
}
export const regExpTest = uncurry(RegExp.prototype.test) as (re: RegExp, text: string) => boolean;
export const regExpSearch = uncurry(RegExp.prototype[Symbol.search]) as (re: RegExp, text: string) => number;
export const Uint8ArrayCtor = Uint8Array;
export const isView = ArrayBuffer.isView;
/**
 * True for an ArrayBuffer of any realm (a frame's included), by its brand: the native
 * `byteLength` getter throws for anything else. `instanceof` would run a
 * `Symbol.hasInstance` the page put on the constructor, and is false across realms.
 */
export function isArrayBuffer(value: unknown): value is ArrayBuffer {
  if (value === null || typeof value !== 'object') return false;
  try {
    arrayBufferByteLength(value);
    return true;
  } catch {
    return false;
  }
}
export const isExtensible = Object.isExtensible;
export const BlobCtor = Blob;
export const blobSize = uncurry(getOwnPropertyDescriptor(Blob.prototype, 'size')!.get!) as (b: unknown) => number;
export const blobSlice = uncurry(Blob.prototype.slice);
export const blobArrayBuffer = uncurry(Blob.prototype.arrayBuffer);
export const promiseThen = uncurry(Promise.prototype.then) as <T>(
  p: Promise<T>,
  onFulfilled?: (value: T) => unknown,
  onRejected?: (reason: unknown) => unknown,
) => Promise<unknown>;
export const PromiseCtor = Promise;
export const promiseReject = Promise.reject.bind(Promise) as (reason: unknown) => Promise<never>;
export const objectCreate = Object.create;
const setPrototypeOf = Object.setPrototypeOf;

/**
 * `members` without a prototype, for an object the platform reads (a Proxy handler, an
 * event's or a listener's options, a property descriptor): it looks up the members it
 * lacks along the prototype chain, where a getter the page put on Object.prototype
 * would run with the object, and the data in it.
 */
export function dictionary<T extends object>(members: T): T {
  setPrototypeOf(members, null);
  return members;
}

/** addEventListener options of the hooks' own listeners. */
export const CAPTURE: AddEventListenerOptions = dictionary({ capture: true });
/** TextDecoder.decode options of a stream's pieces. */
export const STREAM: TextDecodeOptions = dictionary({ stream: true });
export const getPrototypeOf = Object.getPrototypeOf;
export const StringCtor = String;
export const isFiniteNumber = Number.isFinite;

export const stringTrim = uncurry(String.prototype.trim) as (s: string) => string;
export const stringToLowerCase = uncurry(String.prototype.toLowerCase) as (s: string) => string;
export const stringToUpperCase = uncurry(String.prototype.toUpperCase) as (s: string) => string;
export const stringStartsWith = uncurry(String.prototype.startsWith) as (s: string, search: string) => boolean;
/**
 * Elements `start` up to `end` of an array, copied by index: Array.prototype.slice would
 * look up the array's `constructor` and its @@species, which a page can replace.
 */
export function arrayCopy<T>(array: ArrayLike<T>, start: number, end = array.length): T[] {
  const copy: T[] = [];
  for (let i = start; i < end; i++) copy[copy.length] = array[i]!;
  return copy;
}

const iteratorSymbol = Symbol.iterator;

/**
 * `items` as an iterable with its own iterator, for a platform function that takes a
 * WebIDL sequence (AbortSignal.any): converting an array would call the page-replaceable
 * Array.prototype[Symbol.iterator] and the array iterator's `next`.
 */
export function ownIterable<T>(items: T[]): Iterable<T> {
  let i = 0;
  const iterator = {
    next: (): IteratorResult<T> => (i < items.length ? { value: items[i++]!, done: false } : { value: undefined, done: true }),
  };
  return { [iteratorSymbol]: () => iterator } as unknown as Iterable<T>;
}

const typedArrayProto = Object.getPrototypeOf(Uint8Array.prototype) as object;
const dataViewBuffer = getter(DataView.prototype, 'buffer')! as (v: unknown) => ArrayBuffer;
const dataViewByteOffset = getter(DataView.prototype, 'byteOffset')! as (v: unknown) => number;
const dataViewByteLength = getter(DataView.prototype, 'byteLength')! as (v: unknown) => number;

/** The bytes a view (a typed array or a DataView, of any realm) covers, read with the native getters. */
export function viewBytes(view: ArrayBufferView): Uint8Array {
  try {
    return new Uint8ArrayCtor(typedArrayBuffer(view), typedArrayByteOffset(view), typedArrayByteLength(view));
  } catch {
    return new Uint8ArrayCtor(dataViewBuffer(view), dataViewByteOffset(view), dataViewByteLength(view));
  }
}
export const typedArraySet = uncurry((typedArrayProto as Uint8Array).set) as (a: Uint8Array, source: ArrayLike<number>, offset?: number) => void;

/**
 * `bytes.subarray(begin, end)` for 0 <= begin, without subarray's lookup of the
 * page-replaceable `constructor` and @@species: a view of the same memory.
 */
export function bytesRange(bytes: Uint8Array, begin: number, end?: number): Uint8Array {
  const length = typedArrayLength(bytes);
  const to = end === undefined || end > length ? length : end;
  const from = begin < to ? begin : to;
  return new Uint8ArrayCtor(typedArrayBuffer(bytes), typedArrayByteOffset(bytes) + from, to - from);
}

export const MapCtor = Map;
export const mapGet = uncurry(Map.prototype.get) as <K, V>(m: Map<K, V>, k: K) => V | undefined;
export const mapSet = uncurry(Map.prototype.set) as <K, V>(m: Map<K, V>, k: K, v: V) => void;
export const mapDelete = uncurry(Map.prototype.delete) as <K, V>(m: Map<K, V>, k: K) => boolean;
export const mapForEach = uncurry(Map.prototype.forEach) as <K, V>(m: Map<K, V>, cb: (v: V, k: K) => void) => void;
export const SetCtor = Set;
export const setHas = uncurry(Set.prototype.has) as <T>(s: Set<T>, v: T) => boolean;
export const setAdd = uncurry(Set.prototype.add) as <T>(s: Set<T>, v: T) => void;
export const setDelete = uncurry(Set.prototype.delete) as <T>(s: Set<T>, v: T) => boolean;
export const setForEach = uncurry(Set.prototype.forEach) as <T>(s: Set<T>, cb: (v: T) => void) => void;

export const WeakMapCtor = WeakMap;
export const weakMapGet = uncurry(WeakMap.prototype.get) as (m: WeakMap<object, unknown>, k: unknown) => unknown;
export const weakMapSet = uncurry(WeakMap.prototype.set) as (m: WeakMap<object, unknown>, k: object, v: unknown) => void;
export const weakMapDelete = uncurry(WeakMap.prototype.delete) as (m: WeakMap<object, unknown>, k: unknown) => boolean;
export const FinalizationRegistryCtor = typeof FinalizationRegistry === 'function' ? FinalizationRegistry : null;
export const finalizationRegister = FinalizationRegistryCtor
  ? (uncurry(FinalizationRegistryCtor.prototype.register) as (r: FinalizationRegistry<unknown>, target: object, held: unknown, token?: object) => void)
  : null;
export const finalizationUnregister = FinalizationRegistryCtor
  ? (uncurry(FinalizationRegistryCtor.prototype.unregister) as (r: FinalizationRegistry<unknown>, token: object) => boolean)
  : null;

export const HeadersCtor = Headers;
export const headersForEach = uncurry(Headers.prototype.forEach) as (
  h: Headers,
  cb: (value: string, name: string) => void,
) => void;

/** A getter of a prototype, uncurried; null when the platform lacks it. */
function getter(proto: object, key: string): ((self: unknown) => unknown) | null {
  const d = getOwnPropertyDescriptor(proto, key);
  return d && d.get ? uncurry(d.get) : null;
}

export const responseGet = {
  status: getter(Response.prototype, 'status')!,
  statusText: getter(Response.prototype, 'statusText')!,
  headers: getter(Response.prototype, 'headers')!,
  url: getter(Response.prototype, 'url')!,
  body: getter(Response.prototype, 'body')!,
  type: getter(Response.prototype, 'type')!,
};
export const responseBodyUsed = getter(Response.prototype, 'bodyUsed')!;
export const responseClone = uncurry(Response.prototype.clone);
export const responseArrayBuffer = uncurry(Response.prototype.arrayBuffer) as (self: unknown) => Promise<ArrayBuffer>;
export const responseTextMethod = uncurry(Response.prototype.text) as (self: unknown) => Promise<string>;
export const RequestCtor = Request;
export const requestGet = {
  url: getter(Request.prototype, 'url')!,
  method: getter(Request.prototype, 'method')!,
  headers: getter(Request.prototype, 'headers')!,
  credentials: getter(Request.prototype, 'credentials')!,
  signal: getter(Request.prototype, 'signal')!,
};
export const streamGetReader = uncurry(ReadableStream.prototype.getReader) as (
  s: ReadableStream<Uint8Array>,
) => ReadableStreamDefaultReader<Uint8Array>;
export const readerRead = uncurry(ReadableStreamDefaultReader.prototype.read) as (
  r: ReadableStreamDefaultReader<Uint8Array>,
) => Promise<ReadableStreamReadResult<Uint8Array>>;
export const readerCancel = uncurry(ReadableStreamDefaultReader.prototype.cancel) as (
  r: ReadableStreamDefaultReader<Uint8Array>,
  reason?: unknown,
) => Promise<void>;
export const streamLocked = getter(ReadableStream.prototype, 'locked')! as (s: unknown) => boolean;
export const streamPipeTo = uncurry(ReadableStream.prototype.pipeTo) as (
  s: ReadableStream<Uint8Array>,
  dest: WritableStream<Uint8Array>,
) => Promise<void>;
export const TransformStreamCtor = TransformStream;
export const transformEnqueue = uncurry(TransformStreamDefaultController.prototype.enqueue) as (
  c: TransformStreamDefaultController<Uint8Array>,
  chunk: Uint8Array,
) => void;
export const transformGet = {
  readable: getter(TransformStream.prototype, 'readable')! as (t: unknown) => ReadableStream<Uint8Array>,
  writable: getter(TransformStream.prototype, 'writable')! as (t: unknown) => WritableStream<Uint8Array>,
};
export const AbortControllerCtor = AbortController;
export const abortControllerSignal = getter(AbortController.prototype, 'signal')!;
export const abortControllerAbort = uncurry(AbortController.prototype.abort);
export const abortSignalAny = (AbortSignal as unknown as { any?: (s: Iterable<AbortSignal>) => AbortSignal }).any?.bind(
  AbortSignal,
);
export const AbortSignalCtor = AbortSignal;
export const abortSignalReason = getter(AbortSignal.prototype, 'reason')!;
export const abortSignalAborted = getter(AbortSignal.prototype, 'aborted')!;
export const URLSearchParamsCtor = URLSearchParams;
export const urlSearchParamsToString = uncurry(URLSearchParams.prototype.toString);

export const xhrGet = {
  readyState: getter(XMLHttpRequest.prototype, 'readyState')!,
  status: getter(XMLHttpRequest.prototype, 'status')!,
  statusText: getter(XMLHttpRequest.prototype, 'statusText')!,
  responseURL: getter(XMLHttpRequest.prototype, 'responseURL')!,
  responseType: getter(XMLHttpRequest.prototype, 'responseType')!,
  responseText: getter(XMLHttpRequest.prototype, 'responseText')!,
  response: getter(XMLHttpRequest.prototype, 'response')!,
  withCredentials: getter(XMLHttpRequest.prototype, 'withCredentials')!,
  timeout: getter(XMLHttpRequest.prototype, 'timeout')!,
};
export const xhrGetAllResponseHeaders = uncurry(XMLHttpRequest.prototype.getAllResponseHeaders);
export const xhrOpen = uncurry(XMLHttpRequest.prototype.open) as (x: XMLHttpRequest, ...a: unknown[]) => void;
export const xhrAbort = uncurry(XMLHttpRequest.prototype.abort);
export const ProgressEventCtor = ProgressEvent;
export const progressLoaded = getter(ProgressEvent.prototype, 'loaded')!;

export const messageEventGet = {
  data: getter(MessageEvent.prototype, 'data')!,
  origin: getter(MessageEvent.prototype, 'origin')!,
  lastEventId: getter(MessageEvent.prototype, 'lastEventId')!,
};
export const closeEventGet = {
  code: getter(CloseEvent.prototype, 'code')!,
  reason: getter(CloseEvent.prototype, 'reason')!,
  wasClean: getter(CloseEvent.prototype, 'wasClean')!,
};

export const wsGet = {
  url: getter(WebSocket.prototype, 'url')!,
  readyState: getter(WebSocket.prototype, 'readyState')!,
  protocol: getter(WebSocket.prototype, 'protocol')!,
  extensions: getter(WebSocket.prototype, 'extensions')!,
  bufferedAmount: getter(WebSocket.prototype, 'bufferedAmount')!,
};
export const wsClose = uncurry(WebSocket.prototype.close) as (ws: WebSocket, code?: number, reason?: string) => void;

export const esGet =
  typeof EventSource === 'function'
    ? {
        url: getter(EventSource.prototype, 'url')!,
        readyState: getter(EventSource.prototype, 'readyState')!,
        withCredentials: getter(EventSource.prototype, 'withCredentials')!,
      }
    : null;
export const esClose = typeof EventSource === 'function' ? uncurry(EventSource.prototype.close) : null;
