/**
 * "Copy as cURL / websocat" against hostile input: URLs, methods, headers and
 * subprotocols a page (or an imported file) controls. Every command is run by a
 * real /bin/sh with `curl` and `websocat` defined as shell functions that print
 * the arguments they received, so the test sees exactly what the tool would get
 * and whether anything else ran.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { curlCommand, shellQuote, websocatCommand } from '../../src/panel/commands.ts';

const SH = '/bin/sh';
/** A scratch directory the commands run in: any file that appears there was made by an injected command. */
const cwd = mkdtempSync(join(tmpdir(), 'ri-commands-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

/** Run a script in sh; stdout as text. */
function sh(script: string): string {
  const run = spawnSync(SH, ['-c', script], { cwd, encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
  if (run.status !== 0) throw new Error(`sh exited ${run.status}: ${run.stderr}`);
  return run.stdout;
}

/** The argv `curl` or `websocat` would receive from a pasted command (the tools are shell functions here). */
function argvOf(command: string): string[] {
  const stub = `for a in "$@"; do printf '%s\\0' "$a"; done`;
  const out = sh(`curl() { ${stub}; }; websocat() { ${stub}; }; ${command}`);
  return out.split('\0').slice(0, -1);
}

/** Strings that shells, curl and websocat read as syntax. */
const HOSTILE = [
  `'`, `"`, '\\', '$', '`', '$(touch pwned)', '`touch pwned`', '${IFS}', ';touch pwned;', '|', '&', '&&', '||', '>', '<', '*', '?', '[', ']', '{', '}', '{a,b}', '[1-3]',
  '~', '#', '!', '!!', '%', '\t', ' ', "'\\''", `'$(touch pwned)'`, '-o', '--output=pwned', '@/etc/passwd', '-K/etc/passwd', 'sh-c:', 'exec:', 'é', '💥', '\u202e',
];
const hostileString = fc.array(fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ unit: 'binary', maxLength: 8 })), { maxLength: 8 }).map((parts) => parts.join(''));

describe('shellQuote', () => {
  it('gives back any string without NUL exactly, through a real sh', () => {
    fc.assert(
      fc.property(fc.oneof(hostileString, fc.string({ unit: 'binary' })), (value) => {
        fc.pre(!value.includes('\0'));
        expect(sh(`printf '%s' ${shellQuote(value)}`)).toBe(value);
      }),
      { numRuns: 300 },
    );
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('refuses NUL, which no shell argument can hold', () => {
    expect(() => shellQuote('a\0b')).toThrow(RangeError);
  });
});

describe('Copy as websocat', () => {
  it('makes no command for a URL websocat would read as a program, a socket or a file', () => {
    for (const url of [
      'sh-c:///usr/bin/touch$IFS/tmp/pwned',
      'sh-c:touch pwned',
      'exec:/bin/sh',
      'cmd:touch pwned',
      'tcp-l:127.0.0.1:8080',
      'unix-l:/tmp/sock',
      'readfile:/etc/passwd',
      'writefile:/tmp/x',
      'ws-l:127.0.0.1:1234',
      'file:///etc/passwd',
      'http://127.0.0.1/ws',
      'javascript:alert(1)',
      '-e',
      '',
      'ws//missing-colon',
    ]) {
      expect(websocatCommand({ url }), url).toBeNull();
    }
  });

  it('makes no command for a subprotocol that is not a token', () => {
    expect(websocatCommand({ url: 'wss://a.test/', protocols: ['graphql-ws', 'x y'] })).toBeNull();
    expect(websocatCommand({ url: 'wss://a.test/', protocols: ["a'b;touch pwned"] })).toBeNull();
  });

  it('hands websocat exactly the canonical ws(s) URL and the subprotocols, whatever the page put in them', () => {
    expect(argvOf(websocatCommand({ url: 'WSS://Example.test:443/live?q=1', protocols: ['graphql-transport-ws', '-x'] })!)).toEqual([
      '--protocol=graphql-transport-ws, -x',
      '--',
      'wss://example.test/live?q=1',
    ]);
    fc.assert(
      fc.property(hostileString, hostileString, fc.boolean(), (path, query, secure) => {
        const raw = `${secure ? 'wss' : 'ws'}://h.test/${path}?${query}`;
        const url = new URL(raw).href;
        const command = websocatCommand({ url: raw, protocols: ['v12.stomp'] });
        expect(command).not.toBeNull();
        expect(argvOf(command!)).toEqual(['--protocol=v12.stomp', '--', url]);
      }),
      { numRuns: 150 },
    );
    expect(readdirSync(cwd)).toEqual([]);
  });
});

describe('Copy as cURL', () => {
  it('makes no command for a URL that is not http(s), or a method that is not a token', () => {
    for (const url of ['file:///etc/passwd', 'ftp://a.test/', 'gopher://a.test/', 'sh-c:touch pwned', '-o/tmp/pwned', 'dict://a.test/', 'ws://a.test/', '']) {
      expect(curlCommand({ url }), url).toBeNull();
    }
    expect(curlCommand({ url: 'https://a.test/', method: 'GET;touch pwned' })).toBeNull();
    expect(curlCommand({ url: 'https://a.test/', method: 'GET /x HTTP/1.1' })).toBeNull();
    // A quote is a token character (RFC 9110 tchar): allowed, and quoted.
    expect(argvOf(curlCommand({ url: 'https://a.test/', method: "PO'ST" })!)).toEqual(['-g', '-X', "PO'ST", '--url', 'https://a.test/']);
  });

  it('never globs, and the URL is never read as an option', () => {
    const argv = argvOf(curlCommand({ url: 'https://a.test/{a,b}/[1-9]', method: 'post' })!);
    expect(argv).toEqual(['-g', '-X', 'POST', '--url', 'https://a.test/%7Ba,b%7D/[1-9]']);
  });

  it('leaves out headers a browser could not have sent, keeps every other one byte for byte', () => {
    const headers: Array<[string, string]> = [
      ['x-ok', `it's $(touch pwned) \`id\` "q" \\ ; | & > <`],
      ['x-newline', 'a\r\nInjected: yes'],
      ['x-escape', 'a\x1b[201~touch pwned\x1b[200~'],
      ['x-c1', 'a\u009b2J'],
      ['x-tab', 'a\tb'],
      ['bad name', 'v'],
      ['@/etc/passwd', 'v'],
      ['host', 'evil.test'],
      ['authorization', 'Bearer abc'],
    ];
    const argv = argvOf(curlCommand({ url: 'https://a.test/x', headers, stream: true })!);
    expect(argv).toEqual([
      '-g',
      '-N',
      '-H',
      `x-ok: it's $(touch pwned) \`id\` "q" \\ ; | & > <`,
      '-H',
      'authorization: Bearer abc',
      '-H',
      'Accept: text/event-stream',
      '--url',
      'https://a.test/x',
    ]);
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('hands curl exactly the canonical URL, method and headers, for any hostile values (property, real sh)', () => {
    const headerValue = hostileString.filter((v) => !/[\0-\x1f\x7f-\x9f]/.test(v));
    fc.assert(
      fc.property(hostileString, hostileString, hostileString, headerValue, fc.constantFrom('GET', 'POST', 'PATCH', 'X-CUSTOM'), (path, query, fragment, value, method) => {
        const raw = `https://h.test/${path}?${query}#${fragment}`;
        const command = curlCommand({ url: raw, method, headers: [['x-h', value]] });
        expect(command).not.toBeNull();
        // Nothing a terminal could act on before the user presses Enter.
        expect(command).not.toMatch(/[\0-\x1f\x7f-\x9f]/);
        const argv = argvOf(command!);
        expect(argv).toEqual(['-g', ...(method === 'GET' ? [] : ['-X', method]), '-H', `x-h: ${value}`, '--url', new URL(raw).href]);
      }),
      { numRuns: 150 },
    );
    expect(existsSync(join(cwd, 'pwned'))).toBe(false);
    expect(readdirSync(cwd)).toEqual([]);
  });
});
