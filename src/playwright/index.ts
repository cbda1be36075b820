/**
 * `realtime-inspector/playwright`: record and judge a web app's real-time layer
 * from a Playwright test. README.md, section "Playwright", shows a whole test.
 *
 *   import { test, expect } from 'realtime-inspector/playwright';
 *   test('prices stream', async ({ page, rt }) => {
 *     await page.goto('/');
 *     await expect(rt).toHaveChannel({ url: /socket.io/, kind: 'websocket' });
 *   });
 *
 * Or on a page or context of your own: `const rt = await attach(page)`, then
 * `await rt.report()`, `rt.events()`, `await rt.fault('offline', { for: 20_000 })`.
 */
export { attach } from './recorder.ts';
export type { AttachOptions, RealtimeInspector } from './recorder.ts';
export type { FaultName, FaultOptions, Target } from './faults.ts';
export { expect, realtimeMatchers, test } from './expect.ts';
export type { RealtimeFixtures } from './expect.ts';
export type { ChannelQuery } from './matchers.ts';
export type { UrlMatcher } from './url-matcher.ts';
export type { BackoffModel, CaptureEvent, CaptureFile, ChannelKind, ChannelReport, Finding, Report, Severity } from '../core/index.ts';
