/**
 * MAIN-world entry, run by the manifest at document_start in every frame as a
 * standalone IIFE (see vite.config.ts): captures the natives, patches the five
 * transports (fetch, XHR, EventSource, WebSocket, WebTransport), announces the
 * document and starts the bridge to the relay.
 */
import { applyFault } from './faults.ts';
import { docId, emit, hookError, onFaultCommand, startBridge } from './emitter.ts';
import { installEventSourceHooks } from './event-source.ts';
import { installFetchHook } from './fetch.ts';
import { global, doc } from './natives.ts';
import { installNetworkState } from './network-state.ts';
import { adoptRecord, hooksRecordOf, installNativeToString, ownHooksRecord, type HooksRecord } from './patch.ts';
import { installRealmMarks } from './realms.ts';
import { installResourceTiming } from './resource-timing.ts';
import { installWebSocketHooks } from './web-socket.ts';
import { installWebTransportHooks } from './web-transport.ts';
import { installXhrHooks } from './xhr.ts';

/**
 * The related realm whose hooks share this realm's registries: the parent frame,
 * else the top frame (same origin across a cross-origin parent), else the opener.
 */
function relatedRecord(): { parent: HooksRecord | null; shared: HooksRecord | null } {
  let parent: HooksRecord | null = null;
  let other: HooksRecord | null = null;
  try {
    if (global.parent !== global) {
      parent = hooksRecordOf(global.parent);
      if (parent === null && global.top !== global.parent) other = hooksRecordOf(global.top);
    } else if (global.opener) other = hooksRecordOf(global.opener);
  } catch {
    // Nothing reachable to share with.
  }
  return { parent, shared: parent ?? other };
}

function install(): void {
  // A Window reused by its first navigation (the initial about:blank of a frame)
  // keeps the hooks it had; they go on capturing under their document id.
  if (ownHooksRecord()) return;
  const { parent, shared } = relatedRecord();
  adoptRecord(shared);
  emit({
    type: 'doc.start',
    url: global.location.href,
    title: doc.title,
    top: global.top === global,
    parentDoc: parent ? parent.doc : null,
  });
  installNativeToString(docId);
  const hooks: Array<[string, () => boolean]> = [
    ['fetch', installFetchHook],
    ['xhr', installXhrHooks],
    ['eventsource', installEventSourceHooks],
    ['websocket', installWebSocketHooks],
    ['webtransport', installWebTransportHooks],
    ['resource-timing', installResourceTiming],
    ['network-state', installNetworkState],
  ];
  try {
    installRealmMarks();
  } catch (error) {
    hookError('install.realm', error);
  }
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
