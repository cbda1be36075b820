/**
 * The body hash's cost on a page's main thread, old against new, in Chromium
 * (the figure that decides) and in Node.
 *
 *   node --import tsx bench/hash.ts [--old <git rev>] [--rounds N] [--mib N] [--impl name=path ...]
 *
 * Each implementation (`src/core/formats/body-hash.ts` at `--old`, default the last
 * MurmurHash3 commit, and the working tree's; or the `--impl` files) is bundled on
 * its own into an IIFE, so no two share a function's type feedback, and loaded into
 * one Chromium page. The page hashes `--mib` bodies of 1 MiB each (the bench
 * workload "60 × 1 MiB fetches" hashes 60) with a fresh `BodyHasher` per body, fed
 * in 64 KiB chunks, in one 1 MiB chunk, and in 65,537-byte chunks (sizes that are
 * not a multiple of 4 leave a carry, so every chunk after the first starts off
 * word alignment, as a network stream's chunks can). The implementations take
 * turns within each round, in an order that rotates per round; every
 * implementation hashes the same bytes once before timing so the JIT has tiered up.
 * Prints ms per MiB per round and the median, and checks that each implementation's
 * hashes do not depend on the chunking.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'vite';
import { launchBrowser } from '../test/support/browser.ts';

/** The last commit whose body hash is MurmurHash3 x86_32 (before issue 18's hashing work). */
const DEFAULT_OLD_REV = 'f5f341b';
const ROOT = resolve(import.meta.dirname, '..');

interface Args {
  oldRev: string;
  rounds: number;
  mib: number;
  impls: { name: string; source: string }[];
}

function parseArgs(argv: string[]): Args {
  const args: Args = { oldRev: DEFAULT_OLD_REV, rounds: 5, mib: 64, impls: [] };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1] ?? '';
    switch (argv[i]) {
      case '--old':
        args.oldRev = value;
        i++;
        break;
      case '--rounds':
        args.rounds = Number(value);
        i++;
        break;
      case '--mib':
        args.mib = Number(value);
        i++;
        break;
      case '--impl': {
        const [name, path] = value.split('=');
        args.impls.push({ name: name!, source: readFileSync(resolve(path!), 'utf8') });
        i++;
        break;
      }
      default:
        throw new Error(`unknown option ${argv[i]}`);
    }
  }
  if (args.impls.length === 0) {
    const old = execFileSync('git', ['show', `${args.oldRev}:src/core/formats/body-hash.ts`], { cwd: ROOT, encoding: 'utf8' });
    args.impls.push({ name: `old (${args.oldRev})`, source: old });
    args.impls.push({ name: 'new (worktree)', source: readFileSync(join(ROOT, 'src/core/formats/body-hash.ts'), 'utf8') });
  }
  return args;
}

/** One implementation as an IIFE that sets `globalThis[name]` to its exports. */
async function bundle(source: string, globalName: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'ri-bench-hash-'));
  try {
    const entry = join(dir, 'body-hash.ts');
    writeFileSync(entry, source);
    await build({
      configFile: false,
      root: dir,
      logLevel: 'silent',
      // The copy sits outside src/core/formats: its import of the core's primordials (since 8d05bf4,
      // body-hash.ts reads typed arrays through them) resolves to the working tree's.
      resolve: { alias: [{ find: /^\.\.\/primordials\.ts$/, replacement: join(ROOT, 'src/core/primordials.ts') }] },
      mode: 'production',
      build: {
        outDir: join(dir, 'out'),
        emptyOutDir: true,
        minify: true,
        target: 'es2022',
        lib: { entry, formats: ['iife'], name: globalName, fileName: () => 'hash.iife.js' },
      },
    });
    // The IIFE declares `var <name>`: a global in a page script, a local in Node's `new Function`.
    return `${readFileSync(join(dir, 'out', 'hash.iife.js'), 'utf8')};globalThis.${globalName} = ${globalName};`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Module {
  BodyHasher: new () => { update(bytes: Uint8Array): void; hex(): string };
}

/** Chunk sizes fed to the hasher. */
const CHUNKINGS = [65_536, 1_048_576, 65_537];

/**
 * The measurement, run as-is in the page and in Node: plain JavaScript (a function
 * of the bundles' globals), so no transpiler helper leaks into the page.
 */
const RUN = `async ({ names, rounds, mib, chunkings }) => {
  const MIB = 1048576;
  const data = new Uint8Array(mib * MIB);
  let x = 0x9e3779b9;
  for (let i = 0; i < data.length; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    data[i] = x & 0xff;
  }
  const hashAll = (mod, chunk) => {
    const hexes = [];
    for (let body = 0; body < mib; body++) {
      const hasher = new mod.BodyHasher();
      const end = (body + 1) * MIB;
      for (let at = body * MIB; at < end; at += chunk) hasher.update(data.subarray(at, at + chunk < end ? at + chunk : end));
      hexes.push(hasher.hex());
    }
    return hexes;
  };
  const mods = names.map((n) => globalThis[n]);
  const hashes = {};
  for (let m = 0; m < mods.length; m++) {
    for (const chunk of chunkings) hashes[names[m] + '/' + chunk] = hashAll(mods[m], chunk).join(',');
  }
  const samples = {};
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < mods.length; k++) {
      const m = (k + r) % mods.length;
      for (const chunk of chunkings) {
        const t0 = performance.now();
        hashAll(mods[m], chunk);
        const ms = performance.now() - t0;
        (samples[names[m] + '/' + chunk] ??= []).push(ms / mib);
      }
      await new Promise((done) => setTimeout(done, 0));
    }
  }
  return { samples, hashes };
}`;

interface RunResult {
  samples: Record<string, number[]>;
  hashes: Record<string, string>;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function report(where: string, names: string[], labels: string[], result: RunResult): void {
  console.log(`\n${where}: ms per MiB (median of rounds; rounds in brackets)`);
  for (const chunk of CHUNKINGS) {
    const first = median(result.samples[`${names[0]}/${chunk}`]!);
    for (let i = 0; i < names.length; i++) {
      const xs = result.samples[`${names[i]}/${chunk}`]!;
      const each = xs.map((x) => x.toFixed(3)).join(' ');
      const ratio = i === 0 ? '' : `  ${(first / median(xs)).toFixed(2)}x cheaper than ${labels[0]}`;
      console.log(`  ${String(chunk).padStart(9)} B chunks  ${labels[i]!.padEnd(22)} ${median(xs).toFixed(3)}  [${each}]${ratio}`);
    }
  }
  for (let i = 0; i < names.length; i++) {
    const same = CHUNKINGS.every((c) => result.hashes[`${names[i]}/${c}`] === result.hashes[`${names[i]}/${CHUNKINGS[0]}`]);
    if (!same) throw new Error(`${labels[i]}: the hash depends on the chunking`);
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const names = args.impls.map((_, i) => `__riHash${i}`);
  const labels = args.impls.map((impl) => impl.name);
  const bundles = await Promise.all(args.impls.map((impl, i) => bundle(impl.source, names[i]!)));
  const params = { names, rounds: args.rounds, mib: args.mib, chunkings: CHUNKINGS };
  const browser = await launchBrowser({ extension: false });
  try {
    const page = await browser.context.newPage();
    await page.goto('about:blank');
    for (const source of bundles) await page.addScriptTag({ content: source });
    const version = browser.context.browser()?.version() ?? (await page.evaluate(() => navigator.userAgent));
    const result = (await page.evaluate(`(${RUN})(${JSON.stringify(params)})`)) as RunResult;
    report(`Chromium ${version}`, names, labels, result);
  } finally {
    await browser.close();
  }
  for (let i = 0; i < bundles.length; i++) new Function(bundles[i]!)();
  const mods = names.map((n) => (globalThis as unknown as Record<string, Module>)[n]!);
  if (mods.some((m) => typeof m.BodyHasher !== 'function')) throw new Error('a bundle exports no BodyHasher');
  const nodeResult = (await (0, eval)(`(${RUN})`)(params)) as RunResult;
  report(`Node ${process.version}`, names, labels, nodeResult);
}

await main();
