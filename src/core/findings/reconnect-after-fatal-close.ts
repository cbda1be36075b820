import type { FindingRule } from './types.ts';

/**
 * Close codes after which retrying cannot help: RFC 6455 §7.4.1 protocol
 * errors and policy violation, and graphql-ws 6.4 (dist/client.js
 * shouldRetryConnectOrThrow, dist/common CloseCode) auth and request errors.
 */
export const FATAL_CLOSE_CODES: ReadonlySet<number> = new Set([1002, 1003, 1007, 1008, 1009, 1010, 4400, 4401, 4403, 4406, 4409]);
const AUTH_REASON = /auth|unauthori[sz]ed|forbidden|denied|token|credential|login|expired/i;

/** Whether a close means "don't retry". */
export function isFatalClose(code: number, reason: string): boolean {
  return FATAL_CLOSE_CODES.has(code) || (code >= 4000 && code <= 4999 && AUTH_REASON.test(reason));
}

/** Reconnecting after the server said the request itself is refused. */
export const retryAfterFatalClose: FindingRule = {
  code: 'reconnect-after-fatal-close',
  title: 'Reconnect after a "don\'t retry" close',
  severity: 'error',
  description: 'Policy-violation (1008), protocol errors and 4xxx auth closes will not succeed on retry.',
  check({ reconnects }) {
    const bad = reconnects.reconnects.filter((r) => r.closeCode !== null && isFatalClose(r.closeCode, r.closeReason));
    if (bad.length === 0) return null;
    const first = bad[0]!;
    return {
      severity: 'error',
      code: this.code,
      message: `Reconnected ${bad.length} time${bad.length === 1 ? '' : 's'} after close ${first.closeCode}${first.closeReason ? ` ("${first.closeReason.slice(0, 80)}")` : ''}, which retrying cannot fix.`,
      evidence: { count: bad.length, closeCode: first.closeCode, reason: first.closeReason.slice(0, 120) },
      advice: 'Stop retrying on policy/auth close codes: refresh credentials or surface the error first (graphql-ws throws on 4400/4401 instead of retrying).',
    };
  },
};
