/**
 * Set-up (4): @mswjs/interceptors in the page, as a user who logs traffic with
 * it would install it. Its browser builds of FetchInterceptor,
 * XMLHttpRequestInterceptor and WebSocketInterceptor are bundled into one IIFE
 * with Vite's build API (rolldown) in a temp dir, then injected before any page
 * script (Page.addScriptToEvaluateOnNewDocument, what addInitScript does).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { build } from 'vite';

const require = createRequire(import.meta.url);

/** The package.json of @mswjs/interceptors (its exports map does not expose it). */
function packageJsonPath(): string {
  let dir = dirname(require.resolve('@mswjs/interceptors'));
  while (!existsSync(join(dir, 'package.json')) || !dir.endsWith(join('@mswjs', 'interceptors'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('@mswjs/interceptors package.json not found');
    dir = up;
  }
  return join(dir, 'package.json');
}

/** The file that a browser bundler picks for a subpath export of @mswjs/interceptors. */
function browserEntry(subpath: string): string {
  const pkgJson = packageJsonPath();
  const pkg = JSON.parse(readFileSync(pkgJson, 'utf8')) as { exports: Record<string, { browser?: string }> };
  const target = pkg.exports[subpath]?.browser;
  if (!target) throw new Error(`@mswjs/interceptors has no browser build for ${subpath}`);
  return join(dirname(pkgJson), target);
}

/** The installed @mswjs/interceptors version. */
export function mswVersion(): string {
  return (JSON.parse(readFileSync(packageJsonPath(), 'utf8')) as { version: string }).version;
}

/**
 * Listeners read what a user's logging would: method, URL, status, the
 * response body (from the clone the interceptor hands out, so the page's own
 * body is untouched) and every WebSocket message in both directions.
 */
const ENTRY = (fetchPath: string, xhrPath: string, wsPath: string) => `
import { FetchInterceptor } from ${JSON.stringify(fetchPath)};
import { XMLHttpRequestInterceptor } from ${JSON.stringify(xhrPath)};
import { WebSocketInterceptor } from ${JSON.stringify(wsPath)};

const log = (globalThis.__mswBenchLog = { requests: 0, responses: 0, bodyChars: 0, wsIn: 0, wsOut: 0, wsChars: 0 });
const size = (data) => (typeof data === 'string' ? data.length : data.byteLength ?? data.size ?? 0);

for (const interceptor of [new FetchInterceptor(), new XMLHttpRequestInterceptor()]) {
  interceptor.on('request', ({ request }) => {
    log.requests++;
    log.bodyChars += request.method.length + request.url.length;
  });
  interceptor.on('response', async ({ response }) => {
    log.responses++;
    log.bodyChars += String(response.status).length + (await response.text()).length;
  });
  interceptor.apply();
}

const ws = new WebSocketInterceptor();
ws.on('connection', ({ client, server }) => {
  server.connect();
  client.addEventListener('message', (event) => {
    log.wsOut++;
    log.wsChars += size(event.data);
  });
  server.addEventListener('message', (event) => {
    log.wsIn++;
    log.wsChars += size(event.data);
  });
});
ws.apply();
`;

/** Build the IIFE and return its source. */
export async function buildMswBundle(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'ri-bench-msw-'));
  try {
    const entry = join(dir, 'entry.js');
    writeFileSync(entry, ENTRY(browserEntry('./fetch'), browserEntry('./XMLHttpRequest'), browserEntry('./WebSocket')));
    await build({
      configFile: false,
      root: dir,
      logLevel: 'silent',
      mode: 'production',
      define: { 'process.env.NODE_ENV': '"production"' },
      resolve: { conditions: ['browser'] },
      build: {
        outDir: join(dir, 'out'),
        emptyOutDir: true,
        minify: true,
        target: 'es2022',
        lib: { entry, formats: ['iife'], name: '__mswBench', fileName: () => 'msw.iife.js' },
      },
    });
    return readFileSync(join(dir, 'out', 'msw.iife.js'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
