/**
 * How hard the fuzz tests (test/unit/fuzz-*.test.ts) try. CI runs each property
 * with a fixed seed, so a run is reproducible; set RI_FUZZ_RUNS to multiply every
 * property's run count (RI_FUZZ_RUNS=50 for a long hunt) and RI_FUZZ_SEED to
 * another integer, or to `random`, to explore elsewhere. A failure prints the
 * seed and path that reproduce it (fast-check's own report).
 */
import fc from 'fast-check';

/** The seed CI uses: fixed, so that a red run can be replayed. */
const DEFAULT_SEED = 20_261_206;

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, not ${JSON.stringify(raw)}`);
  return n;
}

/** The multiplier of every property's run count. */
export const FUZZ_SCALE = envNumber('RI_FUZZ_RUNS', 1);

/** The seed of every property: RI_FUZZ_SEED, a random one when it is `random`, else the fixed default. */
export const FUZZ_SEED = process.env.RI_FUZZ_SEED === 'random' ? Math.floor(Math.random() * 2 ** 31) : envNumber('RI_FUZZ_SEED', DEFAULT_SEED);

/** A value shown for a failure report: at most 12 levels and about `budget` characters (fuzz inputs nest thousands deep). */
function preview(value: unknown, budget = 3000): string {
  let out = '';
  const walk = (v: unknown, depth: number): void => {
    if (out.length > budget) return;
    if (typeof v === 'string') out += JSON.stringify(v.length > 200 ? `${v.slice(0, 200)}…(${v.length} chars)` : v);
    else if (v instanceof Uint8Array) out += `Uint8Array(${v.length})[${Array.from(v.subarray(0, 64)).join(',')}${v.length > 64 ? ',…' : ''}]`;
    else if (typeof v !== 'object' || v === null) out += String(v);
    else if (depth >= 12) out += Array.isArray(v) ? '[…]' : '{…}';
    else if (Array.isArray(v)) {
      out += '[';
      v.forEach((x, i) => (out += i ? ',' : '', walk(x, depth + 1)));
      out += ']';
    } else {
      out += '{';
      Object.entries(v).forEach(([k, x], i) => (out += `${i ? ',' : ''}${JSON.stringify(k)}:`, walk(x, depth + 1)));
      out += '}';
    }
  };
  walk(value, 0);
  return out.length > budget ? `${out.slice(0, budget)}…` : out;
}

/**
 * The failure report: the seed and path that replay it, the error, and the input
 * cut short (fast-check's own report stringifies the whole input, which fails on
 * the deeply nested values these tests generate).
 */
function report<T>(details: fc.RunDetails<T>): void {
  if (!details.failed) return;
  const error = details.errorInstance;
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  throw new Error(
    `Property failed after ${details.numRuns} runs (replay: RI_FUZZ_SEED=${details.seed}, path "${details.counterexamplePath ?? ''}")\n` +
      `Error: ${message}\nCounterexample: ${details.counterexample ? (details.counterexample as unknown[]).map((arg) => preview(arg, 1500)).join('\n  ') : '(none)'}`,
    { cause: error },
  );
}

/** fast-check parameters for a property that runs `numRuns` times at scale 1. */
export function fuzz<T>(numRuns: number, extra: fc.Parameters<T> = {}): fc.Parameters<T> {
  return { seed: FUZZ_SEED, numRuns: Math.max(1, Math.round(numRuns * FUZZ_SCALE)), reporter: report, ...extra };
}
