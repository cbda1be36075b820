/**
 * The browser's own word on the page's network: window `offline` and `online` (HTML §
 * 8.10.1 "Navigator.onLine"), and navigator.onLine when the document starts. Chrome fires
 * them when the OS reports no usable network (Wi-Fi off, cable out, airplane mode, a laptop
 * that slept) and under DevTools' offline throttling; the connection attempts a page makes
 * meanwhile fail. Recorded as `page.network` events so that the analysis can name the cause
 * of the drops and failed retries of such a window ('network offline'), which would otherwise
 * read as a server that refused. Only trusted events count: a page can dispatch its own.
 */
import { emit, hookError } from './emitter.ts';
import { addListener, apply, CAPTURE, getOwnPropertyDescriptor, global } from './natives.ts';

/** Navigator.prototype's onLine getter as the platform made it (a page may replace it later). */
const onLineGetter = (() => {
  const proto = (global as unknown as { Navigator?: { prototype: object } }).Navigator?.prototype;
  return proto ? getOwnPropertyDescriptor(proto, 'onLine')?.get : undefined;
})();

function onChange(online: boolean) {
  return (event: Event): void => {
    if (!event.isTrusted) return;
    try {
      emit({ type: 'page.network', online });
    } catch (error) {
      hookError('network-state', error);
    }
  };
}

/** Listen to the window's online/offline events; record an offline start. False without a Navigator (not a window). */
export function installNetworkState(): boolean {
  if (onLineGetter === undefined) return false;
  addListener(global, 'offline', onChange(false), CAPTURE);
  addListener(global, 'online', onChange(true), CAPTURE);
  // Only a document that starts offline says so: online is what a capture assumes.
  if (apply(onLineGetter, global.navigator, []) === false) emit({ type: 'page.network', online: false });
  return true;
}
