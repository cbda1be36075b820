// `npm start`: build the extension, start the demo lab, then either open Chromium on
// screen with the extension and DevTools on the Realtime panel (when $DISPLAY or
// $WAYLAND_DISPLAY is set) or, headless, audit every lab page and print the reports.
import { spawnSync } from 'node:child_process';
import { register } from 'tsx/esm/api';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
// RI_DIST (also read by the CLI) builds and loads the extension elsewhere than dist/.
const outDir = process.env.RI_DIST;
process.stdout.write(`Building the extension (${outDir ? `vite build --outDir ${outDir}` : 'npm run build'})…\n`);
const build = outDir
  ? spawnSync(npx, ['vite', 'build', '--logLevel', 'warn', '--outDir', outDir], { stdio: 'inherit' })
  : spawnSync(npm, ['run', 'build', '--silent', '--', '--logLevel', 'warn'], { stdio: 'inherit' });
if (build.status !== 0) {
  process.stderr.write('npm start: the build failed (see above).\n');
  process.exit(build.status ?? 1);
}

register();
const { runOnScreen, runTour } = await import('../lab/demo.ts');
const { CliError } = await import('../src/cli/audit-exit.ts');

const hasDisplay = Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
try {
  if (hasDisplay) {
    try {
      await runOnScreen();
    } catch (error) {
      // A $DISPLAY that cannot be opened (e.g. a stale forwarded X11) is no reason to show nothing.
      if (error instanceof CliError && /could not start/.test(error.message)) {
        process.stderr.write(`npm start: ${error.message}\nFalling back to the headless tour.\n`);
        await runTour();
      } else throw error;
    }
  } else {
    await runTour();
  }
  process.exit(0);
} catch (error) {
  process.stderr.write(`npm start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(error instanceof CliError ? error.exitCode : 1);
}
