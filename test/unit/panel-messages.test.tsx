// @vitest-environment happy-dom
import { afterEach, describe, expect, test } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/preact';
import { Analyzer } from '../../src/core/index.ts';
import { MessageList } from '../../src/panel/components/MessageList.tsx';
import { KindBadge } from '../../src/panel/components/KindBadge.tsx';
import type { CaptureEvent } from '../../src/core/events.ts';
import { DEFAULT_FILTER, eventToRow, MessageIndex, rolesOf } from '../../src/panel/messages.ts';
import { hexLines, shownBytes } from '../../src/panel/components/HexView.tsx';
import { threeChannelCapture } from './panel-fixtures.ts';
import { CaptureBuilder, T0 } from './core-builders.ts';

afterEach(cleanup);

function wsRows(events: CaptureEvent[] = threeChannelCapture()) {
  const analyzer = new Analyzer();
  analyzer.ingest(events);
  const ch = analyzer.report().channels.find((c) => c.kind === 'websocket')!;
  const index = new MessageIndex(ch.protocol);
  index.update(analyzer.channelEvents(ch.id));
  index.applyRoles(rolesOf(analyzer.channelSeries(ch.id)!));
  return { index, rows: index.allRows(), origin: events[0]!.t };
}

function listed(): HTMLElement[] {
  return Array.from(document.querySelectorAll<HTMLElement>('.vrow'));
}

function renderList(window: [number, number] | null = null) {
  const { index, rows, origin } = wsRows();
  render(<MessageList index={index} version={1} origin={origin} window={window} onClearWindow={() => {}} />);
  return rows;
}

describe('WebTransport rows', () => {
  test('a session, its streams, bytes and datagrams each have a row; the badge names the transport', () => {
    const base = { pseq: 0, frameId: 0, doc: 'd', conn: 'd:wt1' };
    const text = (data: string) => ({ size: data.length, encoding: 'text' as const, data, truncated: false });
    const events: CaptureEvent[] = [
      { ...base, seq: 1, t: T0, type: 'wt.create', url: 'https://h.test/wt' },
      { ...base, seq: 2, t: T0 + 1, type: 'wt.ready', protocol: '' },
      { ...base, seq: 3, t: T0 + 2, type: 'wt.stream', stream: 1, bidi: true, initiator: 'client' },
      { ...base, seq: 4, t: T0 + 3, type: 'wt.data', stream: 1, dir: 'out', data: text('hello') },
      { ...base, seq: 5, t: T0 + 4, type: 'wt.datagram', dir: 'in', data: text('tick') },
      { ...base, seq: 6, t: T0 + 5, type: 'wt.stream.end', stream: 1, dir: 'out', how: 'end', message: '' },
      { ...base, seq: 7, t: T0 + 6, type: 'wt.close', code: 0, reason: 'done', initiator: 'client' },
      { ...base, seq: 8, t: T0 + 7, type: 'wt.error', name: 'WebTransportError', message: 'Opening handshake failed.', source: 'session' },
    ];
    const rows = events.map((e) => eventToRow(e));
    expect(rows.every((r) => r !== null)).toBe(true);
    expect(rows.map((r) => r!.label ?? r!.extra)).toEqual([
      'connect (WebTransport)',
      'ready',
      'stream 1 opened by the page (bidirectional)',
      'stream 1',
      'datagram',
      'stream 1 sending side: end',
      'close 0 "done" by the page',
      'failed: WebTransportError Opening handshake failed.',
    ]);
    expect(rows[3]).toMatchObject({ dir: 'out', size: 5, kind: 'data' });
    expect(rows[4]).toMatchObject({ dir: 'in', size: 4, kind: 'data' });
    render(<KindBadge kind="websocket" transport="webtransport" />);
    expect(screen.getByText('WebTransport')).toBeTruthy();
  });
});

describe('close rows', () => {
  test('say who closed: the page, the server, or nobody (1006: the connection ended without a close frame)', () => {
    const b = new CaptureBuilder();
    const c = b.wsCreate(T0, 'wss://x.example/ws');
    b.wsClose(T0 + 1, c, 1000, 'bye', 'client');
    b.wsClose(T0 + 2, c, 4001, 'kicked', 'server');
    b.wsClose(T0 + 3, c, 1006, '', 'server');
    const labels = b.events.filter((e) => e.type === 'ws.close').map((e) => eventToRow(e)!.label);
    expect(labels).toEqual(['close 1000 "bye" by the page', 'close 4001 "kicked" by the server', 'close 1006 (abnormal: no close frame)']);
  });
});

describe('message list', () => {
  test('lists every frame and state change of the channel with direction, time, size and label', () => {
    const rows = renderList();
    // ws.create, ws.open, 3 handshake frames, 4 x (ping, pong, chat), 1 binary, ws.close
    expect(rows).toHaveLength(2 + 3 + 12 + 1 + 1);
    expect(screen.getByTestId('message-count').textContent).toBe(`${rows.length} / ${rows.length}`);
    const chat = listed().find((r) => r.textContent!.includes('hello 0') || r.textContent!.includes('chat'));
    expect(chat).toBeTruthy();
    expect(listed().some((r) => r.textContent!.includes('close 4001'))).toBe(true);
  });

  test('one click hides heartbeats (the engine.io pings and pongs)', () => {
    const rows = renderList();
    const beats = rows.filter((r) => r.kind === 'heartbeat').length;
    expect(beats).toBe(8);
    fireEvent.click(screen.getByText('Hide heartbeats'));
    expect(screen.getByTestId('message-count').textContent).toBe(`${rows.length - beats} / ${rows.length}`);
    expect(listed().some((r) => r.classList.contains('kind-heartbeat'))).toBe(false);
    fireEvent.click(screen.getByText('Hide heartbeats'));
    expect(screen.getByTestId('message-count').textContent).toBe(`${rows.length} / ${rows.length}`);
  });

  test('direction filter keeps only the checked directions', () => {
    const rows = renderList();
    fireEvent.click(screen.getByLabelText('↑ out'));
    const shown = listed();
    expect(shown.length).toBe(rows.filter((r) => r.dir !== 'out').length);
    expect(shown.some((r) => r.classList.contains('dir-out'))).toBe(false);
  });

  test('regex search filters labels and payloads; an invalid pattern shows an error instead of crashing', () => {
    const rows = renderList();
    const box = screen.getByLabelText('Filter messages by regular expression');
    fireEvent.input(box, { target: { value: 'hello [23]' } });
    expect(listed()).toHaveLength(2);
    fireEvent.input(box, { target: { value: 'hello [' } });
    expect(screen.getByRole('alert').textContent).toContain('Invalid regular expression');
    expect(box.getAttribute('aria-invalid')).toBe('true');
    expect(listed()).toHaveLength(rows.length);
  });

  test('the brushed timeline window limits the list', () => {
    const { index, rows, origin } = wsRows();
    const from = origin + 49_000;
    const to = origin + 76_000;
    render(<MessageList index={index} version={1} origin={origin} window={[from, to]} onClearWindow={() => {}} />);
    expect(listed()).toHaveLength(rows.filter((r) => r.t >= from && r.t <= to).length);
    expect(document.body.textContent).toContain('brushed on the timeline');
  });

  test('a JSON message opens as a collapsible tree, as text on request', () => {
    renderList();
    fireEvent.input(screen.getByLabelText('Filter messages by regular expression'), { target: { value: 'hello 1' } });
    fireEvent.click(listed()[0]!);
    const view = screen.getByTestId('message-view');
    expect(view.querySelector('.json-tree')).toBeTruthy();
    expect(view.textContent).toContain('"alice"');
    const toggles = view.querySelectorAll('.json-toggle');
    expect(toggles.length).toBeGreaterThan(1);
    fireEvent.click(toggles[0]!);
    expect(view.textContent).not.toContain('"alice"');
    fireEvent.click(screen.getByText('Text'));
    expect(screen.getByTestId('text-view').textContent).toBe('42["chat",{"from":"alice","text":"hello 1"}]');
  });

  test('the view mode chosen for the selected message stays through live updates of the list', () => {
    const events = threeChannelCapture();
    const cut = events.length - 4;
    const { index, origin } = wsRows(events.slice(0, cut));
    const { rerender } = render(<MessageList index={index} version={1} origin={origin} window={null} onClearWindow={() => {}} />);
    fireEvent.input(screen.getByLabelText('Filter messages by regular expression'), { target: { value: 'hello 1' } });
    fireEvent.click(listed()[0]!);
    fireEvent.click(screen.getByText('Text'));
    // More events arrive: the index grows in place, and the list renders again.
    const analyzer = new Analyzer();
    analyzer.ingest(events);
    index.update(analyzer.channelEvents(analyzer.report().channels.find((c) => c.kind === 'websocket')!.id));
    rerender(<MessageList index={index} version={2} origin={origin} window={null} onClearWindow={() => {}} />);
    expect(screen.getByTestId('text-view').textContent).toBe('42["chat",{"from":"alice","text":"hello 1"}]');
  });

  test('another message selected gets its own view mode, also when the two share a seq (an imported file)', () => {
    const events = threeChannelCapture().map((e) => ({ ...e, seq: 0 }));
    const { index, origin } = wsRows(events);
    render(<MessageList index={index} version={1} origin={origin} window={null} onClearWindow={() => {}} />);
    const box = screen.getByLabelText('Filter messages by regular expression');
    fireEvent.input(box, { target: { value: 'hello [12]' } });
    expect(listed()).toHaveLength(2);
    fireEvent.click(listed()[0]!);
    fireEvent.click(screen.getByText('Text'));
    expect(screen.getByTestId('text-view').textContent).toContain('hello 1');
    fireEvent.click(listed()[1]!);
    expect(screen.getByTestId('message-view').querySelector('.json-tree')).toBeTruthy();
    expect(screen.queryByTestId('text-view')).toBeNull();
  });

  test('the selected message stays selected when older ones are evicted, and the selection ends when it is evicted itself', () => {
    const analyzer = new Analyzer();
    analyzer.ingest(threeChannelCapture());
    const all = analyzer.channelEvents(analyzer.report().channels.find((c) => c.kind === 'websocket')!.id);
    const index = new MessageIndex('socket.io');
    index.update(all);
    const origin = all[0]!.t;
    const { rerender } = render(<MessageList index={index} version={1} origin={origin} window={null} onClearWindow={() => {}} />);
    fireEvent.input(screen.getByLabelText('Filter messages by regular expression'), { target: { value: 'hello 2' } });
    fireEvent.click(listed()[0]!);
    const before = Number(document.querySelector('.vrow.selected')!.getAttribute('data-row'));
    // The oldest events (the connection's handshake frames) are let go: every row index shifts.
    const hello2 = all.find((e) => e.type === 'ws.message' && e.data.data.includes('hello 2'))!;
    index.update(all.slice(3));
    rerender(<MessageList index={index} version={2} origin={origin} window={null} onClearWindow={() => {}} />);
    const selectedRow = document.querySelector('.vrow.selected')!;
    expect(Number(selectedRow.getAttribute('data-row'))).toBe(before - 3);
    expect(screen.getByTestId('message-view').textContent).toContain('hello 2');
    // Then the selected message itself goes.
    index.update(all.slice(all.indexOf(hello2) + 1));
    rerender(<MessageList index={index} version={3} origin={origin} window={null} onClearWindow={() => {}} />);
    expect(document.querySelector('.vrow.selected')).toBeNull();
    expect(document.body.textContent).toContain('Select a message to see its payload.');
  });

  test('a message sampled under a flood says so, a truncated one says truncated', () => {
    const events = threeChannelCapture();
    const texts = events.filter((e): e is Extract<CaptureEvent, { type: 'ws.message' }> => e.type === 'ws.message' && e.data.encoding === 'text');
    texts[0]!.data = { ...texts[0]!.data, data: texts[0]!.data.data.slice(0, 3), truncated: true, sampled: true };
    texts[1]!.data = { ...texts[1]!.data, data: texts[1]!.data.data.slice(0, 3), truncated: true };
    const { index, rows, origin } = wsRows(events);
    render(<MessageList index={index} version={1} origin={origin} window={null} onClearWindow={() => {}} />);
    const rowOf = (e: CaptureEvent) => rows.findIndex((r) => r.event === e);
    fireEvent.click(document.querySelector(`.vrow[data-row="${rowOf(texts[0]!)}"]`)!);
    expect(screen.getByTestId('message-view').textContent).toContain('(sampled under a flood: first bytes only)');
    fireEvent.click(document.querySelector(`.vrow[data-row="${rowOf(texts[1]!)}"]`)!);
    expect(screen.getByTestId('message-view').textContent).toContain('(truncated in capture)');
    expect(screen.getByTestId('message-view').textContent).not.toContain('sampled');
  });

  test('a binary frame opens as hex', () => {
    const rows = renderList();
    const binary = rows.findIndex((r) => r.payload?.encoding === 'binary');
    fireEvent.click(document.querySelector(`.vrow[data-row="${binary}"]`)!);
    expect(screen.getByTestId('hex').textContent).toBe('00000000  01 02 41 42                                      ..AB');
  });

  test('arrow keys move the selection', () => {
    renderList();
    const list = screen.getByRole('listbox');
    fireEvent.keyDown(list, { key: 'ArrowDown' });
    fireEvent.keyDown(list, { key: 'ArrowDown' });
    const selected = listed().filter((r) => r.getAttribute('aria-selected') === 'true');
    expect(selected).toHaveLength(1);
    expect(selected[0]!.dataset.row).toBe('1');
  });

  test('page text is rendered as text, never as markup', () => {
    const events = threeChannelCapture();
    const message = events.find((e) => e.type === 'ws.message' && e.dir === 'in' && e.data.encoding === 'text')!;
    if (message.type === 'ws.message') message.data = { ...message.data, data: '<img src=x onerror="globalThis.__pwned=1">' };
    const close = events.find((e) => e.type === 'ws.close')!;
    if (close.type === 'ws.close') close.reason = '<b>bold</b>';
    const { index, rows, origin } = wsRows(events);
    render(<MessageList index={index} version={2} origin={origin} window={null} onClearWindow={() => {}} />);
    expect(listed().some((r) => r.textContent!.includes('"<b>bold</b>"'))).toBe(true);
    fireEvent.click(document.querySelector(`.vrow[data-row="${rows.findIndex((r) => r.seq === message.seq)}"]`)!);
    expect(document.querySelector('img')).toBeNull();
    expect(document.querySelector('b')).toBeNull();
    expect(screen.getByTestId('text-view').textContent).toContain('<img src=x');
  });

  test('hex helpers dump text as UTF-8', () => {
    expect(hexLines(shownBytes({ size: 2, encoding: 'text', data: 'é', truncated: false }))).toEqual(['00000000  c3 a9                                            ..']);
  });
});

describe('message index', () => {
  test('a window whose ends fall exactly on message times keeps those messages (binary search bounds)', () => {
    const { index, rows } = wsRows();
    const times = [...new Set(rows.map((r) => r.t))];
    const [from, to] = [times[3]!, times[times.length - 3]!];
    const shown = index.filter({ ...DEFAULT_FILTER, window: [from, to] });
    expect(shown).toEqual(rows.flatMap((r, i) => (r.t >= from && r.t <= to ? [i] : [])));
    expect(shown.length).toBeGreaterThan(0);
  });

  test('roles from a newer analysis replace the older ones (a message no longer judged a heartbeat is data again)', () => {
    const { rows } = wsRows();
    const index = new MessageIndex(null);
    const events = threeChannelCapture();
    const analyzer = new Analyzer();
    analyzer.ingest(events);
    const ws = analyzer.report().channels.find((c) => c.kind === 'websocket')!.id;
    index.update(analyzer.channelEvents(ws));
    const roles = rolesOf(analyzer.channelSeries(ws)!);
    index.applyRoles(roles);
    expect(index.allRows().map((r) => r.kind)).toEqual(rows.map((r) => r.kind));
    const [firstBeat] = [...roles.in.keys()].sort((a, b) => a - b);
    roles.in.delete(firstBeat!);
    index.applyRoles(roles);
    const changed = index.allRows().flatMap((r, i) => (r.kind !== rows[i]!.kind ? [r] : []));
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatchObject({ t: firstBeat, dir: 'in', kind: 'data' });
  });

  test('after an eviction the rows are those of the events left, reused (with their labels), and new events get rows after them', () => {
    const analyzer = new Analyzer();
    const events = threeChannelCapture();
    analyzer.ingest(events);
    const ws = analyzer.report().channels.find((c) => c.kind === 'websocket')!.id;
    const all = analyzer.channelEvents(ws);
    expect(all.length).toBeGreaterThan(12);
    const index = new MessageIndex(null);
    const first = all.slice(0, all.length - 3);
    index.update(first);
    // Decode the payload labels of the even rows only: a reused row keeps its decoded label, the others are decoded when shown.
    const rowSeqs = (events: readonly CaptureEvent[]) => events.flatMap((e) => (eventToRow(e) ? [e.seq] : []));
    const eager = new Set(all.flatMap((e) => (eventToRow(e)?.label != null ? [e.seq] : [])));
    const decoded = new Set(rowSeqs(first).filter((_, i) => i % 2 === 0 && index.label(i) !== ''));
    // The two oldest events stay (an eviction keeps a connection's creation and open), the next five are gone, three arrive.
    const next = [...all.slice(0, 2), ...all.slice(7)];
    expect(index.update(next)).toBe(true);
    const fresh = new MessageIndex(null);
    fresh.update(next);
    const seqs = rowSeqs(next);
    expect(seqs.map((_, i) => index.labelled(i))).toEqual(seqs.map((seq) => decoded.has(seq) || eager.has(seq)));
    expect(decoded.size).toBeGreaterThan(2);
    expect(index.allRows()).toEqual(fresh.allRows());
    // And again, with nothing new: the same rows.
    const again = next.slice(1);
    index.update(again);
    fresh.update(again);
    expect(index.allRows().map((r) => r.seq)).toEqual(again.flatMap((e) => (eventToRow(e) ? [e.seq] : [])));
  });

  test('rows stay those of the events given through any mix of evictions, appends and late events', () => {
    const analyzer = new Analyzer();
    const events = threeChannelCapture();
    analyzer.ingest(events);
    const all = events.filter((e) => e.type !== 'doc.start');
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const index = new MessageIndex(null);
    let shown: typeof all = all.slice(0, 10);
    let next = 10;
    for (let step = 0; step < 60 && next < all.length; step++) {
      const op = random(3);
      if (op === 0 && shown.length > 6) {
        // Evict a block after the first kept events.
        const keep = random(3);
        shown = [...shown.slice(0, keep), ...shown.slice(keep + 1 + random(shown.length - keep - 2))];
      } else if (op === 1) {
        const at = shown.length - random(Math.min(3, shown.length));
        shown = [...shown.slice(0, at), all[next++]!, ...shown.slice(at)];
      } else {
        const count = 1 + random(4);
        shown = [...shown, ...all.slice(next, next + count)];
        next = Math.min(all.length, next + count);
      }
      index.update(shown);
      expect(index.allRows().map((r) => r.seq)).toEqual(shown.flatMap((e) => (eventToRow(e) ? [e.seq] : [])));
    }
  });

  test('a late event sorted in before the indexed ones re-indexes the rows in time order', () => {
    const analyzer = new Analyzer();
    const events = threeChannelCapture();
    analyzer.ingest(events);
    const ws = analyzer.report().channels.find((c) => c.kind === 'websocket')!.id;
    const all = analyzer.channelEvents(ws);
    const late = all[5]!;
    const index = new MessageIndex(null);
    index.update(all.filter((e) => e !== late));
    index.update(all);
    expect(index.allRows().map((r) => r.seq)).toEqual(all.flatMap((e) => (eventToRow(e) ? [e.seq] : [])));
  });
});
