/**
 * Real Firefox for tests: Debian's firefox-esr driven over WebDriver BiDi by puppeteer-core,
 * with the Firefox build of the extension (dist-firefox/, or RI_DIST_FIREFOX) installed as a
 * temporary add-on, the way about:debugging's "Load Temporary Add-on" does.
 */
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FIREFOX_ADDON_ID } from '../../manifest.firefox.ts';
import { wire, type ApiMessages, type ApiReply } from '../../src/shared/messages.ts';

/** The Firefox build of the extension; RI_DIST_FIREFOX points elsewhere (parallel work builds to separate folders). */
export const FIREFOX_DIST_DIR = resolve(process.env.RI_DIST_FIREFOX ?? join(import.meta.dirname, '../../dist-firefox'));

/** The Firefox binary: FIREFOX_PATH, else Debian's firefox-esr. */
export function findFirefox(): string {
  const path = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';
  if (!existsSync(path)) {
    throw new Error(`Firefox not found at ${path}: install it (Debian: \`apt-get install -y firefox-esr\`, as .ci/run does) or set FIREFOX_PATH`);
  }
  return path;
}

/**
 * The moz-extension UUID of the add-on's pages, pinned with Firefox's
 * `extensions.webextensions.uuids` pref (an add-on id → UUID map, read at install)
 * so that tests know the panel's URL before they install it.
 */
export const FIREFOX_EXTENSION_UUID = '5f6d7a3e-1c2b-4e8f-9a0d-7b3c2e1f4a5d';

/** The origin of the add-on's pages. */
export const FIREFOX_EXTENSION_ORIGIN = `moz-extension://${FIREFOX_EXTENSION_UUID}`;

/** Raw WebDriver BiDi commands on puppeteer's connection (puppeteer-core 25.19 lib/puppeteer/bidi/Browser.js: BidiBrowser.connection). */
interface BidiSend {
  send(method: string, params: object): Promise<unknown>;
}

export interface LaunchedFirefox {
  browser: Browser;
  /** Install the built add-on (temporary, over BiDi `webExtension.install`); resolves with its id. */
  installAddon(): Promise<string>;
  /**
   * Stop the add-on's event page as Firefox does when it is idle, through the call behind
   * about:debugging's "Terminate background script"; resolves with its state before and after.
   * It starts again on the next event (a port opened, a message).
   */
  terminateBackground(): Promise<[string, string]>;
  /**
   * Open Firefox's DevTools on the tab showing `url` and select the add-on's "Realtime" tool, as a
   * user would; resolves with the URL of the page the tool loaded.
   */
  openDevToolsPanel(url: string): Promise<string>;
  /** Load an extension page (`moz-extension://…`) in a new tab. */
  openExtensionPage(path: string): Promise<Page>;
  close(): Promise<void>;
}

/** Launch headless Firefox in a fresh profile, without the add-on (install it with `installAddon`). */
export async function launchFirefox(): Promise<LaunchedFirefox> {
  const executablePath = findFirefox();
  if (!existsSync(join(FIREFOX_DIST_DIR, 'manifest.json'))) {
    throw new Error(`Firefox build not found in ${FIREFOX_DIST_DIR}: run \`npm run build:firefox\` first`);
  }
  const profile = mkdtempSync(join(tmpdir(), 'ri-firefox-'));
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath,
    headless: true,
    userDataDir: profile,
    // Firefox's remote agent refuses to navigate to privileged URLs (moz-extension:, about:)
    // unless allowed (firefox 153 chrome/remote/content/shared/BrowsingContextUtils.sys.mjs,
    // isWebdriverSafeNavigationURL): the tests open the panel as an extension page.
    args: ['--remote-allow-system-access'],
    extraPrefsFirefox: { 'extensions.webextensions.uuids': JSON.stringify({ [FIREFOX_ADDON_ID]: FIREFOX_EXTENSION_UUID }) },
  });
  /** Evaluate privileged code in the browser window ("moz:scope": "chrome", allowed by --remote-allow-system-access). */
  const evaluateInBrowserWindow = async (expression: string): Promise<string> => {
    const connection = (browser as unknown as { connection: BidiSend }).connection;
    const tree = (await connection.send('browsingContext.getTree', { 'moz:scope': 'chrome' })) as { result: { contexts: Array<{ context: string }> } };
    const reply = (await connection.send('script.evaluate', { expression, target: { context: tree.result.contexts[0]!.context }, awaitPromise: true })) as {
      result: { type: string; result?: { value?: unknown }; exceptionDetails?: { text?: string } };
    };
    if (reply.result.type !== 'success') throw new Error(`in the browser window: ${reply.result.exceptionDetails?.text ?? 'failed'}`);
    return String(reply.result.result?.value);
  };
  return {
    browser,
    installAddon: () => browser.installExtension(FIREFOX_DIST_DIR),
    async terminateBackground() {
      // firefox 153 resource://gre/modules/ExtensionParent.sys.mjs: DebugUtils.terminateBackgroundScript,
      // the about:debugging action.
      const id = JSON.stringify(FIREFOX_ADDON_ID);
      const states = await evaluateInBrowserWindow(`(async () => {
        const { ExtensionParent } = ChromeUtils.importESModule('resource://gre/modules/ExtensionParent.sys.mjs');
        const extension = WebExtensionPolicy.getByID(${id}).extension;
        const before = extension.backgroundState;
        await ExtensionParent.DebugUtils.terminateBackgroundScript(${id});
        return [before, extension.backgroundState].join(' ');
      })()`);
      const [before, after] = states.split(' ');
      return [before!, after!];
    },
    openDevToolsPanel(url) {
      // firefox 153 devtools/client/framework/devtools.js (gDevTools.showToolboxForTab) and
      // toolbox.js (getAdditionalTools: the tools add-ons register with devtools.panels.create).
      return evaluateInBrowserWindow(`(async () => {
        const { require } = ChromeUtils.importESModule('resource://devtools/shared/loader/Loader.sys.mjs');
        const { gDevTools } = require('devtools/client/framework/devtools');
        const tab = gBrowser.tabs.find((t) => t.linkedBrowser.currentURI.spec === ${JSON.stringify(url)});
        if (!tab) throw new Error('no tab shows ' + ${JSON.stringify(url)});
        gBrowser.selectedTab = tab;
        const toolbox = await gDevTools.showToolboxForTab(tab, { toolId: 'webconsole' });
        let panel;
        for (let i = 0; i < 600 && !panel; i++) {
          panel = toolbox.getAdditionalTools().find((t) => t.label === 'Realtime');
          if (!panel) await new Promise((r) => setTimeout(r, 50));
        }
        if (!panel) throw new Error('no Realtime tool in the toolbox');
        await toolbox.selectTool(panel.id);
        const host = toolbox.doc.getElementById('toolbox-panel-iframe-' + panel.id);
        let page = '';
        for (let i = 0; i < 600 && !page.startsWith('moz-extension:'); i++) {
          page = host?.contentDocument?.querySelector('browser')?.currentURI?.spec ?? '';
          if (!page.startsWith('moz-extension:')) await new Promise((r) => setTimeout(r, 50));
        }
        return page;
      })()`);
    },
    async openExtensionPage(path) {
      const page = await browser.newPage();
      // page.goto waits for a network response that BiDi never reports for a moz-extension:
      // load (it times out); navigate the page's browsing context to load complete instead
      // (puppeteer-core 25.19 lib/puppeteer/bidi/Frame.js: BidiFrame.browsingContext).
      const frame = page.mainFrame() as unknown as { browsingContext: { navigate(url: string, wait: 'complete'): Promise<unknown> } };
      await frame.browsingContext.navigate(`${FIREFOX_EXTENSION_ORIGIN}/${path}`, 'complete');
      return page;
    },
    async close() {
      await browser.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Call the background API from an extension page (the way the panel does: runtime.sendMessage;
 * Firefox's event page is no target a test can evaluate in, unlike Chrome's service worker).
 */
export async function callFirefoxApi<T>(extensionPage: Page, method: ApiMessages['api']['method'], ...args: unknown[]): Promise<T> {
  const request = wire<ApiMessages, 'api'>('api', { method, args } as ApiMessages['api']);
  const reply = (await extensionPage.evaluate((message) => chrome.runtime.sendMessage(message), request)) as ApiReply | undefined;
  if (!reply) throw new Error(`no reply to ${method}`);
  if (!reply.ok) throw new Error(`${method}: ${reply.error}`);
  return reply.result as T;
}
