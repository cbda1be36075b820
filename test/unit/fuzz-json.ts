/**
 * Hostile JSON for the fuzz tests: values that break a reader's assumptions, and
 * edits of a whole JSON tree (a file, an event) that drop, replace, duplicate,
 * wrap and retype its nodes, or put a copy of an ancestor where a descendant was.
 */
import fc from 'fast-check';

const RS = '\x1e';

/** Nested arrays `depth` deep. */
function nested(depth: number): unknown {
  let v: unknown = [];
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

/** JSON values chosen to break assumptions: extreme and fractional numbers, wrong types, deep nesting, long strings, separators. */
export const hostileJsonValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(1e308, -1e308, -1, 0, -0.5, 0.5, 2 ** 53 + 2, 4_294_967_297, -2_147_483_649, 1e-300, '', null, true, false, [], {}, '\0', RS, '\n\n', 'NaN', '-1', '1e999', '__proto__', 'constructor', 'toString') },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 1000 }).map(nested) },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 100_000 }).map((n) => 'x'.repeat(n)) },
  { weight: 1, arbitrary: fc.constantFrom(0.001, 1, 25, 1e6, 1e15, 8.64e15 + 1) },
);

type Container = Record<string, unknown> | unknown[];
interface Node {
  parent: Container | null;
  key: string | number;
  depth: number;
  ancestors: Container[];
}

/** Every node of a JSON tree with its parent and ancestors (iteratively: mutated trees may be deep). */
function nodesOf(root: unknown): Node[] {
  const out: Node[] = [{ parent: null, key: 0, depth: 0, ancestors: [] }];
  const stack: Array<{ v: unknown; depth: number; ancestors: Container[] }> = [{ v: root, depth: 0, ancestors: [] }];
  while (stack.length > 0) {
    const { v, depth, ancestors } = stack.pop()!;
    if (typeof v !== 'object' || v === null || ancestors.length > 40) continue;
    const chain = [...ancestors, v as Container];
    const children: Array<[string | number, unknown]> = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
    for (const [key, child] of children) {
      out.push({ parent: v as Container, key, depth: depth + 1, ancestors: chain });
      stack.push({ v: child, depth: depth + 1, ancestors: chain });
    }
  }
  return out;
}

/** One change to a JSON tree. */
export const treeEdit = fc.record({
  /** Which node: any, or one near the top (entries, requests, frames lists, events), where structure lives. */
  shallow: fc.boolean(),
  pick: fc.nat(),
  op: fc.constantFrom('replace' as const, 'replace' as const, 'delete' as const, 'duplicate' as const, 'wrap' as const, 'ancestor' as const, 'retype' as const, 'stringify' as const),
  value: hostileJsonValue,
});
export type TreeEdit = typeof treeEdit extends fc.Arbitrary<infer T> ? T : never;

/** What a JSON value becomes with the type its readers do not expect. */
function retype(v: unknown): unknown {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return v === '' || Number.isNaN(Number(v)) ? { value: v } : Number(v);
  if (typeof v === 'boolean') return v ? 1 : 'false';
  if (Array.isArray(v)) return Object.fromEntries(v.map((x, i) => [String(i), x]));
  if (v === null) return 0;
  return Object.values(v as object);
}

/** At most 20,000 nodes and 200 levels: small enough to copy (a copy of a copy of an ancestor grows fast). */
function isSmall(root: unknown): boolean {
  const stack: Array<{ v: unknown; depth: number }> = [{ v: root, depth: 0 }];
  let count = 0;
  while (stack.length > 0) {
    const { v, depth } = stack.pop()!;
    if (++count > 20_000 || depth > 200) return false;
    if (typeof v === 'object' && v !== null) for (const child of Object.values(v)) stack.push({ v: child, depth: depth + 1 });
  }
  return true;
}

/** A mutated deep copy of `root`. */
export function mutate(root: unknown, edits: readonly TreeEdit[]): unknown {
  let tree = structuredClone(root);
  for (const e of edits) {
    const all = nodesOf(tree);
    const pool = e.shallow ? all.filter((n) => n.depth <= 4) : all;
    const { parent, key, ancestors } = pool[e.pick % pool.length]!;
    const current = parent === null ? tree : (parent as Record<string | number, unknown>)[key];
    let next: unknown;
    if (e.op === 'replace') next = e.value;
    else if (e.op === 'wrap') next = [current];
    else if (e.op === 'retype') next = retype(current);
    else if (e.op === 'stringify') {
      // JSON inside a string (Pusher's data, ActionCable's identifier) edited one level down; anything else written as such a string.
      next = typeof current === 'string' ? editJsonText(current, [{ ...e, op: 'replace' }]) : isSmall(current) ? JSON.stringify(current) : e.value;
    }
    else if (e.op === 'ancestor') {
      // A copy of an ancestor in place of its descendant: the shape of a cycle, written out once.
      const ancestor = ancestors[e.pick % Math.max(1, ancestors.length)];
      next = ancestor && isSmall(ancestor) ? structuredClone(ancestor) : e.value;
    }
    if (parent === null) {
      tree = e.op === 'delete' || e.op === 'duplicate' ? tree : next;
    } else if (e.op === 'delete') {
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete parent[key as string];
    } else if (e.op === 'duplicate') {
      if (Array.isArray(parent)) parent.splice(Number(key), 0, structuredClone(current));
      else parent[`${String(key)}_copy`] = structuredClone(current);
    } else (parent as Record<string | number, unknown>)[key] = next;
  }
  return tree;
}


/**
 * `text` with the JSON inside it edited: the JSON is found after any prefix
 * (socket.io's packet type, SockJS's `a`) and before any terminator (SignalR's
 * RS, STOMP's NUL, a line end); text without JSON comes back as it was.
 */
export function editJsonText(text: string, edits: readonly TreeEdit[]): string {
  const start = text.search(/[[{]/);
  if (start < 0 || edits.length === 0) return text;
  const end = text.length - (/[\x1e\0\n]*$/.exec(text)?.[0].length ?? 0);
  let root: unknown;
  try {
    root = JSON.parse(text.slice(start, end));
  } catch {
    return text;
  }
  return text.slice(0, start) + JSON.stringify(mutate(root, edits)) + text.slice(end);
}
