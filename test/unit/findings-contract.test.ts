/**
 * The findings' contract (CONTRIBUTING.md, "Adding a finding"): one file per finding under
 * src/core/findings/, named after the finding's code, exporting its rule or its descriptor;
 * every per-channel rule registered in FINDING_RULES; codes unique.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FINDING_RULES } from '../../src/core/findings/index.ts';

const DIR = join(import.meta.dirname, '../../src/core/findings');
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.ts') && f !== 'index.ts' && f !== 'types.ts');

/** The finding codes a module exports (a FindingRule, or a cross-channel rule's descriptor). */
function codesOf(module: Record<string, unknown>): string[] {
  return Object.values(module)
    .filter((v): v is { code: string } => typeof v === 'object' && v !== null && typeof (v as { code?: unknown }).code === 'string')
    .map((v) => v.code);
}

describe('findings contract', () => {
  it.each(FILES)('%s is named after the one finding it defines', async (file) => {
    const module = (await import(join(DIR, file))) as Record<string, unknown>;
    expect(codesOf(module)).toEqual([file.replace(/\.ts$/, '')]);
  });

  it('registers every per-channel rule once, with unique codes', async () => {
    const codes = FINDING_RULES.map((r) => r.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(FILES).toContain(`${code}.ts`);
  });
});
