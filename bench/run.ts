/**
 * `npm run bench`: Realtime Inspector's benchmark suite.
 *
 *   npm run bench                  full run (< 10 min on 2 cores), writes bench/results.json
 *   npm run bench -- --quick       short run (< 2 min), writes bench/results-quick.json
 *   node --import tsx bench/run.ts --smoke --out <file>   core only, seconds (the smoke test)
 *   --only page,relay,core,panel,scaling   run some sections
 *   --only soak                    the soak (not in the default run): 1,000 WebSocket msgs/s with the panel
 *                                  open for RI_SOAK_MINUTES (default 30; --quick: 2), bench/results-soak.json
 *   --rounds N                     page-overhead rounds
 *   --scale X                      page-overhead workload sizes × X (1 = the sizes)
 *   --compare DIR                  page overhead: also measure the extension built in DIR
 *                                  (set-up `ri-compare`), in the same rounds: before/after a change
 *   --setups a,b                   page overhead: only these set-ups (baseline,ri,cdp,msw,ri-compare,baseline-again;
 *                                  baseline-again runs the baseline twice per round: its ratio is the noise band)
 *   --workloads a,b                page overhead: only these workloads (ws-in-small,ws-in-64k,ws-out,fetch-small,fetch-1mib,sse,realistic)
 *   --no-profile                   page overhead: skip the profiled runs
 *   RI_DIST=<dir>                  the built extension to measure (default dist/)
 *
 * Ratios are measured side by side in the same run: absolute times on a shared
 * machine are noise, ratios to a baseline in the same round are not.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem, release, platform } from 'node:os';
import { dirname, resolve } from 'node:path';
import { parseArgs as parseArgv } from 'node:util';
import { DIST_DIR, findChrome } from '../test/support/browser.ts';
import { coreTable, runCore, type CoreResult } from './core.ts';
import { mswVersion } from './msw-bundle.ts';
import { pageOverheadTables, runPageOverhead, SETUP_LABELS, type PageOverheadResult, type SetupId } from './page-overhead.ts';
import { panelTable, runPanel, type PanelResult } from './panel.ts';
import { relayTable, runRelay, type RelayResult } from './relay.ts';
import { runScaling, scalingTable, type ScalingResult } from './scaling.ts';
import { runSoak, soakTable, type SoakResult } from './soak.ts';

type Mode = 'full' | 'quick' | 'smoke';
type Section = 'page' | 'relay' | 'core' | 'panel' | 'scaling' | 'soak';
/** The default run; the soak (30 minutes) runs only when named in --only. */
const ALL_SECTIONS: Section[] = ['page', 'relay', 'core', 'panel', 'scaling'];
const KNOWN_SECTIONS: Section[] = [...ALL_SECTIONS, 'soak'];

interface Args {
  mode: Mode;
  sections: Section[];
  rounds: number | null;
  scale: number | null;
  compare: string | null;
  setups: SetupId[] | null;
  workloads: string[] | null;
  profile: boolean;
  out: string;
}

function parseArgs(argv: string[]): Args {
  // node:util's parser: unknown flags and missing values are errors, not silently ignored.
  const { values } = parseArgv({
    args: argv,
    strict: true,
    options: {
      smoke: { type: 'boolean' },
      quick: { type: 'boolean' },
      only: { type: 'string' },
      rounds: { type: 'string' },
      scale: { type: 'string' },
      compare: { type: 'string' },
      setups: { type: 'string' },
      workloads: { type: 'string' },
      'no-profile': { type: 'boolean' },
      out: { type: 'string' },
    },
  });
  const value = (name: 'only' | 'rounds' | 'scale' | 'compare' | 'setups' | 'workloads' | 'out') => values[name] ?? null;
  const mode: Mode = values.smoke ? 'smoke' : values.quick ? 'quick' : 'full';
  const only = value('only');
  const sections = only ? (only.split(',') as Section[]) : mode === 'smoke' ? ['core' as const] : ALL_SECTIONS;
  for (const s of sections) if (!KNOWN_SECTIONS.includes(s)) throw new Error(`unknown section ${s} (use ${KNOWN_SECTIONS.join(',')})`);
  const rounds = value('rounds');
  const scale = value('scale');
  // A soak alone keeps its own file: it must not replace the full run's bench/results.json.
  const defaultOut = sections.length === 1 && sections[0] === 'soak' ? 'bench/results-soak.json' : mode === 'full' ? 'bench/results.json' : `bench/results-${mode}.json`;
  const compare = value('compare');
  const setups = value('setups');
  const setupList = setups ? (setups.split(',') as SetupId[]) : null;
  for (const s of setupList ?? []) if (!Object.hasOwn(SETUP_LABELS, s)) throw new Error(`unknown set-up ${s} (use ${Object.keys(SETUP_LABELS).join(',')})`);
  return {
    mode,
    sections,
    rounds: rounds ? Number(rounds) : null,
    scale: scale ? Number(scale) : null,
    compare: compare ? resolve(compare) : null,
    setups: setupList,
    workloads: value('workloads')?.split(',') ?? null,
    profile: !values['no-profile'],
    out: resolve(value('out') ?? defaultOut),
  };
}

const ROOT = resolve(import.meta.dirname, '..');

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(resolve(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function run(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

/** Where and with what the numbers were measured. */
function environment() {
  return {
    date: new Date().toISOString(),
    machine: {
      platform: `${platform()} ${release()}`,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      cores: availableParallelism(),
      memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    },
    versions: {
      node: process.version,
      chromium: (() => {
        try {
          return run(findChrome(), ['--version']).split('\n').pop() ?? 'unknown';
        } catch {
          return 'not found';
        }
      })(),
      extension: (() => {
        try {
          return (JSON.parse(readFileSync(resolve(DIST_DIR, 'manifest.json'), 'utf8')) as { version: string }).version;
        } catch {
          return 'not built';
        }
      })(),
      vite: packageVersion('vite'),
      '@crxjs/vite-plugin': packageVersion('@crxjs/vite-plugin'),
      '@mswjs/interceptors': mswVersion(),
      'playwright-core': packageVersion('playwright-core'),
      preact: packageVersion('preact'),
      ws: packageVersion('ws'),
    },
    // RI_BENCH_COMMIT names the commit when the bench runs from an exported tree (git archive) rather than a clone.
    git: process.env.RI_BENCH_COMMIT
      ? { commit: process.env.RI_BENCH_COMMIT, dirtyFiles: 0 }
      : { commit: run('git', ['rev-parse', 'HEAD']), dirtyFiles: run('git', ['status', '--porcelain', '--', 'src', 'bench', 'manifest.json', 'vite.config.ts']).split('\n').filter(Boolean).length },
    extensionDir: DIST_DIR,
  };
}

export interface BenchResults {
  format: 'realtime-inspector-bench';
  version: 1;
  mode: Mode;
  environment: ReturnType<typeof environment>;
  durationMs: number;
  page?: PageOverheadResult;
  relay?: RelayResult;
  core?: CoreResult;
  panel?: PanelResult;
  scaling?: ScalingResult;
  soak?: SoakResult;
  errors: Record<string, string>;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const log = (line: string) => process.stderr.write(line + '\n');
  const results: BenchResults = { format: 'realtime-inspector-bench', version: 1, mode: args.mode, environment: environment(), durationMs: 0, errors: {} };
  log(`bench (${args.mode}): ${args.sections.join(', ')}; extension ${DIST_DIR}`);
  const quick = args.mode !== 'full';

  const section = async (name: Section, fn: () => Promise<void>) => {
    if (!args.sections.includes(name)) return;
    const t = performance.now();
    log(`[${name}]`);
    try {
      await fn();
    } catch (e) {
      results.errors[name] = (e as Error).message;
      log(`  ${name} failed: ${(e as Error).message}`);
    }
    log(`[${name}] ${((performance.now() - t) / 1000).toFixed(1)} s`);
  };

  await section('core', async () => {
    const sizes = args.mode === 'smoke' ? [10_000] : quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000];
    results.core = await runCore({ sizes, repeats: args.mode === 'full' ? 2 : 1, log });
  });
  await section('page', async () => {
    results.page = await runPageOverhead({
      extensionDir: DIST_DIR,
      ...(args.compare ? { compareDir: args.compare } : {}),
      ...(args.setups ? { setups: args.setups } : {}),
      ...(args.workloads ? { workloads: args.workloads } : {}),
      rounds: args.rounds ?? (quick ? 2 : 3),
      scale: args.scale ?? (quick ? 0.02 : 1),
      profile: !quick && args.profile,
      capMs: quick ? 20_000 : 30_000,
      log,
    });
  });
  await section('relay', async () => {
    results.relay = await runRelay({ extensionDir: DIST_DIR, quick, log });
  });
  await section('panel', async () => {
    results.panel = await runPanel({ extensionDir: DIST_DIR, quick, log });
  });
  await section('scaling', async () => {
    results.scaling = await runScaling({ extensionDir: DIST_DIR, quick, log });
  });

  await section('soak', async () => {
    results.soak = await runSoak({ extensionDir: DIST_DIR, quick, log });
  });

  results.durationMs = performance.now() - started;
  mkdirSync(dirname(args.out), { recursive: true });
  writeFileSync(args.out, JSON.stringify(results, null, 2) + '\n');

  const out: string[] = [''];
  const env = results.environment;
  out.push(`Realtime Inspector bench (${args.mode}) — ${env.machine.cpuModel}, ${env.machine.cores} cores, ${env.machine.memoryGiB} GiB; ${env.versions.chromium}; Node ${env.versions.node}`);
  if (results.page) out.push('', pageOverheadTables(results.page));
  if (results.relay) out.push('', relayTable(results.relay));
  if (results.core) out.push('', coreTable(results.core));
  if (results.panel) out.push('', panelTable(results.panel));
  if (results.scaling) out.push('', scalingTable(results.scaling));
  if (results.soak) out.push('', soakTable(results.soak));
  for (const [name, message] of Object.entries(results.errors)) out.push('', `${name}: FAILED — ${message}`);
  out.push('', `results: ${args.out} (${(results.durationMs / 1000).toFixed(0)} s)`);
  process.stdout.write(out.join('\n') + '\n');
  if (Object.keys(results.errors).length) process.exitCode = 1;
}

await main();
