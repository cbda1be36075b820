/**
 * MAIN-world entry, run by the manifest at document_start in every frame as a
 * standalone IIFE (see vite.config.ts): captures the natives, patches the four
 * transports, announces the document and starts the bridge to the relay.
 */
import { applyFault } from './faults.ts';
import { docId, emit, hookError, onFaultCommand, startBridge } from './emitter.ts';
import { installEventSourceHooks } from './event-source.ts';
import { installFetchHook } from './fetch.ts';
import { defineProperty, global, doc } from './natives.ts';
import { installNativeToString } from './patch.ts';
import { installWebSocketHooks } from './web-socket.ts';
import { installXhrHooks } from './xhr.ts';

/** Marks a window whose hooks are installed (against double installation); holds the document id. */
const INSTALLED = Symbol.for('realtime-inspector.hooks');

function parentDocId(): string | null {
  try {
    if (global.parent === global) return null;
    const marker = (global.parent as unknown as Record<symbol, { doc?: unknown } | undefined>)[INSTALLED];
    return marker && typeof marker.doc === 'string' ? marker.doc : null;
  } catch {
    // A cross-origin parent: its document id is not readable from here.
    return null;
  }
}

function install(): void {
  const marked = global as unknown as Record<symbol, unknown>;
  if (marked[INSTALLED]) return;
  defineProperty(global, INSTALLED, { value: Object.freeze({ doc: docId }), enumerable: false });
  emit({
    type: 'doc.start',
    url: global.location.href,
    title: doc.title,
    top: global.top === global,
    parentDoc: parentDocId(),
  });
  installNativeToString();
  const hooks: Array<[string, () => boolean]> = [
    ['fetch', installFetchHook],
    ['xhr', installXhrHooks],
    ['eventsource', installEventSourceHooks],
    ['websocket', installWebSocketHooks],
  ];
  for (const [name, installHook] of hooks) {
    try {
      if (!installHook()) hookError(`install.${name}`, 'global missing or not configurable');
    } catch (error) {
      hookError(`install.${name}`, error);
    }
  }
  onFaultCommand(applyFault);
  startBridge();
}

try {
  install();
} catch {
  // Never break the page: without hooks the page simply runs uncaptured.
}
