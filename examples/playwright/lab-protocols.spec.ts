import { expect, test } from 'realtime-inspector/playwright';
import { labPage } from './lab.ts';

test('socket.io upgrades to a WebSocket that heartbeats', async ({ page, rt }) => {
  await page.goto(labPage('socketio', 'socketio-ws'));
  await expect(rt).toHaveChannel({ url: /socket\.io/, kind: 'websocket', protocol: 'socket.io' });
  // engine.io pings every 25 s (5 s at the lab's scale): two pings make an interval.
  await expect(rt).toHaveHeartbeat({ url: /socket\.io/, atMost: 30_000, timeout: 30_000 });
  await expect(rt).toHaveNoFindings({ severity: 'error' });
});

test('graphql-ws subscription keeps its socket alive', async ({ page, rt }) => {
  await page.goto(labPage('graphql-ws', 'graphql-ws-keepalive'));
  await expect(rt).toHaveChannel({ url: '/graphql', kind: 'websocket', protocol: 'graphql-ws' });
  await expect(rt).toHaveHeartbeat({ url: '/graphql', atMost: 30_000, timeout: 20_000 });
  await expect(rt).toHaveNoFindings();
});

test('SSE feed resumes with Last-Event-ID', async ({ page, rt }) => {
  await page.goto(labPage('sse', 'sse-resume'));
  await expect(rt).toHaveChannel({ url: '/sse/feed', kind: 'sse', protocol: 'json' });
  // The server ends the stream every 20 s (4 s at the lab's scale); EventSource comes back.
  await expect(rt).toHaveReconnected({ url: '/sse/feed', timeout: 15_000 });
  // Among them: sse-missing-last-event-id, sse-retry-ignored, reconnect-without-backoff.
  await expect(rt).toHaveNoFindings({ url: '/sse/feed', severity: 'warning' });
});

test('held long-polls waste little', async ({ page, rt }) => {
  // Held for 1 s or more at the least: the analysis tells a long poll from a slow poll by that (lab/catalog.ts minScale).
  await page.goto(labPage('long-polling', 'longpoll-held', { scale: '0.5' }));
  await expect(rt).toHaveChannel({ url: '/api/longpoll', kind: 'long-polling' });
  await expect(rt).toHaveWaste({ url: '/api/longpoll', atMost: 0.2 });
});
