/**
 * Patching globals without the page noticing (after mswjs/interceptors): check
 * that a property exists and is configurable before replacing it, replace
 * functions by Proxies of the originals (so `name`, `length`, statics and
 * `prototype` survive), and answer `Function.prototype.toString` for every hooked
 * function, toString included, with the original's native source text, in every
 * realm that has the hooks (an iframe's toString called on the top page's fetch).
 *
 * The hooks leave nothing on `window`: what other realms need (the registry of
 * hooked functions, the document id) is answered by the hooked toString's Proxy
 * for one registered symbol, which is not an own property of anything. And an
 * error that leaves a hooked function has the hooks' frames taken out of its
 * stack, which would otherwise show `chrome-extension://<id>/…` to the page.
 */
import {
  apply,
  defineProperty,
  deleteProperty,
  dictionary,
  ErrorCtor,
  getOwnPropertyDescriptor,
  objectCreate,
  ProxyCtor,
  reflectGet,
  stringIndexOf,
  stringSlice,
  WeakMapCtor,
  weakMapGet,
  weakMapSet,
} from './natives.ts';

type AnyFunction = (...args: unknown[]) => unknown;
type Constructor = new (...args: unknown[]) => object;

/**
 * The key under which the hooked `Function.prototype.toString` answers with its
 * realm's HooksRecord. It is no own property of anything (`getOwnPropertySymbols`
 * shows nothing); a script has to know it to ask.
 */
const HOOKS_KEY = Symbol.for('realtime-inspector.hooks');

/** What the hooks of one realm tell the hooks of related realms. */
export interface HooksRecord {
  /** The document id of that realm's hooks. */
  doc: string;
  /** Hooked function → the native it stands for, shared by every related realm. */
  originals: WeakMap<object, unknown>;
  /** Per-object state of the transport hooks, by hook, shared by every related realm (see `sharedMap`). */
  maps: Record<string, WeakMap<object, unknown>>;
}

/** Hooked function → the native it stands for; shared with related realms once `adoptRecord` ran. */
let originals: WeakMap<object, unknown> = new WeakMapCtor();
let maps: Record<string, WeakMap<object, unknown>> = objectCreate(null) as Record<string, WeakMap<object, unknown>>;

/**
 * The map `name` of the hooks' per-object state (a socket's record, a body's
 * source), shared by every related realm: a prototype method of one realm called
 * on another realm's object (an iframe's `XMLHttpRequest.prototype.send` on the
 * top page's request) finds the object's record. Call it once the hooks install.
 */
export function sharedMap<V>(name: string): WeakMap<object, V> {
  let map = maps[name];
  if (map === undefined) {
    map = new WeakMapCtor();
    maps[name] = map;
  }
  return map as WeakMap<object, V>;
}

/** The HooksRecord of the realm of `win`, when it has hooks and is reachable (same origin); else null. */
export function hooksRecordOf(win: unknown): HooksRecord | null {
  try {
    if (win === null || (typeof win !== 'object' && typeof win !== 'function')) return null;
    const fn = getOwnPropertyDescriptor(win, 'Function')?.value as { prototype?: unknown } | undefined;
    if (typeof fn !== 'function') return null;
    const toString = getOwnPropertyDescriptor(fn.prototype as object, 'toString')?.value as unknown;
    if (typeof toString !== 'function') return null;
    const record = (toString as unknown as Record<symbol, unknown>)[HOOKS_KEY] as HooksRecord | undefined;
    if (!record || typeof record.doc !== 'string' || typeof record.maps !== 'object' || record.maps === null) return null;
    // A real WeakMap (a page could define the key itself): get() throws on anything else.
    weakMapGet(record.originals, record);
    return record;
  } catch {
    // Cross-origin, or not ours.
    return null;
  }
}

/** Share the hooked-function registry of a related realm (so each realm's toString knows the other's hooks). */
export function adoptRecord(related: HooksRecord | null): void {
  if (!related) return;
  originals = related.originals;
  maps = related.maps;
}

/** Where the hooks' own script is (`chrome-extension://<id>/…js`), learnt at install; null when unknown. */
let ownScriptUrl: string | null = null;

/**
 * Learn the URL V8 gives the hooks' frames. Runs at document_start, before any
 * page script could have set Error.prepareStackTrace.
 */
function learnOwnScriptUrl(): void {
  if (getOwnPropertyDescriptor(ErrorCtor, 'prepareStackTrace')) return;
  defineProperty(ErrorCtor, 'prepareStackTrace', {
    value: (_error: unknown, sites: Array<{ getFileName(): string | null }>) => sites[0]?.getFileName() ?? null,
    writable: true,
    configurable: true,
  });
  try {
    const url = new ErrorCtor().stack as unknown;
    ownScriptUrl = typeof url === 'string' && url.length > 0 ? url : null;
  } finally {
    deleteProperty(ErrorCtor, 'prepareStackTrace');
  }
}

interface CallSite {
  getFileName(): string | null | undefined;
}

/** V8's call sites of a stack without the hooks' own. */
function withoutOwnSites(sites: CallSite[]): CallSite[] {
  const kept: CallSite[] = [];
  for (let i = 0; i < sites.length; i++) if (sites[i]!.getFileName() !== ownScriptUrl) kept[kept.length] = sites[i]!;
  return kept;
}

/**
 * Take the hooks' frames out of the stack of an error that leaves a hooked
 * function (a native's error made inside the hook, a page getter's error thrown
 * through it), so the page sees the stack the native call gives. The stack is
 * formatted now rather than on the page's first read; with a page-set
 * Error.prepareStackTrace, that function gets the frames without the hooks'.
 * Error.stackTraceLimit still counts the hooks' frames: a stack at the limit
 * shows fewer of the page's frames than natively.
 */
export function scrubbed<E>(error: E): E {
  if (ownScriptUrl === null || error === null || (typeof error !== 'object' && typeof error !== 'function')) return error;
  try {
    const stack = getOwnPropertyDescriptor(error, 'stack');
    // Only stacks V8 captured (an own accessor pair): a page's own `stack` value is left alone.
    if (!stack || typeof stack.get !== 'function' || typeof stack.set !== 'function') return error;
    const format = getOwnPropertyDescriptor(ErrorCtor, 'prepareStackTrace');
    if (format && 'value' in format && typeof format.value === 'function') {
      if (!format.writable || !format.configurable) return error;
      const pageFormat = format.value as AnyFunction;
      defineProperty(
        ErrorCtor,
        'prepareStackTrace',
        dictionary({
          ...format,
          value: (e: unknown, sites: CallSite[]) => apply(pageFormat, ErrorCtor, [e, withoutOwnSites(sites)]),
        }),
      );
      try {
        apply(stack.get, error, []);
      } finally {
        defineProperty(ErrorCtor, 'prepareStackTrace', dictionary(format));
      }
      return error;
    }
    if (format && !('value' in format)) return error;
    const text = apply(stack.get, error, []);
    if (typeof text !== 'string' || stringIndexOf(text, ownScriptUrl) < 0) return error;
    const marker = `${ownScriptUrl}:`;
    let end = stringIndexOf(text, '\n');
    if (end < 0) end = text.length;
    let kept = stringSlice(text, 0, end);
    while (end < text.length) {
      const start = end + 1;
      end = stringIndexOf(text, '\n', start);
      if (end < 0) end = text.length;
      const line = stringSlice(text, start, end);
      if (stringIndexOf(line, marker) < 0) kept = `${kept}\n${line}`;
    }
    apply(stack.set, error, [kept]);
  } catch {
    // Leave the error as it is rather than fail the page's call.
  }
  return error;
}

/** Rethrow a rejection reason scrubbed (for promises a hooked function returns: their errors are made inside the hook). */
export function rethrowScrubbed(error: unknown): never {
  throw scrubbed(error);
}

/**
 * Make `Function.prototype.toString` report native source for every hooked
 * function of every related realm, itself included, and answer HOOKS_KEY with
 * this realm's record.
 */
export function installNativeToString(doc: string): void {
  learnOwnScriptUrl();
  const record: HooksRecord = { doc, originals, maps };
  const proto = Function.prototype as unknown as Record<string, unknown>;
  const nativeToString = proto.toString as AnyFunction;
  const d = getOwnPropertyDescriptor(proto, 'toString');
  if (!d || !d.configurable) return;
  const hooked = new ProxyCtor(
    nativeToString,
    dictionary({
      apply(target: AnyFunction, self: unknown, args: unknown[]) {
        try {
          const original = weakMapGet(originals, self);
          return apply(target, original === undefined ? self : original, args);
        } catch (error) {
          throw scrubbed(error);
        }
      },
      get(target: AnyFunction, key: PropertyKey, receiver: unknown) {
        return key === HOOKS_KEY ? record : reflectGet(target, key, receiver);
      },
    }),
  );
  weakMapSet(originals, hooked, nativeToString);
  defineProperty(proto, 'toString', { ...d, value: hooked });
}

/** The HooksRecord of this realm when its hooks are installed already (a Window reused by a navigation). */
export function ownHooksRecord(): HooksRecord | null {
  return hooksRecordOf(globalThis);
}

function replaceable(owner: object, key: PropertyKey): PropertyDescriptor | null {
  const d = getOwnPropertyDescriptor(owner, key);
  if (!d || !d.configurable || !('value' in d) || typeof d.value !== 'function') return null;
  return d;
}

/** A Proxy of `native` whose calls run `trap`, registered as standing for `native`; errors leave it scrubbed. */
function hookedFunction<F extends AnyFunction>(native: F, trap: (native: F, self: unknown, args: unknown[]) => unknown): F {
  const hooked = new ProxyCtor(
    native,
    dictionary({
      apply: (target: F, self: unknown, args: unknown[]) => {
        try {
          return trap(target, self, args);
        } catch (error) {
          throw scrubbed(error);
        }
      },
    }),
  );
  weakMapSet(originals, hooked, native);
  return hooked;
}

type Trap = (native: AnyFunction, self: unknown, args: unknown[]) => unknown;

/** This realm's traps of methods that act on per-object records (`hookRecordedMethod`), by name. */
const ownTraps: Record<string, Trap> = objectCreate(null) as Record<string, Trap>;

/** A per-object record, marked with the traps of the realm whose hooks made it. */
export interface Owned {
  traps: Record<string, Trap>;
}

/** `record`, marked as this realm's (store it in a `sharedMap`). */
export function owned<R extends object>(record: R): R & Owned {
  (record as R & Owned).traps = ownTraps;
  return record as R & Owned;
}

/**
 * `hookMethod` for a method whose hook works on the object's record in `records`
 * (a `sharedMap`): called on an object another realm's hooks recorded, it runs
 * that realm's trap (which reports into that realm's document) with this realm's
 * native, which is what the page called.
 */
export function hookRecordedMethod<F extends AnyFunction>(
  owner: object,
  key: string,
  name: string,
  records: WeakMap<object, unknown>,
  trap: (native: F, self: unknown, args: unknown[]) => unknown,
): boolean {
  return hookMethod<F>(owner, key, recordedTrap(records, name, trap as Trap));
}

/**
 * `trap`, registered as this realm's under `name`, behind a dispatcher that runs the trap of
 * that name of the realm whose hooks recorded the call's object (this realm's when none did).
 */
function recordedTrap(records: WeakMap<object, unknown>, name: string, trap: Trap): Trap {
  ownTraps[name] = trap;
  return (native, self, args) => {
    const record = weakMapGet(records, self) as Owned | undefined;
    const traps = record === undefined ? ownTraps : record.traps;
    return (traps[name] ?? trap)(native, self, args);
  };
}

/**
 * Replace the method `owner[key]` with a Proxy whose `apply` trap is `trap`;
 * false when not patchable. `alsoKeys` are further keys holding the same function
 * (e.g. ReadableStream's `values` and `@@asyncIterator`): they get the same Proxy.
 */
export function hookMethod<F extends AnyFunction>(
  owner: object,
  key: PropertyKey,
  trap: (native: F, self: unknown, args: unknown[]) => unknown,
  alsoKeys: PropertyKey[] = [],
): boolean {
  const d = replaceable(owner, key);
  if (!d) return false;
  const native = d.value as F;
  const hooked = hookedFunction(native, trap);
  defineProperty(owner, key, { ...d, value: hooked });
  for (const other of alsoKeys) {
    const od = replaceable(owner, other);
    if (od && od.value === native) defineProperty(owner, other, { ...od, value: hooked });
  }
  return true;
}

/**
 * `hookRecordedMethod` for an accessor: its getter and setter become Proxies whose traps
 * (`name.get`, `name.set`) run as the object's record's realm has them. False when not patchable.
 */
export function hookRecordedAccessor(
  owner: object,
  key: string,
  name: string,
  records: WeakMap<object, unknown>,
  getTrap: (native: AnyFunction, self: unknown) => unknown,
  setTrap: (native: AnyFunction, self: unknown, value: unknown) => unknown,
): boolean {
  const d = getOwnPropertyDescriptor(owner, key);
  if (!d || !d.configurable || typeof d.get !== 'function' || typeof d.set !== 'function') return false;
  const get = hookedFunction(d.get as AnyFunction, recordedTrap(records, `${name}.get`, (native, self) => getTrap(native, self)));
  const set = hookedFunction(d.set as AnyFunction, recordedTrap(records, `${name}.set`, (native, self, args) => setTrap(native, self, args[0])));
  defineProperty(owner, key, { ...d, get, set });
  return true;
}

/** Replace the getter of the accessor `owner[key]` with a Proxy whose `apply` trap is `trap`; false when not patchable. */
export function hookGetter<F extends AnyFunction>(
  owner: object,
  key: PropertyKey,
  trap: (native: F, self: unknown) => unknown,
): boolean {
  const d = getOwnPropertyDescriptor(owner, key);
  if (!d || !d.configurable || typeof d.get !== 'function') return false;
  const hooked = hookedFunction(d.get as F, (native, self) => trap(native, self));
  defineProperty(owner, key, { ...d, get: hooked });
  return true;
}

/**
 * Replace the constructor `owner[key]` with a Proxy whose `construct` trap is
 * `trap`; `prototype.constructor` points at the Proxy so that
 * `instance.constructor === Global` still holds. False when not patchable.
 */
export function hookConstructor<C extends Constructor>(
  owner: object,
  key: PropertyKey,
  trap: (native: C, args: unknown[], newTarget: C) => object,
): boolean {
  const d = replaceable(owner, key);
  if (!d) return false;
  const native = d.value as C;
  const hooked: C = new ProxyCtor(
    native,
    dictionary({
      construct: (target: C, args: unknown[], newTarget: C): object => {
        try {
          return trap(target, args, newTarget === hooked ? target : newTarget);
        } catch (error) {
          throw scrubbed(error);
        }
      },
    }),
  );
  weakMapSet(originals, hooked, native);
  defineProperty(owner, key, { ...d, value: hooked });
  const proto = native.prototype as object;
  const ctor = getOwnPropertyDescriptor(proto, 'constructor');
  if (ctor && ctor.configurable && 'value' in ctor && ctor.value === native) {
    defineProperty(proto, 'constructor', { ...ctor, value: hooked });
  }
  return true;
}
