// @vitest-environment happy-dom
import { afterEach, describe, expect, test } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/preact';
import { App } from '../../src/panel/App.tsx';
import { PanelStore } from '../../src/panel/store.ts';
import { transfer } from '../../src/panel/transfer.ts';
import { chartData } from '../../src/panel/charts/registry.ts';
import { SPAN } from '../../src/panel/timeline-data.ts';
import { threeChannelCapture } from './panel-fixtures.ts';
import { eventsToHar, serializeCaptureFile } from '../../src/core/formats/index.ts';
import { Analyzer } from '../../src/core/index.ts';

afterEach(cleanup);

function openChannel(kind: string): PanelStore {
  const store = new PanelStore();
  store.showImported('fixture.json', threeChannelCapture());
  render(<App store={store} live={null} theme="dark" transfer={transfer} />);
  const row = Array.from(document.querySelectorAll<HTMLElement>('.overview-table tbody tr')).find((r) => r.querySelector(`[data-kind="${kind}"]`))!;
  fireEvent.dblClick(row);
  return store;
}

describe('channel detail', () => {
  test('polling: timeline shows wasted requests distinctly, charts carry the core series', () => {
    const store = openChannel('polling');
    const ch = store.report().channels.find((c) => c.kind === 'polling')!;
    const timeline = chartData('channel-timeline')!;
    const styles = Array.from(timeline.spanStyle as ArrayLike<number>);
    expect(styles.filter((s) => s === SPAN.wasted)).toHaveLength(ch.wasted);
    expect(styles.filter((s) => s === SPAN.useful)).toHaveLength(ch.requests - ch.wasted);
    fireEvent.click(document.querySelector('[data-tab="charts"]')!);
    const waste = chartData('waste')!;
    const wasted = Array.from(waste.wasted as ArrayLike<number>).reduce((a, b) => a + b, 0);
    const useful = Array.from(waste.useful as ArrayLike<number>).reduce((a, b) => a + b, 0);
    expect(wasted).toBe(ch.wasted);
    expect(useful + wasted).toBe(ch.requests);
    const latency = chartData('latency')!;
    expect(latency.samples).toBe(ch.requests);
    expect(latency.median).toBe(store.channelSeries(ch.id)!.latency.median);
    expect(document.querySelector('[data-chart="backoff"]')!.textContent).toContain('No reconnects captured');
  });

  test('polling: copy as cURL, findings with evidence, advice and background', () => {
    const store = openChannel('polling');
    const ch = store.report().channels.find((c) => c.kind === 'polling')!;
    expect(screen.getByTestId('copy-command').getAttribute('title')).toBe("curl -g --url 'http://127.0.0.1/api/poll'");
    fireEvent.click(document.querySelector('[data-tab="findings"]')!);
    const cards = document.querySelectorAll('.finding');
    expect(cards).toHaveLength(ch.findings.length);
    const waste = document.querySelector('[data-code="polling-waste-high"]')!;
    expect(waste.querySelector('.evidence')).toBeTruthy();
    expect(waste.textContent).toContain('Advice');
    expect(waste.querySelector('.why')!.textContent).toContain('SSE');
  });

  test('websocket: heartbeats and close code on the timeline, heartbeat chart against 30 s, websocat command', () => {
    const store = openChannel('websocket');
    const ch = store.report().channels.find((c) => c.kind === 'websocket')!;
    const series = store.channelSeries(ch.id)!;
    const timeline = chartData('channel-timeline')!;
    const beats = Array.from(timeline.markStyle as ArrayLike<number>).filter((s) => s === 2).length;
    // The core's own series of the same capture says which messages are heartbeats.
    const core = new Analyzer();
    core.ingest(threeChannelCapture());
    expect(beats).toBe(core.channelSeries(ch.id)!.messages.role.filter((r) => r === 'heartbeat').length);
    // ...and the message list marks the same ones.
    expect(document.querySelectorAll('.vrow.kind-heartbeat').length).toBe(beats);
    expect(beats).toBeGreaterThan(0);
    expect(screen.getByTestId('copy-command').getAttribute('title')).toBe("websocat -- 'ws://127.0.0.1/socket.io/?EIO=4&transport=websocket'");
    fireEvent.click(document.querySelector('[data-tab="charts"]')!);
    const hb = chartData('heartbeat')!;
    expect(Array.from(hb.intervalMs as ArrayLike<number>)).toEqual(series.heartbeat.intervals);
    expect(hb.thresholdMs).toBe(30_000);
  });

  test('sse: the reconnect appears in the backoff chart with the fitted and reference curves', () => {
    const store = openChannel('sse');
    const ch = store.report().channels.find((c) => c.kind === 'sse')!;
    fireEvent.click(document.querySelector('[data-tab="charts"]')!);
    const backoff = chartData('backoff')!;
    // A push channel's first-byte time is its first message, and its load is messages.
    expect(document.querySelector('.stats')!.textContent).toMatch(/time to first message/);
    expect(document.querySelector('.stats')!.textContent).toMatch(/messages for 1,000 users/);
    expect(ch.reconnects.length).toBeGreaterThan(0);
    expect(Array.from(backoff.observedMs as ArrayLike<number>)).toEqual(ch.reconnects.map((r) => Math.round(r.delayMs * 10) / 10));
    expect(Array.from(backoff.referenceMs as ArrayLike<number>)[0]).toBe(1000);
    // The y axis fits the observed delays (+15%), not the reference curve.
    const observedMaxS = Math.max(...(backoff.observedMs as number[])) / 1000;
    expect((backoff.yMaxS as number[])[0]).toBeCloseTo(Math.max(1, observedMaxS) * 1.15, 5);
    expect(screen.getByTestId('copy-command').getAttribute('title')).toBe("curl -g -N -H 'Accept: text/event-stream' --url 'http://127.0.0.1/events'");
  });

  test('fault injection is disabled without a live page and explains the EventSource limit', () => {
    openChannel('sse');
    fireEvent.click(document.querySelector('[data-tab="faults"]')!);
    expect((screen.getByText('Inject') as HTMLButtonElement).disabled).toBe(true);
    expect(document.body.textContent).toContain('native EventSource reconnects on its own schedule');
  });
});

describe('import', () => {
  test('a corrupt file shows a clear error and keeps the current data', async () => {
    const store = new PanelStore();
    store.showImported('first.json', threeChannelCapture());
    render(<App store={store} live={null} theme="light" transfer={transfer} />);
    const before = document.querySelectorAll('.overview-table tbody tr').length;
    expect(before).toBe(3);
    const input = screen.getByTestId('import-input') as HTMLInputElement;
    for (const [name, text] of [['broken.json', '{"format": "realtime-inspector-capture", "events": [tru'], ['other.json', '{"hello": "world"}']] as const) {
      Object.defineProperty(input, 'files', { value: [new File([text], name, { type: 'application/json' })], configurable: true });
      fireEvent.change(input);
      await waitFor(() => expect(screen.getByTestId('import-error').textContent).toContain(name));
      expect(screen.getByTestId('import-error').textContent).toContain('The current data is unchanged');
      expect(document.querySelectorAll('.overview-table tbody tr').length).toBe(before);
      expect(store.mode).toEqual({ kind: 'import', name: 'first.json' });
    }
  });

  async function importText(name: string, text: string) {
    const input = screen.getByTestId('import-input') as HTMLInputElement;
    Object.defineProperty(input, 'files', { value: [new File([text], name, { type: 'application/json' })], configurable: true });
    fireEvent.change(input);
    await waitFor(() => expect(screen.getByTestId('import-status').textContent).toContain(name));
  }

  test('a capture file imports to the same report', async () => {
    const events = threeChannelCapture();
    const reference = new PanelStore();
    reference.showImported('ref', events);
    const store = new PanelStore();
    render(<App store={store} live={null} theme="light" transfer={transfer} />);
    expect(screen.getByText('No real-time traffic captured yet')).toBeTruthy();
    await importText('capture.json', serializeCaptureFile(events, { url: 'http://127.0.0.1/demo', title: 'Demo' }, { redact: false }));
    const { capturedAt: _a, ...expected } = reference.report();
    const { capturedAt: _b, ...actual } = store.report();
    expect(actual).toEqual(expected);
    expect(document.querySelectorAll('.overview-table tbody tr')).toHaveLength(3);
  });

  test('a HAR file imports its HTTP and WebSocket traffic', async () => {
    const events = threeChannelCapture();
    const har = eventsToHar(events, { url: 'http://127.0.0.1/demo', title: 'Demo' }, { redact: true });
    const store = new PanelStore();
    render(<App store={store} live={null} theme="light" transfer={transfer} />);
    await importText('page.har', JSON.stringify(har));
    const kinds = Array.from(document.querySelectorAll('.overview-table tbody tr [data-kind]'), (e) => e.getAttribute('data-kind'));
    expect(kinds).toContain('polling');
    expect(kinds).toContain('websocket');
    const poll = store.report().channels.find((c) => c.kind === 'polling')!;
    expect(poll.requests).toBe(20);
  });
});

describe('fault controls', () => {
  test('list each injected stall with what the client did, page data as text', async () => {
    const { FaultControls } = await import('../../src/panel/components/FaultControls.tsx');
    render(
      <FaultControls
        conn="d:1"
        transport="websocket"
        onInject={() => {}}
        stalls={[
          { at: 1, durationMs: 10_000, detectedAfterMs: 5200, reaction: 'closed' },
          { at: 2, durationMs: 60_000, detectedAfterMs: null, reaction: null },
          { at: 3, durationMs: 60_000, detectedAfterMs: null, reaction: 'server-closed', serverClosedAfterMs: 30_000 },
        ]}
      />,
    );
    const items = screen.getByTestId('stall-checks').querySelectorAll('li');
    expect(Array.from(items, (li) => li.textContent)).toEqual([
      'Stall 10.0 s: closed the silent connection after 5.2 s.',
      'Stall 60.0 s: not detected (no close, no reconnect before it ended).',
      'Stall 60.0 s: the server closed the connection after 30.0 s, before the client reacted (inconclusive).',
    ]);
    expect(items[1]!.className).toBe('bad');
  });
});
