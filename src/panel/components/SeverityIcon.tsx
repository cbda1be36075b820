import type { Severity } from '../../core/index.ts';

const GLYPH: Record<Severity, string> = { error: '✖', warning: '▲', info: 'ℹ' };

/** A DevTools-style severity glyph with an accessible name. */
export function SeverityIcon({ severity }: { severity: Severity }) {
  return <span class={`sev sev-${severity}`} role="img" aria-label={severity} title={severity}>{GLYPH[severity]}</span>;
}
