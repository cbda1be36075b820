// @vitest-environment happy-dom
import { afterEach, describe, expect, test } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/preact';
import { App } from '../../src/panel/App.tsx';
import { PanelStore } from '../../src/panel/store.ts';
import { transfer } from '../../src/panel/transfer.ts';
import { SEVERITY_RANK, worstFinding } from '../../src/panel/format.ts';
import { threeChannelCapture } from './panel-fixtures.ts';

afterEach(cleanup);

function storeWith(events = threeChannelCapture()): PanelStore {
  const store = new PanelStore();
  store.showImported('fixture.json', events);
  return store;
}

function rows(): HTMLElement[] {
  return Array.from(document.querySelectorAll<HTMLElement>('.overview-table tbody tr'));
}

describe('overview', () => {
  test('empty capture says how to get data', () => {
    render(<App store={new PanelStore()} live={null} theme="light" transfer={transfer} />);
    expect(screen.getByText('No real-time traffic captured yet')).toBeTruthy();
    expect(document.body.textContent).toContain('Reload the page to capture from the start');
    expect(rows()).toHaveLength(0);
  });

  test('one row per channel with its kind, sorted by severity by default', () => {
    const store = storeWith();
    render(<App store={store} live={null} theme="light" transfer={transfer} />);
    const report = store.report();
    expect(rows()).toHaveLength(report.channels.length);
    const kinds = rows().map((r) => r.querySelector('[data-kind]')!.getAttribute('data-kind'));
    expect(new Set(kinds)).toEqual(new Set(['polling', 'websocket', 'sse']));
    const ranks = rows().map((r) => {
      const ch = report.channels.find((c) => c.id === r.dataset.channel)!;
      const w = worstFinding(ch);
      return w ? SEVERITY_RANK[w.severity] : 0;
    });
    expect(ranks).toEqual([...ranks].sort((a, b) => b - a));
    expect(screen.getByTestId('total-requests').textContent).toBe(String(report.summary.requests));
  });

  test('column headers sort both ways', () => {
    render(<App store={storeWith()} live={null} theme="light" transfer={transfer} />);
    const urls = () => rows().map((r) => r.querySelector('.col-endpoint')!.getAttribute('title')!);
    fireEvent.click(document.querySelector('th[data-sort="endpoint"]')!);
    expect(urls()).toEqual([...urls()].sort());
    fireEvent.click(document.querySelector('th[data-sort="endpoint"]')!);
    expect(urls()).toEqual([...urls()].sort().reverse());
    expect(document.querySelector('th[data-sort="endpoint"]')!.getAttribute('aria-sort')).toBe('descending');
  });

  test('filters by kind, protocol and URL text, with an empty state when nothing matches', () => {
    const store = storeWith();
    render(<App store={store} live={null} theme="light" transfer={transfer} />);
    fireEvent.change(screen.getByLabelText('Filter by kind'), { target: { value: 'websocket' } });
    expect(rows()).toHaveLength(1);
    expect(rows()[0]!.querySelector('[data-kind]')!.getAttribute('data-kind')).toBe('websocket');
    fireEvent.change(screen.getByLabelText('Filter by kind'), { target: { value: '' } });
    const protocolSelect = screen.getByLabelText('Filter by protocol') as HTMLSelectElement;
    const protocol = Array.from(protocolSelect.options).map((o) => o.value).find((v) => v !== '')!;
    fireEvent.change(protocolSelect, { target: { value: protocol } });
    const expected = store.report().channels.filter((c) => (c.protocol ?? '(none)') === protocol).length;
    expect(expected).toBeGreaterThan(0);
    expect(rows()).toHaveLength(expected);
    fireEvent.change(screen.getByLabelText('Filter by protocol'), { target: { value: '' } });
    fireEvent.input(screen.getByLabelText('Filter channels by URL'), { target: { value: '/API/POLL' } });
    expect(rows()).toHaveLength(1);
    expect(rows()[0]!.textContent).toContain('/api/poll');
    fireEvent.input(screen.getByLabelText('Filter channels by URL'), { target: { value: 'nothing-like-this' } });
    expect(rows()).toHaveLength(0);
    expect(screen.getByText('No channel matches the filters')).toBeTruthy();
  });

  test('keyboard: / focuses search, arrows select, Enter opens, Esc returns', () => {
    render(<App store={storeWith()} live={null} theme="light" transfer={transfer} />);
    fireEvent.keyDown(document.body, { key: '/' });
    expect(document.activeElement?.id).toBe('overview-search');
    const table = document.querySelector('.overview-table') as HTMLElement;
    fireEvent.keyDown(table, { key: 'ArrowDown' });
    fireEvent.keyDown(table, { key: 'ArrowDown' });
    const selected = rows().filter((r) => r.classList.contains('selected'));
    expect(selected).toHaveLength(1);
    expect(selected[0]).toBe(rows()[1]);
    const id = selected[0]!.dataset.channel!;
    const rowUrl = selected[0]!.querySelector('.col-endpoint')!.getAttribute('title');
    fireEvent.keyDown(table, { key: 'Enter' });
    expect(document.querySelector('.detail')).toBeTruthy();
    expect(document.querySelector('.detail-url')!.textContent).toBe(rowUrl);
    fireEvent.keyDown(document.body, { key: 'Escape' });
    expect(document.querySelector('.detail')).toBeNull();
    expect(rows().find((r) => r.classList.contains('selected'))!.dataset.channel).toBe(id);
  });

  test('projected load follows the user count', () => {
    const store = storeWith();
    render(<App store={store} live={null} theme="light" transfer={transfer} />);
    const before = store.report().summary.projectedRequestsPerSecond;
    fireEvent.change(screen.getByLabelText('Users for the load projection'), { target: { value: '10000' } });
    const after = store.report().summary.projectedRequestsPerSecond;
    expect(store.report().summary.users).toBe(10000);
    expect(after).toBeCloseTo(before * 10, 3);
    expect(screen.getByTestId('projected-load').textContent).not.toBe('');
    // What the number is: polling requests (push channels are not in it).
    expect(screen.getByTestId('projected-load').parentElement!.textContent).toMatch(/polling requests for/);
  });

  test('dropped events are shown only when some were dropped', () => {
    const store = storeWith();
    render(<App store={store} live={null} theme="light" transfer={transfer} />);
    expect(screen.queryByTestId('dropped')).toBeNull();
    cleanup();
    const events = threeChannelCapture();
    const last = events[events.length - 1]!;
    events.push({ seq: last.seq + 1, pseq: 999, t: last.t + 1, frameId: 0, doc: 'doc1', type: 'capture.dropped', count: 42, where: 'background' });
    render(<App store={storeWith(events)} live={null} theme="light" transfer={transfer} />);
    expect(screen.getByTestId('dropped').textContent).toContain('42');
  });

  test('messages sampled under a flood are counted in the report and said in the summary, only when some were', () => {
    const store = storeWith();
    render(<App store={store} live={null} theme="light" transfer={transfer} />);
    expect(screen.queryByTestId('sampled')).toBeNull();
    expect(store.report().summary.sampledMessages).toBeUndefined();
    cleanup();
    const events = threeChannelCapture();
    let sampled = 0;
    for (const e of events) {
      if (e.type === 'ws.message' && e.dir === 'in' && sampled < 3) {
        e.data = { ...e.data, data: e.data.data.slice(0, 2), truncated: true, sampled: true };
        sampled++;
      }
    }
    expect(sampled).toBe(3);
    const flooded = storeWith(events);
    render(<App store={flooded} live={null} theme="light" transfer={transfer} />);
    expect(flooded.report().summary.sampledMessages).toBe(3);
    expect(screen.getByTestId('sampled').textContent).toMatch(/3.*sampled under a flood/);
  });
});
