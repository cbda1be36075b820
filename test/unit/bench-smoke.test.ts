/**
 * The benchmark suite runs and writes well-formed results (no timing
 * assertions: timings on a shared machine prove nothing). Runs the real
 * entry point, `bench/run.ts --smoke`, which measures the analysis core on
 * 10,000 synthetic events in a child process.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { explainInvalidEvent } from '../../src/core/guard.ts';
import { synthesizeCapture } from '../../bench/synth.ts';
import { summarize } from '../../bench/stats.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'ri-bench-smoke-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runBench(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...args], { cwd: ROOT, timeout: 240_000 }, (error, stdout, stderr) =>
      done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('bench synthetic capture streams', () => {
  it('are valid capture events in time order, with the parts asked for', () => {
    const events = synthesizeCapture({ events: 5_000 });
    expect(events).toHaveLength(5_000);
    for (const e of events) expect(explainInvalidEvent(e)).toBeNull();
    for (let i = 1; i < events.length; i++) expect(events[i]!.t).toBeGreaterThanOrEqual(events[i - 1]!.t);
    const types = new Set(events.map((e) => e.type));
    for (const t of ['ws.create', 'ws.message', 'sse.create', 'sse.message', 'http.request', 'http.end']) expect(types).toContain(t);

    const wsAndPoll = synthesizeCapture({ events: 2_000, parts: ['ws', 'poll'] });
    expect(wsAndPoll.some((e) => e.type.startsWith('sse.'))).toBe(false);
    expect(wsAndPoll.some((e) => e.type === 'http.request')).toBe(true);
  });

  it('are deterministic for a seed', () => {
    expect(synthesizeCapture({ events: 1_000, seed: 3 })).toEqual(synthesizeCapture({ events: 1_000, seed: 3 }));
  });

  it('summaries give median, min and max', () => {
    expect(summarize([3, 1, 2, 10])).toEqual({ median: 2.5, min: 1, max: 10, n: 4 });
    expect(summarize([]).n).toBe(0);
  });
});

describe('npm run bench -- --smoke', () => {
  it('measures the analysis core and writes well-formed results and a table', async () => {
    const out = join(dir, 'results.json');
    const { code, stdout, stderr } = await runBench(['--smoke', '--out', out]);
    expect(stderr).not.toMatch(/failed/i);
    expect(code).toBe(0);
    expect(stdout).toContain('Analysis core');
    const results = JSON.parse(readFileSync(out, 'utf8'));
    expect(results.format).toBe('realtime-inspector-bench');
    expect(results.mode).toBe('smoke');
    expect(results.errors).toEqual({});
    expect(results.environment.machine.cores).toBeGreaterThan(0);
    expect(results.environment.versions.node).toBe(process.version);
    const [sample] = results.core.samples;
    expect(sample.events).toBe(10_000);
    for (const k of ['ingestMs', 'ingestPerSecond', 'firstReportMs', 'updateReportMs', 'analyzeCaptureMs']) {
      expect(Number.isFinite(sample[k]) && sample[k] > 0, k).toBe(true);
    }
    expect(sample.heapEventsBytes).toBeGreaterThan(0);
    // The synthetic stream is what the bench claims: a socket.io WebSocket, an SSE stream and a polling loop.
    const kinds = sample.channels.map((c: { kind: string }) => c.kind);
    expect(kinds).toEqual(expect.arrayContaining(['websocket', 'sse', 'polling']));
    expect(sample.sameReport).toBe(true);
    expect(results.core.memoryPer100k.totalBytes).toBeGreaterThan(0);
  }, 300_000);
});
