/**
 * The panel's background text for findings is keyed by finding code: every finding the
 * core can raise has one, and the liveness blind spots show only on liveness findings.
 */
import { describe, expect, it } from 'vitest';
import { FINDING_RULES } from '../../src/core/findings/index.ts';
import { WS_UPGRADE_BLOCKED } from '../../src/core/findings/ws-upgrade-blocked.ts';
import { CONNECTION_STARVATION } from '../../src/core/findings/connection-starvation.ts';
import { blindSpot, EXPLANATIONS, explainFinding } from '../../src/panel/explain.ts';
import type { ChannelReport, Finding } from '../../src/core/report-types.ts';

/** Per-channel rules, and the cross-channel ones (judged across all channels). */
const CODES = [...FINDING_RULES.map((r) => r.code), WS_UPGRADE_BLOCKED.code, CONNECTION_STARVATION.code];
const finding = (code: string, message = ''): Finding => ({ code, severity: 'warning', message, evidence: {}, advice: '' }) as unknown as Finding;

describe('finding explanations', () => {
  it.each(CODES)('%s has its background', (code) => {
    expect(explainFinding(finding(code))).toBe(EXPLANATIONS[code]);
    expect(EXPLANATIONS[code]?.length ?? 0).toBeGreaterThan(40);
  });

  it('explains only codes the core raises, and a message cannot change which text applies', () => {
    expect(Object.keys(EXPLANATIONS).filter((c) => !CODES.includes(c))).toEqual([]);
    // The old regex matching read "retry" in a heartbeat message as a backoff topic.
    expect(explainFinding(finding('no-heartbeat', 'no heartbeat seen; the client will retry'))).toBe(EXPLANATIONS['no-heartbeat']);
    expect(explainFinding(finding('made-up-by-a-newer-version', 'heartbeat'))).toBeNull();
  });

  it('names what hooks cannot see on liveness findings only', () => {
    const ws = { transport: 'websocket' } as ChannelReport;
    expect(blindSpot(ws, finding('no-heartbeat'))).toMatch(/ping\/pong/);
    expect(blindSpot(ws, finding('heartbeat-too-fast', 'heartbeat every 2 s'))).toBeNull();
    expect(blindSpot({ transport: 'eventsource' } as ChannelReport, finding('idle-gap-over-nat-timeout'))).toMatch(/comment/);
  });
});
