// @vitest-environment happy-dom
/**
 * The grouping learns session tokens as requests come (core/channels.ts EndpointGrouper):
 * a channel opened while its URL still had a literal token joins the folded channel once
 * a second session shows. The open detail follows it instead of closing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { cleanup, fireEvent, render, waitFor } from '@testing-library/preact';
import { App } from '../../src/panel/App.tsx';
import { PanelStore } from '../../src/panel/store.ts';
import { transfer } from '../../src/panel/transfer.ts';
import { successorChannel } from '../../src/core/index.ts';
import { CaptureBuilder, T0 } from './core-builders.ts';

afterEach(cleanup);

/** SockJS-like sessions (8 lowercase letters, sockjs-client 1.6 random.string(8)): polled `polls` times each. */
function sessions(tokens: string[], polls: number, from = 0) {
  const b = new CaptureBuilder();
  let at = T0 + from;
  for (const token of tokens) {
    for (let i = 0; i < polls; i++) {
      b.http({ at, transport: 'xhr', url: `https://app.example/live/${token}/poll`, durationMs: 900, body: '[]' });
      at += 1000;
    }
  }
  return b.sorted();
}

describe('successorChannel', () => {
  it('finds the one channel whose placeholders cover the old id, nothing when none or several do', () => {
    const ids = ['xhr GET https://a.example/live/:token/poll', 'websocket wss://a.example/hub?id=:token&v=1', 'fetch GET https://a.example/api/:n'];
    expect(successorChannel('xhr GET https://a.example/live/qwertyui/poll', ids)).toBe(ids[0]);
    expect(successorChannel('websocket wss://a.example/hub?id=Zk3x&v=1', ids)).toBe(ids[1]);
    // Another scope, another length, another fixed part: not the same channel.
    expect(successorChannel('fetch POST https://a.example/live/qwertyui/poll', ids)).toBeNull();
    expect(successorChannel('xhr GET https://a.example/live/qwertyui/poll/x', ids)).toBeNull();
    expect(successorChannel('websocket wss://a.example/hub?id=Zk3x&v=2', ids)).toBeNull();
    expect(successorChannel('fetch GET https://a.example/api/:n', ids)).toBe(ids[2]);
    expect(successorChannel('fetch GET https://a.example/api/7', [...ids, 'fetch GET https://a.example/:token/7'])).toBeNull();
  });

  it('a folded id always covers the literal ids it was folded from', () => {
    const segment = fc.stringMatching(/^[a-z]{1,10}$/);
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 6 }), fc.nat(), fc.constantFrom(':token', ':n', ':uuid', ':hash'), (segments, pick, placeholder) => {
        const at = pick % segments.length;
        const literal = `xhr GET https://h.example/${segments.join('/')}`;
        const folded = `xhr GET https://h.example/${segments.map((s, i) => (i === at ? placeholder : s)).join('/')}`;
        expect(successorChannel(literal, ['websocket wss://h.example/x', folded])).toBe(folded);
      }),
    );
  });
});

describe('the open channel detail', () => {
  it('follows its channel when the grouping folds the token of its URL', async () => {
    const store = new PanelStore();
    store.appendLive(sessions(['qwertyui'], 3));
    await store.analyzed();
    const first = store.report().channels;
    expect(first.map((c) => c.url)).toEqual(['https://app.example/live/qwertyui/poll']);
    render(<App store={store} live={null} theme="light" transfer={transfer} />);
    fireEvent.dblClick(document.querySelector('.overview-table tbody tr')!);
    await waitFor(() => expect(document.querySelector('.detail-url')?.textContent).toBe('https://app.example/live/qwertyui/poll'));

    // A second and third session: the position is learnt to carry one token after another.
    store.appendLive(sessions(['asdfghjk', 'zxcvbnmq'], 3, 3000));
    await store.analyzed();
    expect(store.report().channels.map((c) => c.url)).toEqual(['https://app.example/live/:token/poll']);
    await waitFor(() => expect(document.querySelector('.detail-url')?.textContent).toBe('https://app.example/live/:token/poll'));
    // The store prepares the new channel's view (it was told which channel is open).
    const id = store.report().channels[0]!.id;
    await waitFor(() => expect(store.channelView(id)).not.toBeNull());
  });
});
