import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import fc from 'fast-check';
import { analyzeCapture, REPORT_VERSION } from '../../src/core/index.ts';
import { captureArb } from './core-arbitraries.ts';
import { pollingCapture } from './core-builders.ts';

const schema = JSON.parse(readFileSync(new URL('../../docs/report.schema.json', import.meta.url), 'utf8'));
const validate = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(schema);

function expectValid(report: unknown): void {
  const ok = validate(report);
  expect(ok, JSON.stringify(validate.errors?.slice(0, 5), null, 1)).toBe(true);
}

describe('report JSON Schema (docs/report.schema.json)', () => {
  it('accepts reports of random realistic captures', () => {
    fc.assert(
      fc.property(captureArb, fc.integer({ min: 1, max: 100_000 }), (events, users) => {
        expectValid(JSON.parse(JSON.stringify(analyzeCapture(events, { users }))));
      }),
      { numRuns: 120 },
    );
  });

  it('accepts the empty report and carries the version', () => {
    const r = analyzeCapture([]);
    expect(r.version).toBe(REPORT_VERSION);
    expectValid(r);
  });

  it('rejects a report with a missing field or a wrong kind', () => {
    const r = JSON.parse(JSON.stringify(analyzeCapture(pollingCapture({ url: 'https://a.example/p', intervalMs: 1000, bodies: ['1', '2', '3'] }).sorted())));
    expectValid(r);
    const missing = structuredClone(r);
    delete missing.channels[0].heartbeat;
    expect(validate(missing)).toBe(false);
    const wrong = structuredClone(r);
    wrong.channels[0].kind = 'carrier-pigeon';
    expect(validate(wrong)).toBe(false);
  });
});
