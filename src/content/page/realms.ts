/**
 * Realms the hooks are not in. A same-origin frame's window lets the page call
 * that frame's fetch, XMLHttpRequest, WebSocket and EventSource, which are the
 * frame's own natives: when the frame has no hooks, those calls go unseen. The
 * content scripts run in every frame whose scripts can run, as the frame's
 * document starts, so two kinds of frame have none:
 * - a sandboxed frame without `allow-scripts` but with `allow-same-origin`
 *   (Chromium runs no content script where the page's scripts cannot run);
 * - a frame still on its initial about:blank while its `src` loads: its window
 *   gets the hooks when the document arrives (the Window is reused), not before.
 * Installing the hooks into such a window from here would run this realm's
 * natives on it (errors and objects of the wrong realm), so the hooks mark the
 * hole instead: the first time the page reaches such a window through a frame
 * element's `contentWindow` or `contentDocument`, a `hook.error` (hook `realm`)
 * says what is not captured. Reaching it through `window.frames`, `window[i]` or
 * `window.open()` is not seen.
 */
import { emit, hookError } from './emitter.ts';
import {
  apply,
  documentDefaultView,
  getAttribute,
  getOwnPropertyDescriptor,
  global,
  iframeSandbox,
  tokenListContains,
  WeakMapCtor,
  weakMapGet,
  weakMapSet,
} from './natives.ts';
import { hooksRecordOf, hookGetter } from './patch.ts';

/** Windows already looked at: true when they have hooks or were marked. */
const seen: WeakMap<object, boolean> = new WeakMapCtor();

function sameOrigin(win: object): boolean {
  try {
    getOwnPropertyDescriptor(win, 'Function');
    return true;
  } catch {
    return false;
  }
}

/** Whether the frame element is sandboxed without `allow-scripts`. */
function scriptsDisabled(element: unknown): boolean {
  if (getAttribute(element, 'sandbox') === null) return false;
  try {
    return !tokenListContains(iframeSandbox(element), 'allow-scripts');
  } catch {
    // A <frame>: it has no sandbox.
    return false;
  }
}

function look(win: unknown, element: unknown): void {
  if (win === null || typeof win !== 'object' || weakMapGet(seen, win) === true) return;
  if (hooksRecordOf(win) !== null) {
    weakMapSet(seen, win, true);
    return;
  }
  if (!sameOrigin(win)) return;
  weakMapSet(seen, win, true);
  emit({
    type: 'hook.error',
    hook: 'realm',
    message: scriptsDisabled(element)
      ? 'a same-origin frame whose scripts are disabled (sandbox without allow-scripts) has no hooks: fetch, XMLHttpRequest, WebSocket and EventSource used through its window are not captured'
      : 'a same-origin frame was reached before its hooks installed (its initial about:blank, while its src loads): fetch, XMLHttpRequest, WebSocket and EventSource used through its window until then are not captured',
  });
}

/** Mark same-origin frames without hooks that the page reaches (see the file comment). */
export function installRealmMarks(): void {
  for (const name of ['HTMLIFrameElement', 'HTMLFrameElement'] as const) {
    const ctor = global[name];
    if (typeof ctor !== 'function') continue;
    hookGetter(ctor.prototype, 'contentWindow', (get, self) => {
      const win = apply(get, self, []);
      try {
        look(win, self);
      } catch (error) {
        hookError('realm', error);
      }
      return win;
    });
    hookGetter(ctor.prototype, 'contentDocument', (get, self) => {
      const doc = apply(get, self, []);
      try {
        if (doc !== null) look(documentDefaultView(doc), self);
      } catch (error) {
        hookError('realm', error);
      }
      return doc;
    });
  }
}
