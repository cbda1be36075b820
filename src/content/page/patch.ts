/**
 * Patching globals without the page noticing (after mswjs/interceptors): check
 * that a property exists and is configurable before replacing it, replace
 * functions by Proxies of the originals (so `name`, `length`, statics and
 * `prototype` survive), and answer `Function.prototype.toString` for every hooked
 * function, toString included, with the original's native source text.
 */
import {
  apply,
  defineProperty,
  getOwnPropertyDescriptor,
  ProxyCtor,
  WeakMapCtor,
  weakMapGet,
  weakMapSet,
} from './natives.ts';

type AnyFunction = (...args: unknown[]) => unknown;
type Constructor = new (...args: unknown[]) => object;

/** Hooked function → the native it stands for. */
const originals: WeakMap<object, unknown> = new WeakMapCtor();

/** Make `Function.prototype.toString` report native source for every hooked function, itself included. */
export function installNativeToString(): void {
  const proto = Function.prototype as unknown as Record<string, unknown>;
  const nativeToString = proto.toString as AnyFunction;
  const d = getOwnPropertyDescriptor(proto, 'toString');
  if (!d || !d.configurable) return;
  const hooked = new ProxyCtor(nativeToString, {
    apply(target, self, args) {
      const original = weakMapGet(originals, self);
      return apply(target, original === undefined ? self : original, args);
    },
  });
  weakMapSet(originals, hooked, nativeToString);
  defineProperty(proto, 'toString', { ...d, value: hooked });
}

function replaceable(owner: object, key: PropertyKey): PropertyDescriptor | null {
  const d = getOwnPropertyDescriptor(owner, key);
  if (!d || !d.configurable || !('value' in d) || typeof d.value !== 'function') return null;
  return d;
}

/** Replace the method `owner[key]` with a Proxy whose `apply` trap is `trap`; false when not patchable. */
export function hookMethod<F extends AnyFunction>(
  owner: object,
  key: PropertyKey,
  trap: (native: F, self: unknown, args: unknown[]) => unknown,
): boolean {
  const d = replaceable(owner, key);
  if (!d) return false;
  const native = d.value as F;
  const hooked = new ProxyCtor(native, {
    apply: (target, self, args) => trap(target, self, args),
  });
  weakMapSet(originals, hooked, native);
  defineProperty(owner, key, { ...d, value: hooked });
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
  const hooked: C = new ProxyCtor(native, {
    construct: (target: C, args: unknown[], newTarget: C): object => trap(target, args, newTarget === hooked ? target : newTarget),
  });
  weakMapSet(originals, hooked, native);
  defineProperty(owner, key, { ...d, value: hooked });
  const proto = native.prototype as object;
  const ctor = getOwnPropertyDescriptor(proto, 'constructor');
  if (ctor && ctor.configurable && 'value' in ctor && ctor.value === native) {
    defineProperty(proto, 'constructor', { ...ctor, value: hooked });
  }
  return true;
}
