/**
 * Glue between the bridge (the live connection to the background) and the
 * store: history and live events flow into the store; navigation without
 * "preserve log" starts a fresh view; the toolbar's commands go to the bridge.
 */
import type { FaultCommand } from '../shared/page-bridge.ts';
import { isTopNavigation, pageDocuments, type BridgeUpdate, type PanelBridge } from './bridge.ts';
import type { PanelStore } from './store.ts';

/** What the UI can do to a live capture. */
export interface LiveControls {
  preserveLog(): boolean;
  setRecording(on: boolean): void;
  setPreserveLog(on: boolean): void;
  clear(): void;
  injectFault(command: FaultCommand): void;
}

/** Feed the store from the bridge; returns the controls and a disconnect function. */
export function connectLive(store: PanelStore, bridge: PanelBridge, onError: (message: string) => void): { controls: LiveControls; dispose: () => void } {
  let stale = new Set<string>();
  /** Show the bridge's events anew; `history`: within the tab's history (the store holds it until in sync). */
  const reset = (history = false) => {
    const shown = bridge.visibleEvents();
    // Docs of earlier pages: their late events are not shown without preserve log.
    stale = bridge.preserveLog() ? new Set() : pageDocuments(bridge.events()).earlier;
    store.resetLive(shown, history);
  };
  const onUpdate = (u: BridgeUpdate) => {
    switch (u.kind) {
      case 'events': {
        const navigated = !bridge.preserveLog() && u.events.some(isTopNavigation);
        if (navigated) return reset(u.history);
        store.appendLive(stale.size ? u.events.filter((e) => !stale.has(e.doc)) : u.events, u.history);
        return;
      }
      case 'cleared':
        return reset();
      case 'status':
        store.setConnection({ connected: u.status.state === 'connected', dropped: u.status.dropped, recording: u.status.stats?.recording ?? store.recording });
        return;
    }
  };
  const unsubscribe = bridge.subscribe(onUpdate);
  reset();
  const status = bridge.status();
  store.setConnection({ connected: status.state === 'connected', dropped: status.dropped, recording: status.stats?.recording ?? true });
  const fail = (what: string) => (err: unknown) => onError(`${what}: ${err instanceof Error ? err.message : String(err)}`);
  return {
    controls: {
      preserveLog: () => bridge.preserveLog(),
      setRecording(on) {
        store.setConnection({ connected: store.connected, dropped: store.connectionDropped, recording: on });
        bridge.setRecording(on).catch(fail('Could not change recording'));
      },
      setPreserveLog(on) {
        bridge.setPreserveLog(on);
        reset();
      },
      clear() {
        bridge.clear().catch(fail('Could not clear'));
      },
      injectFault(command) {
        bridge.injectFault(command).catch(fail('Could not inject the fault'));
      },
    },
    dispose: () => {
      unsubscribe();
      bridge.close();
    },
  };
}
