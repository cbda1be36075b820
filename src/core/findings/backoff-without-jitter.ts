import type { FindingRule } from './types.ts';

/** Growing delays without randomisation: after a server restart every client retries in lock-step. */
export const noJitter: FindingRule = {
  code: 'backoff-without-jitter',
  title: 'Backoff without jitter',
  severity: 'warning',
  description: 'Deterministic delays make all clients that lost the same server reconnect at the same instants (thundering herd).',
  check({ reconnects }) {
    const b = reconnects.backoff;
    // Said only on evidence of determinism (src/core/metrics/backoff-determinism.ts): a fit
    // through a few randomised delays can look exact, so "not seen" is not "absent". A constant
    // delay, with or without jitter, is reconnect-without-backoff's to name.
    if (b === null || b.model === 'fixed' || !b.deterministic) return null;
    return {
      severity: 'warning',
      code: this.code,
      message: `Reconnect delays follow ${b.model === 'exponential' ? 'an' : 'a'} ${b.model} policy with no randomisation: clients dropped together retry together.`,
      evidence: { model: b.model, initialMs: b.initialMs, factor: b.factor, maxMs: b.maxMs, fit: b.fit },
      advice:
        'Randomise each delay (e.g. ±50% as socket.io-client does by default). A random initial delay picked once per page load (reconnecting-websocket) cannot be seen in one capture.',
    };
  },
};
