/**
 * The glue between the bridge and the store (src/panel/live.ts), driven as the
 * real bridge drives it when DevTools opens on a tab: the tab's history in
 * chunks (the first starting with the page's own top-level doc.start), then
 * the bridge in sync.
 */
import { describe, expect, test } from 'vitest';
import { analyzeCapture } from '../../src/core/index.ts';
import type { CaptureEvent } from '../../src/core/events.ts';
import { currentPageEvents, type BridgeListener, type BridgeStatus, type PanelBridge } from '../../src/panel/bridge.ts';
import { connectLive } from '../../src/panel/live.ts';
import { threeChannelCapture } from './panel-fixtures.ts';
import { storeWithWorker } from './panel-harness.ts';

/** A bridge that delivers what the test gives it, as the real one emits it. */
function scriptedBridge() {
  const events: CaptureEvent[] = [];
  const listeners = new Set<BridgeListener>();
  const status: BridgeStatus = { state: 'connecting', dropped: 0, rejected: 0, stats: null, reconnects: 0, panelEvicted: 0 };
  const emit = (u: Parameters<BridgeListener>[0]) => {
    for (const l of listeners) l(u);
  };
  const bridge: PanelBridge = {
    tabId: 1,
    events: () => events.slice(),
    visibleEvents: () => currentPageEvents(events),
    subscribe(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    status: () => ({ ...status }),
    clear: async () => {},
    setRecording: async () => {},
    setPreserveLog() {},
    preserveLog: () => false,
    injectFault: async () => {},
    exportCapture: () => Promise.reject(new Error('not in this test')),
    close() {},
  };
  return {
    bridge,
    history(chunk: CaptureEvent[]) {
      events.push(...chunk);
      emit({ kind: 'events', events: chunk, history: true });
    },
    synced() {
      status.state = 'connected';
      emit({ kind: 'status', status: { ...status } });
    },
  };
}

describe('live glue: DevTools opening on a tab with history', () => {
  test('the history, starting with the page\'s own navigation, is held, analysed once when in sync, and copied to the worker once', () => {
    const { w, t, store } = storeWithWorker();
    const b = scriptedBridge();
    connectLive(store, b.bridge, (message) => {
      throw new Error(message);
    });
    const events = threeChannelCapture();
    expect(events[0]).toMatchObject({ type: 'doc.start', frameId: 0 });
    const posted = w.posted.length;
    const version = store.version;
    b.history(events.slice(0, 10));
    // The view hears of it at once (it shows "analysing", not the empty state).
    expect(store.version).toBeGreaterThan(version);
    expect(store.events()).toHaveLength(10);
    for (let i = 10; i < events.length; i += 10) b.history(events.slice(i, i + 10));
    // Nothing reached the worker while the history came in.
    expect(w.posted.slice(posted).filter((m) => m.type === 'append' || m.type === 'reset')).toEqual([]);
    expect(store.analysing()).toBe(true);
    b.synced();
    expect(store.analysing()).toBe(false);
    expect(store.report()).toEqual(analyzeCapture(events));
    t.runAll();
    const copies = w.posted.slice(posted).filter((m) => m.type === 'append' || m.type === 'reset');
    expect(copies[0]?.type).toBe('reset');
    expect(copies.flatMap((m) => (m.type === 'reset' || m.type === 'append' ? [...m.events] : []))).toEqual(events);
  });
});
