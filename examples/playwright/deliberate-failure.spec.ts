// A deliberately failing assertion: the README quotes its message, and
// test/e2e/playwright-examples.e2e.test.ts checks that it still fails with it.
import { expect, test } from 'realtime-inspector/playwright';
import { labPage } from './lab.ts';

test('socket.io forced to polling is no WebSocket', async ({ page, rt }) => {
  await page.goto(labPage('socketio', 'socketio-polling'));
  // Passes once the polls have shown what they are (however slow the machine).
  await expect(rt).toHaveChannel({ url: /socket\.io/, kind: 'long-polling' });
  // Fails: this client never upgrades.
  await expect(rt).toHaveChannel({ url: /socket\.io/, kind: 'websocket', timeout: 3_000 });
});
