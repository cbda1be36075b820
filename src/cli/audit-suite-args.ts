/**
 * The flags of `audit` that are about the whole run rather than one page: how many
 * runs, how they are judged, how many pages at once, and the CI outputs. Kept apart
 * from audit-args.ts (which spreads SUITE_ARGV_OPTIONS into its flag table) so that
 * the per-page options and these grow without touching each other.
 */
import type { ParseArgsConfig } from 'node:util';

/** How the runs of one page are judged together. */
export type Judge = 'median' | 'worst';
export const JUDGES: readonly Judge[] = ['median', 'worst'];

/** The suite flags as given, still text. */
export interface RawSuiteFlags {
  runs?: string;
  judge?: string;
  parallel?: string;
  outDir?: string;
  junit?: string;
  markdown?: string;
  baseUrl?: string;
}

/** node:util parseArgs options of the suite flags. */
export const SUITE_ARGV_OPTIONS = {
  runs: { type: 'string' },
  judge: { type: 'string' },
  parallel: { type: 'string' },
  'out-dir': { type: 'string' },
  junit: { type: 'string' },
  markdown: { type: 'string' },
  'base-url': { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

/** Pick the suite flags out of parseArgs' values. */
export function suiteFlagsFromArgv(values: Partial<Record<keyof typeof SUITE_ARGV_OPTIONS, string>>): RawSuiteFlags {
  return {
    runs: values.runs,
    judge: values.judge,
    parallel: values.parallel,
    outDir: values['out-dir'],
    junit: values.junit,
    markdown: values.markdown,
    baseUrl: values['base-url'],
  };
}
