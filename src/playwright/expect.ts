/**
 * Playwright Test integration: the matchers for `expect.extend`, an `expect` that
 * has them, and a `test` whose `rt` fixture records the test's page from its
 * first document. Matchers retry until they pass or the expect timeout runs out,
 * as Playwright's web-first assertions do, judging a fresh report each time.
 */
import { expect as baseExpect, test as baseTest } from '@playwright/test';
import type { ExpectMatcherState, MatcherReturnType } from '@playwright/test';
import type { BackoffModel, Report } from '../core/index.ts';
import {
  checkBackoff,
  checkChannel,
  checkHeartbeat,
  checkNoFindings,
  checkReconnected,
  checkWaste,
  failureMessage,
  type ChannelQuery,
  type Check,
  type Scoped,
} from './matchers.ts';
import { attach, type AttachOptions, type RealtimeInspector } from './recorder.ts';

/** Every matcher also takes a timeout (default: the expect timeout of the config). */
interface Timed {
  timeout?: number;
}

/** Between two reports while a matcher retries. */
const RETRY_MS = 250;

async function judge(
  state: ExpectMatcherState,
  rt: RealtimeInspector,
  matcher: string,
  timeout: number | undefined,
  check: (report: Report) => Check,
): Promise<MatcherReturnType> {
  if (!rt || typeof (rt as Partial<RealtimeInspector>).report !== 'function') {
    throw new TypeError(`expect(rt).${matcher}: rt must be what attach() returned (or the rt fixture), got ${String(rt)}`);
  }
  const timeoutMs = timeout ?? state.timeout;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const report = await rt.report();
    const result = check(report);
    if (result.pass !== state.isNot || Date.now() >= deadline) {
      return {
        pass: result.pass,
        name: matcher,
        expected: result.expected,
        actual: result.received,
        message: () => failureMessage(matcher, result, report, { isNot: state.isNot, timeoutMs }),
      };
    }
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
}

/** The matchers, for `expect.extend(realtimeMatchers)` on an expect of your own. */
export const realtimeMatchers = {
  /** A channel with this URL (substring or RegExp), kind and protocol was seen. */
  toHaveChannel(this: ExpectMatcherState, rt: RealtimeInspector, query: ChannelQuery & Timed = {}) {
    return judge(this, rt, 'toHaveChannel', query.timeout, (r) => checkChannel(r, query));
  },
  /** Every long-lived channel in scope heartbeats at most every `atMost` ms (`audit --assert heartbeat<=T`). */
  toHaveHeartbeat(this: ExpectMatcherState, rt: RealtimeInspector, options: Scoped & Timed & { atMost: number }) {
    return judge(this, rt, 'toHaveHeartbeat', options.timeout, (r) => checkHeartbeat(r, options));
  },
  /** Reconnects in scope follow `model` ('exponential', …) and have (or lack) jitter (`--assert backoff=…`, `jitter=…`). */
  toBackOff(this: ExpectMatcherState, rt: RealtimeInspector, options: Scoped & Timed & { model?: BackoffModel; jitter?: boolean }) {
    return judge(this, rt, 'toBackOff', options.timeout, (r) => checkBackoff(r, options));
  },
  /** Every polling channel in scope wastes at most `atMost` (a ratio: 20 % is 0.2) of its responses (`--assert waste<=R`). */
  toHaveWaste(this: ExpectMatcherState, rt: RealtimeInspector, options: Scoped & Timed & { atMost: number }) {
    return judge(this, rt, 'toHaveWaste', options.timeout, (r) => checkWaste(r, options));
  },
  /** A channel in scope reconnected at least `atLeast` times (default 1). */
  toHaveReconnected(this: ExpectMatcherState, rt: RealtimeInspector, options: Scoped & Timed & { atLeast?: number } = {}) {
    return judge(this, rt, 'toHaveReconnected', options.timeout, (r) => checkReconnected(r, options));
  },
  /** No finding at or above `severity` (default 'error') in scope (`audit --fail-on`). */
  toHaveNoFindings(this: ExpectMatcherState, rt: RealtimeInspector, options: Scoped & Timed & { severity?: 'error' | 'warning' } = {}) {
    return judge(this, rt, 'toHaveNoFindings', options.timeout, (r) => checkNoFindings(r, options));
  },
};

/** Playwright's expect with the real-time matchers. */
export const expect = baseExpect.extend(realtimeMatchers);

/** Options of the `rt` fixture: `test.use({ realtimeInspector: { users: 1000 } })`. */
export interface RealtimeFixtures {
  /** The recording of the test's `page`, attached before the test body runs. */
  rt: RealtimeInspector;
  realtimeInspector: AttachOptions;
}

/** Playwright's test with the `rt` fixture. */
export const test = baseTest.extend<RealtimeFixtures>({
  realtimeInspector: [{}, { option: true }],
  rt: async ({ page, realtimeInspector }, use, testInfo) => {
    const rt = await attach(page, realtimeInspector);
    await use(rt);
    // A failed test keeps its report as an attachment, for the HTML reporter and CI artifacts.
    if (testInfo.status !== testInfo.expectedStatus) {
      const report = await rt.report().catch(() => null);
      if (report) await testInfo.attach('realtime-report.json', { body: JSON.stringify(report, null, 2), contentType: 'application/json' });
    }
    await rt.detach();
  },
});
