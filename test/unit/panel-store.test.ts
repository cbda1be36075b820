import { describe, expect, test } from 'vitest';
import { PanelStore, REANALYZE_MIN_MS } from '../../src/panel/store.ts';
import { threeChannelCapture } from './panel-fixtures.ts';

describe('panel store', () => {
  test('live events are analysed in throttled batches, not one report per batch', () => {
    const timers: Array<{ fn: () => void; ms: number }> = [];
    const store = new PanelStore((fn, ms) => {
      timers.push({ fn, ms });
      return 0 as unknown as ReturnType<typeof setTimeout>;
    });
    const events = threeChannelCapture();
    let notified = 0;
    store.subscribe(() => notified++);
    for (let i = 0; i < events.length; i += 5) store.appendLive(events.slice(i, i + 5));
    expect(notified).toBe(0);
    expect(timers).toHaveLength(1);
    expect(timers[0]!.ms).toBeLessThanOrEqual(REANALYZE_MIN_MS);
    timers[0]!.fn();
    expect(notified).toBe(1);
    expect(store.report().channels).toHaveLength(3);
  });

  test('the analysed events stay bounded: the oldest are let go past the bound', () => {
    const store = new PanelStore(() => 0 as unknown as ReturnType<typeof setTimeout>, 40);
    const events = threeChannelCapture();
    expect(events.length).toBeGreaterThan(60);
    for (let i = 0; i < events.length; i += 3) store.appendLive(events.slice(i, i + 3));
    expect(store.events().length).toBeLessThanOrEqual(44);
    expect(store.events().at(-1)).toBe(events.at(-1));
  });

  test('an import is shown aside from the live capture, which keeps accumulating', () => {
    const store = new PanelStore(() => 0 as unknown as ReturnType<typeof setTimeout>);
    const events = threeChannelCapture();
    store.appendLive(events.slice(0, 10));
    store.showImported('x.json', events);
    store.appendLive(events.slice(10, 20));
    expect(store.events()).toHaveLength(events.length);
    store.showLive();
    expect(store.events()).toEqual(events.slice(0, 20));
  });
});
