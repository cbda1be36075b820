// Builds `realtime-inspector/playwright` (package.json "exports") into lib/playwright/:
//   index.js        the Node entry (src/playwright/index.ts and the core it uses), ESM
//   index.d.ts …    its declarations (tsc), under lib/playwright/ with the sources' layout
//   page-hooks.js   the extension's MAIN-world hooks (src/content/page/index.ts) as a standalone IIFE
//   page-relay.js   the Playwright route's relay (src/playwright/page-relay.ts), IIFE `__riPlaywrightRelay`
// Run by `npm run build` before the extension's vite build (so that arguments after `--` still reach vite).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'lib/playwright');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const common = { bundle: true, target: 'es2022', logLevel: 'warning', legalComments: 'none' };
await Promise.all([
  build({ ...common, entryPoints: [join(root, 'src/content/page/index.ts')], format: 'iife', minify: true, outfile: join(out, 'page-hooks.js') }),
  build({ ...common, entryPoints: [join(root, 'src/playwright/page-relay.ts')], format: 'iife', globalName: '__riPlaywrightRelay', minify: true, outfile: join(out, 'page-relay.js') }),
  build({
    ...common,
    entryPoints: [join(root, 'src/playwright/index.ts')],
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // The user's own Playwright: one expect and one test runner in the process.
    external: ['@playwright/test', 'playwright-core'],
    outfile: join(out, 'index.js'),
  }),
]);

// Declarations: tsc from the sources, the entry's import graph only.
const tsc = spawnSync(
  process.execPath,
  [
    join(root, 'node_modules/typescript/bin/tsc'),
    '--project', join(root, 'src/playwright/tsconfig.build.json'),
  ],
  { stdio: 'inherit' },
);
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
// The entry's declaration, where package.json "exports" points.
writeFileSync(join(out, 'index.d.ts'), "export * from './types/playwright/index.ts';\n");
