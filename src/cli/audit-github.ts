/**
 * GitHub Actions workflow commands for an audit suite: an `::error` annotation per failed
 * gate or page that could not be audited, a `::warning` per gate that passed the judge but
 * failed in some runs (flaky). Printed on stdout when GITHUB_ACTIONS=true, as the runner
 * reads them.
 */
import { describeGate } from './audit-runs.ts';
import type { SuiteResult } from './audit-suite.ts';

// @actions/core 1.x src/command.ts escapeData/escapeProperty (vitest 4.1's github-actions
// reporter escapes the same way): the runner turns %25, %0D, %0A (and %3A, %2C in
// properties) back into the characters.
/** A command's message: `%`, CR and LF escaped, so the command stays one line. */
export function escapeData(value: string): string {
  return value.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A command property's value: as data, plus `:` and `,`, which delimit properties. */
export function escapeProperty(value: string): string {
  return escapeData(value).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** One workflow command line: `::name key=value,…::message`. */
export function workflowCommand(name: 'error' | 'warning' | 'notice', properties: Record<string, string>, message: string): string {
  const props = Object.entries(properties)
    .map(([k, v]) => `${k}=${escapeProperty(v)}`)
    .join(',');
  return `::${name}${props ? ` ${props}` : ''}::${escapeData(message)}`;
}

/** The annotations of a suite, one line each. */
export function githubAnnotations(result: SuiteResult): string[] {
  const lines: string[] = [];
  for (const page of result.pages) {
    const title = (what: string) => `Realtime audit ${page.name}: ${what}`;
    const v = page.verdict;
    if (v.error) {
      lines.push(workflowCommand('error', { title: title('not audited') }, `${page.url}\n${v.error.message}`));
      continue;
    }
    for (const gate of v.gates) {
      const { headline, details } = describeGate(gate, result.judge);
      if (!gate.ok) lines.push(workflowCommand('error', { title: title(gate.title) }, [`${page.url}`, `FAIL ${headline}`, ...details].join('\n')));
      else if (gate.passes < gate.perRun.length) {
        lines.push(workflowCommand('warning', { title: title(`${gate.title} is flaky`) }, [`${page.url}`, `passed by the ${result.judge} judge: ${headline}`, ...details].join('\n')));
      }
    }
  }
  return lines;
}
