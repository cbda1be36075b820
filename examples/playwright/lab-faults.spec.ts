import { expect, test } from 'realtime-inspector/playwright';
import { labPage } from './lab.ts';

test('socket.io recovers from 3 s offline', async ({ page, rt }) => {
  await page.goto(labPage('socketio', 'socketio-ws'));
  await expect(rt).toHaveChannel({ url: /socket\.io/, kind: 'websocket' });
  // The page's sockets drop, and every new connection fails until the window ends.
  await rt.fault('offline', { for: 3_000 });
  await expect(rt).toHaveReconnected({ url: /socket\.io/, timeout: 20_000 });
  // Recovered: a WebSocket opened after the outage ended.
  await expect
    .poll(
      () => {
        const events = rt.events();
        const end = events.find((e) => e.type === 'fault' && e.fault === 'offline' && e.phase === 'end');
        return end !== undefined && events.some((e) => e.type === 'ws.open' && e.t > end.t);
      },
      { timeout: 20_000, message: 'a WebSocket opened after the offline window' },
    )
    .toBe(true);
});
