import type { FindingRule } from './types.ts';

/**
 * WebTransport sessions whose `closed` promise rejected: before `ready` (the HTTP/3 handshake
 * failed: no server on UDP, a certificate the browser refuses, UDP blocked on the path) or later
 * (the session was cut). The browser's error is the only detail a page gets, so it is quoted.
 */
export const webtransportFailed: FindingRule = {
  code: 'webtransport-failed',
  title: 'WebTransport session fails',
  severity: 'warning',
  description: 'WebTransport runs over HTTP/3 (QUIC, UDP): a server without HTTP/3, a refused certificate or a network that blocks UDP makes every session fail.',
  check({ ctx }) {
    if (ctx.transport !== 'webtransport') return null;
    const failed = ctx.records.filter((r) => r.endKind === 'error');
    if (failed.length === 0) return null;
    const beforeReady = failed.filter((r) => r.openAt === null).length;
    const neverReady = ctx.records.every((r) => r.openAt === null);
    const errors = [...new Set(failed.map((r) => r.errorReason ?? 'error'))];
    const n = ctx.records.length;
    const of = `${failed.length} of ${n} WebTransport session${n === 1 ? '' : 's'} failed`;
    const when = beforeReady === failed.length ? ' before ready' : beforeReady === 0 ? ' after ready' : ` (${beforeReady} before ready)`;
    return {
      severity: neverReady ? 'warning' : 'info',
      code: this.code,
      message: `${of}${when}: ${errors.slice(0, 3).join('; ')}${errors.length > 3 ? ` (and ${errors.length - 3} more)` : ''}.`,
      evidence: { failed: failed.length, sessions: n, beforeReady, neverReady, errors: errors.slice(0, 3).join('; ') },
      advice: neverReady
        ? 'Check that the server answers HTTP/3 on UDP at that port with a certificate the browser accepts (or pass serverCertificateHashes), and that no firewall drops UDP; keep a WebSocket fallback for networks where QUIC is blocked.'
        : 'Sessions that failed after others were ready found the server down, restarting or cutting them: reconnect with backoff and jitter, and keep a WebSocket fallback for networks where QUIC is blocked.',
    };
  },
};
