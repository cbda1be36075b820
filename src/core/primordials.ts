/**
 * Builtins captured when this module is evaluated, for core code that the page hooks
 * bundle (src/core/sse-parser.ts): the hooks evaluate it at document_start, before any
 * page script, so a page that later replaces String.prototype methods can neither see
 * nor break these calls. In Node or the panel they are the same functions.
 */

const functionCall = Function.prototype.call;
const functionBind = Function.prototype.bind;
const reflectApply = Reflect.apply;

/**
 * `fn` as a plain function taking `this` first, immune to later `call`/`bind`
 * patches: `call` bound to `fn` (the uncurryThis of Node's primordials). V8 calls
 * a bound `call` directly, without the rest-argument array a wrapper would
 * allocate on every hooked message, and inlines it in optimised loops.
 */
export function uncurry<A extends unknown[], T>(fn: (...args: A) => T): (self: unknown, ...args: A) => T {
  return reflectApply(functionBind, functionCall, [fn]) as (self: unknown, ...args: A) => T;
}

export const stringSlice = uncurry(String.prototype.slice) as (s: string, start?: number, end?: number) => string;
export const stringIndexOf = uncurry(String.prototype.indexOf) as (s: string, search: string, from?: number) => number;
export const charCodeAt = uncurry(String.prototype.charCodeAt) as (s: string, index: number) => number;
/** Own members only: a member an object lacks is looked up on its prototypes, where a page's getter would run. */
export const hasOwn = uncurry(Object.prototype.hasOwnProperty) as (o: object, key: PropertyKey) => boolean;
export const isArray = Array.isArray;

const typedArrayProto = Reflect.getPrototypeOf(Uint8Array.prototype) as object;
const getterOf = (proto: object, key: string) => uncurry(Reflect.getOwnPropertyDescriptor(proto, key)!.get!);
/** A typed array's buffer, byte offset, byte length and length, by the native getters (a page may replace the prototype's). */
export const typedArrayBuffer = getterOf(typedArrayProto, 'buffer') as (a: ArrayBufferView) => ArrayBuffer;
export const typedArrayByteOffset = getterOf(typedArrayProto, 'byteOffset') as (a: ArrayBufferView) => number;
export const typedArrayByteLength = getterOf(typedArrayProto, 'byteLength') as (a: ArrayBufferView) => number;
export const typedArrayLength = getterOf(typedArrayProto, 'length') as (a: ArrayBufferView) => number;
/** An ArrayBuffer's byte length, by the native getter. */
export const arrayBufferByteLength = getterOf(ArrayBuffer.prototype, 'byteLength') as (b: unknown) => number;
