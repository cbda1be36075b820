/**
 * The page side of the page↔relay bridge (src/shared/page-bridge.ts): numbers
 * events per document, batches them (at most MAX_BATCH events or FLUSH_MS,
 * whichever comes first), buffers until the relay says `ready`, and dispatches
 * each batch as one string (`encodePageEvents`: a JSON envelope, then the payload
 * texts, serialised once) on the private channel the relay handed over at
 * document_start, with the natives captured then. Flushes run in their own tasks
 * (a few batches each), or in a listener of the hooks' own that fills a batch
 * (emitQueuedInListener), never inside the page's call, and nothing here throws
 * into the page.
 */
import type { CaptureEvent } from '../../core/events.ts';
import {
  CHANNEL_OFFER_EVENT,
  CHANNEL_REQUEST_EVENT,
  PAGE_BRIDGE_VERSION,
  PAGE_TO_RELAY_EVENT,
  encodePageEvents,
  type QueuedMessage,
  RELAY_TO_PAGE_EVENT,
  type FaultCommand,
  type PageToRelay,
} from '../../shared/page-bridge.ts';
import { DEFAULT_MAX_TEXT_CHARS, PAGE_MESSAGE_MAX_CHARS } from '../../shared/constants.ts';
import {
  addListener,
  ArrayPrototype,
  arrayCopy,
  CAPTURE,
  clearTimer,
  CustomEventCtor,
  customEventDetail,
  defineProperty,
  deleteProperty,
  dictionary,
  dispatch,
  doc,
  ErrorCtor,
  getOwnPropertyDescriptor,
  getPrototypeOf,
  getRandomValues,
  global,
  hasOwn,
  isExtensible,
  jsonParse,
  jsonStringify,
  mouseEventRelatedTarget,
  MutationObserverCtor,
  ObjectPrototype,
  observeMutations,
  performanceNow,
  removeListener,
  setTimer,
  StringCtor,
  stringSlice,
  timeOrigin,
  Uint8ArrayCtor,
} from './natives.ts';

/** Largest batch handed to the relay at once. */
const MAX_BATCH = 500;
/** Estimated JSON characters that trigger a flush: half the relay's message bound, so one batch always fits. */
const MAX_BATCH_CHARS = PAGE_MESSAGE_MAX_CHARS / 2;
/** The guard's MAX_FIELD_CHARS (src/core/guard.ts): the cap can never make a field the relay rejects. */
const MAX_TEXT_CHARS_LIMIT = 1_048_576;
/** Estimated JSON characters of an event besides its payload text. */
const EVENT_OVERHEAD_CHARS = 256;
/**
 * Longest an event waits in the page before its batch is flushed. Each flush costs the
 * page's thread a fixed amount whatever it carries (a timer, the message and its
 * dispatch, the relay's port message and the background's acknowledgement coming back),
 * so at an app's real rates fewer, larger batches are cheaper: on the bench's realistic
 * app (400 messages a second) the extension's script time on the page fell from 744 to
 * 530 ms per 10 s when this went from 50 to 200 ms (median of 5 rounds side by side).
 * Floods are unaffected (a full batch leaves at once); a page going away flushes at once
 * (pagehide); what a person watching the panel sees arrives a fifth of a second later.
 */
const FLUSH_MS = 200;
/** Batches posted per task when a backlog drains (e.g. after `ready`, or a burst). */
const MAX_BATCHES_PER_TASK = 4;
/** Events held while no relay has answered; beyond, they are counted as dropped. */
const MAX_BUFFERED_BEFORE_READY = 20_000;
/** hook.error events per document; later failures are only counted. */
const MAX_HOOK_ERROR_EVENTS = 50;
/** Live capture settings, set by the relay's `config`. */
export const settings = { recording: true, maxTextChars: DEFAULT_MAX_TEXT_CHARS };

/** Epoch milliseconds with sub-millisecond precision. */
export function now(): number {
  return timeOrigin + performanceNow();
}

function randomId(): string {
  const bytes = getRandomValues(new Uint8ArrayCtor(6));
  let id = '';
  for (let i = 0; i < bytes.length; i++) id += (bytes[i]! + 256).toString(16).slice(1);
  return id;
}

/** This document's id. */
export const docId = randomId();
let connCounter = 0;
let pseq = 0;
let queue: Array<CaptureEvent | QueuedMessage> = [];
let queuedChars = 0;
let droppedCount = 0;
let ready = false;
/** The private channel to the relay (src/shared/page-bridge.ts), once offered. */
let channel: EventTarget | null = null;
let flushTimer: number | null = null;
let flushDelayMs = FLUSH_MS;
let hookErrors = 0;
/** Between the browser's pagehide and pageshow: the document is going away and timers may never run. */
let hidden = false;

/** A new request/connection id in this document. */
export function nextConn(): string {
  connCounter++;
  return `${docId}:${connCounter}`;
}

type Unsequenced<E> = E extends CaptureEvent ? Omit<E, 'seq' | 'pseq' | 'frameId' | 'doc' | 't'> & { t?: number } : never;

/**
 * Queue one event (the page fills pseq; the background fills seq/frameId). Its `doc`
 * travels once per message (`encodePageEvents`), not in every event.
 */
export function emit(event: Unsequenced<CaptureEvent>): void {
  if (!settings.recording) return;
  const full = event as CaptureEvent;
  // The hooks' events are plain objects: unless the page put a member of that name on
  // Object.prototype (an `in` test runs no page code), reading and assigning is safe.
  if (own(full, 't') === undefined) setOwn(full, 't', now());
  if (!hasRoom()) return;
  setOwn(full, 'pseq', ++pseq);
  enqueue(full, estimateChars(event));
}

/**
 * Queue one WebSocket or SSE message in its compact form (QueuedMessage: its time already
 * in place, its pseq filled here): what a flood is made of, so no event object is made.
 */
export function emitQueued(message: QueuedMessage): void {
  queueMessage(message, false);
}

/**
 * emitQueued from a listener of the hooks' own that the browser called (no page code on
 * the stack): a full batch leaves now rather than in the next task. Blink dispatches an
 * SSE chunk's events in one task (a thousand and more under a flood), so a batch that
 * waits for its timer holds every event of the chunk, and each of their texts, through
 * the page's scavenges.
 */
export function emitQueuedInListener(message: QueuedMessage): void {
  queueMessage(message, true);
}

function queueMessage(message: QueuedMessage, fromListener: boolean): void {
  if (!settings.recording || !hasRoom()) return;
  message[3] = ++pseq;
  enqueue(message, EVENT_OVERHEAD_CHARS + (message[message.length - 1] as string).length, fromListener);
}

/** Whether the queue takes one more event; while no relay has answered it holds at most MAX_BUFFERED_BEFORE_READY, and counts the rest as dropped. */
function hasRoom(): boolean {
  if (ready || queue.length < MAX_BUFFERED_BEFORE_READY) return true;
  droppedCount++;
  return false;
}

/**
 * Queue `entry` (about `chars` characters of JSON) and see that it is sent. While the
 * document goes away (e.g. a request the page makes in its own pagehide handler) an event
 * is sent at once; otherwise a full batch is flushed in the next task, never inside the
 * page's own call, or now when queued `fromListener` (emitQueuedInListener).
 */
function enqueue(entry: CaptureEvent | QueuedMessage, chars: number, fromListener = false): void {
  queue[queue.length] = entry;
  queuedChars += chars;
  if (hidden) flushAll();
  else if (!ready || (queue.length < MAX_BATCH && queuedChars < MAX_BATCH_CHARS)) scheduleFlush(FLUSH_MS);
  else if (!fromListener) scheduleFlush(0);
  else {
    // A pending flush timer is left as it is: it sends what the flood queues next. Clearing
    // and setting timers per batch cost a flood of 100,000 events 10-16 ms (V8 profile).
    flush();
    if (queue.length > 0) scheduleFlush(0);
  }
}

/**
 * Give an event its own member `key`. Assigning a member an object lacks runs a setter the
 * page may have put on Object.prototype under that name, with the event as `this`: then
 * it is defined instead (a lookup with `in` runs no page code).
 */
function setOwn(event: object, key: string, value: unknown): void {
  if (key in ObjectPrototype) defineProperty(event, key, dictionary({ value, writable: true, enumerable: true, configurable: true }));
  else (event as Record<string, unknown>)[key] = value;
}

/**
 * `holder[key]` if it is the holder's own (undefined otherwise), for the hooks' plain
 * objects: read directly unless Object.prototype holds that name, where an inherited
 * getter would be the page's (`in` runs no page code, and costs less than `hasOwn`).
 */
function own(holder: object, key: string): unknown {
  if (!(key in ObjectPrototype)) return (holder as Record<string, unknown>)[key];
  return hasOwn(holder, key) ? (holder as Record<string, unknown>)[key] : undefined;
}

/** Length of the text `holder[key]` (own members only). */
function ownTextLength(holder: unknown, key: string): number {
  if (holder === null || typeof holder !== 'object') return 0;
  const text = own(holder, key);
  return typeof text === 'string' ? text.length : 0;
}

/** Rough JSON size of an event: its payload texts dominate (only the members its type has are looked at). */
function estimateChars(event: object): number {
  switch ((event as { type: string }).type) {
    case 'ws.message':
    case 'sse.message':
    case 'wt.data':
    case 'wt.datagram':
      return EVENT_OVERHEAD_CHARS + ownTextLength(own(event, 'data'), 'data');
    case 'http.end':
      return EVENT_OVERHEAD_CHARS + ownTextLength(own(event, 'body'), 'data');
    case 'http.chunk':
      return EVENT_OVERHEAD_CHARS + ownTextLength(event, 'preview') + ownTextLength(own(event, 'data'), 'data');
    case 'sse.comment':
      return EVENT_OVERHEAD_CHARS + ownTextLength(event, 'text');
    default:
      return EVENT_OVERHEAD_CHARS;
  }
}

/**
 * JSON.stringify asks every object it writes for `toJSON`, inherited ones too: a getter or
 * method the page put on Object.prototype or Array.prototype under that name would run with
 * the batch's events. For the synchronous length of `serialise` such a member is taken off
 * (and put back after); one that cannot be taken off fails the batch, which is counted.
 */
function withoutPageToJson<T>(serialise: () => T): T {
  if (!('toJSON' in ObjectPrototype) && !('toJSON' in ArrayPrototype)) return serialise();
  // Only what can surely be put back is taken off: both prototypes as the platform made them
  // (Array.prototype's own prototype a Proxy would run page code on every lookup), extensible.
  if (getPrototypeOf(ArrayPrototype) !== ObjectPrototype || !isExtensible(ObjectPrototype) || !isExtensible(ArrayPrototype)) {
    throw new ErrorCtor('the page holds toJSON where the hooks cannot take it off');
  }
  const taken: Array<{ proto: object; descriptor: PropertyDescriptor }> = [];
  try {
    const protos: object[] = [ObjectPrototype, ArrayPrototype];
    for (let i = 0; i < protos.length; i++) {
      const proto = protos[i]!;
      const descriptor = getOwnPropertyDescriptor(proto, 'toJSON');
      if (descriptor === undefined) continue;
      if (!deleteProperty(proto, 'toJSON')) throw new ErrorCtor('the page made toJSON permanent on a prototype');
      taken[taken.length] = { proto, descriptor: dictionary(descriptor) };
    }
    if ('toJSON' in ObjectPrototype || 'toJSON' in ArrayPrototype) throw new ErrorCtor('the page made toJSON permanent on a prototype');
    return serialise();
  } finally {
    for (let i = 0; i < taken.length; i++) {
      try {
        defineProperty(taken[i]!.proto, 'toJSON', taken[i]!.descriptor);
      } catch (error) {
        hookError('emit', error);
      }
    }
  }
}

/** Count an internal hook failure; the page's own call has already gone through. */
export function hookError(hook: string, error: unknown): void {
  hookErrors++;
  if (hookErrors > MAX_HOOK_ERROR_EVENTS) return;
  let message = 'unknown';
  try {
    message = stringSlice(StringCtor(error instanceof ErrorCtor ? error.message : error), 0, 500);
  } catch {
    // an exotic thrown value: keep 'unknown'
  }
  emit({ type: 'hook.error', hook, message });
}

/** Flush after `delayMs`, or sooner when a flush is already due sooner. */
function scheduleFlush(delayMs: number): void {
  if (flushTimer !== null) {
    if (delayMs >= flushDelayMs) return;
    clearTimer(flushTimer);
  }
  flushDelayMs = delayMs;
  flushTimer = setTimer(onFlushTimer, delayMs);
}

function onFlushTimer(): void {
  flushTimer = null;
  if (!ready) return;
  flush();
  // A backlog goes out a few batches per task, so the page's own tasks run in between.
  if (queue.length > 0) scheduleFlush(0);
}

function postJson(json: string): void {
  if (channel !== null) dispatch(channel, new CustomEventCtor(PAGE_TO_RELAY_EVENT, dictionary({ detail: json })));
}

function post(message: PageToRelay): void {
  postJson(jsonStringify(message));
}

/**
 * Send everything queued now: the document is being unloaded or put into the
 * back/forward cache, and the flush timer may never run (events queued for up
 * to FLUSH_MS were lost on navigation).
 */
function flushAll(): void {
  if (!ready) return;
  if (flushTimer !== null) {
    clearTimer(flushTimer);
    flushTimer = null;
  }
  // Bounded: a batch that fails to send comes back as one capture.dropped event.
  for (let rounds = 0; queue.length > 0 && rounds < 100; rounds++) flush();
}

/** Send up to MAX_BATCHES_PER_TASK batches from the head of the queue. */
function flush(): void {
  if (droppedCount > 0) {
    const count = droppedCount;
    droppedCount = 0;
    emitDropped(count);
  }
  const all = queue;
  const take = all.length < MAX_BATCH * MAX_BATCHES_PER_TASK ? all.length : MAX_BATCH * MAX_BATCHES_PER_TASK;
  queue = take === all.length ? [] : arrayCopy(all, take);
  queuedChars = 0;
  for (let i = 0; i < take; i += MAX_BATCH) sendBatch(all, i, i + MAX_BATCH < take ? i + MAX_BATCH : take);
}

/** Post `queued[from, to)` as one batch, halving it while its JSON exceeds the relay's bound. */
function sendBatch(queued: Array<CaptureEvent | QueuedMessage>, from: number, to: number): void {
  const count = to - from;
  try {
    const json = withoutPageToJson(() => encodePageEvents(queued, jsonStringify, docId, from, to));
    if (json.length > PAGE_MESSAGE_MAX_CHARS && count > 1) {
      const half = from + (count >> 1);
      sendBatch(queued, from, half);
      sendBatch(queued, half, to);
      return;
    }
    if (json.length > PAGE_MESSAGE_MAX_CHARS) {
      droppedCount++;
      return;
    }
    postJson(json);
  } catch (error) {
    // A relay listener threw or the batch did not serialise: count, never rethrow into the page.
    droppedCount += count;
    hookError('emit', error);
  }
}

function emitDropped(count: number): void {
  const event = {
    type: 'capture.dropped',
    count,
    where: 'page',
    t: now(),
    pseq: ++pseq,
  } as CaptureEvent;
  queue[queue.length] = event;
}

let faultHandler: ((command: FaultCommand) => void) | null = null;

/** Route the relay's fault commands to `handler`. */
export function onFaultCommand(handler: (command: FaultCommand) => void): void {
  faultHandler = handler;
}

function onRelayMessage(event: Event): void {
  try {
    const detail = customEventDetail(event);
    if (typeof detail !== 'string' || detail.length > 65_536) return;
    const message = jsonParse(detail) as Record<string, unknown> | null;
    if (!message || message.v !== PAGE_BRIDGE_VERSION) return;
    if (message.kind === 'ready') {
      if (!ready) {
        ready = true;
        scheduleFlush(0);
      }
    } else if (message.kind === 'config') {
      if (typeof message.recording === 'boolean') settings.recording = message.recording;
      const cap = message.maxTextChars;
      if (typeof cap === 'number' && cap >= 0 && cap <= MAX_TEXT_CHARS_LIMIT) settings.maxTextChars = cap - (cap % 1);
    } else if (message.kind === 'fault' && faultHandler && typeof message.command === 'object' && message.command) {
      faultHandler(message.command as FaultCommand);
    }
  } catch (error) {
    hookError('relay-message', error);
  }
}

function onPageHide(event: Event): void {
  if (!event.isTrusted) return;
  hidden = true;
  flushAll();
}

function onPageShow(event: Event): void {
  if (event.isTrusted) hidden = false;
}

/**
 * The relay offers its private channel (at document_start, before any page script):
 * take the first offer, listen there, and say hello on it. Later offers can only be a
 * page's; the relay sees and counts those.
 */
function onChannelOffer(event: Event): void {
  try {
    const offered = mouseEventRelatedTarget(event);
    if (channel !== null || offered === null) return;
    channel = offered;
    removeListener(doc, CHANNEL_OFFER_EVENT, onChannelOffer);
    addListener(channel, RELAY_TO_PAGE_EVENT, onRelayMessage);
    post({ v: PAGE_BRIDGE_VERSION, kind: 'hello', doc: docId });
  } catch (error) {
    hookError('channel', error);
  }
}

/** Listen for the channel and to the page's lifecycle (adding the same listener again is a no-op). */
function listen(): void {
  if (channel === null) addListener(doc, CHANNEL_OFFER_EVENT, onChannelOffer);
  addListener(global, 'pagehide', onPageHide, CAPTURE);
  addListener(global, 'pageshow', onPageShow, CAPTURE);
}

/** Start the bridge: take the relay's channel when it offers it, or ask a relay that started first to offer it. */
export function startBridge(): void {
  listen();
  // document.open() (a page rewriting itself, an ad iframe written with document.write) erases
  // every listener on document and window and replaces the document's children: listen again
  // once it did. The observer runs at the next microtask, before any batch (posted from timers).
  // The channel is a node outside the document: its listeners survive.
  observeMutations(new MutationObserverCtor(listen), doc, { childList: true });
  if (channel === null) dispatch(doc, new CustomEventCtor(CHANNEL_REQUEST_EVENT));
}
