/**
 * The diff as one self-contained HTML page (inline CSS, no scripts), styled like the report.
 * Every string that comes from a capture (URLs, titles, finding messages, evidence) goes
 * through escapeHtml: page data is never injected as HTML.
 */
import { escapeHtml, REPORT_CSS } from '../html-report.ts';
import type { Breach } from './budget.ts';
import type { FindingRef, LoneChannel, ReportDiff } from './compare.ts';
import { budgetLines, channelHeading, channelRows, diffHeading } from './words.ts';

const DIFF_CSS = `
.changed td{font-weight:600}.mark{color:#9b1c1c}
.added{color:#9b1c1c}.removed{color:#14632d;text-decoration:line-through}
.fail{border-left:3px solid #d64545;padding:4px 10px;background:#fdf0f0}.pass{border-left:3px solid #2f9e55;padding:4px 10px;background:#eff9f2}
`;

function findingRow(f: FindingRef, sign: '+' | '−', cls: string): string {
  return `<tr class="${cls}"><td>${sign} <span class="sev sev-${escapeHtml(f.severity)}">${escapeHtml(f.severity)}</span></td><td><code>${escapeHtml(f.code)}</code> ${escapeHtml(f.message)}</td></tr>`;
}

function loneHtml(title: string, lone: readonly LoneChannel[]): string {
  if (lone.length === 0) return '';
  const items = lone
    .map((l) => `<section class="card"><h3>${escapeHtml(channelHeading(l.channel))}</h3>${l.findings.length ? `<table>${l.findings.map((f) => findingRow(f, '+', '')).join('')}</table>` : ''}</section>`)
    .join('\n');
  return `<h2>${escapeHtml(title)}</h2>\n${items}`;
}

/** Render a diff (and the budget verdict, when given) as an HTML document. */
export function renderDiffHtml(diff: ReportDiff, budget?: { breaches: readonly Breach[]; source: string }): string {
  const channels = diff.channels
    .map((d) => {
      const rows = channelRows(d)
        .map((r) => `<tr${r.changed ? ' class="changed"' : ''}><td>${r.changed ? '<span class="mark">*</span> ' : ''}${escapeHtml(r.label)}</td><td>${escapeHtml(r.text)}</td></tr>`)
        .join('');
      const findings = [...d.findings.added.map((f) => findingRow(f, '+', 'added')), ...d.findings.removed.map((f) => findingRow(f, '−', 'removed'))].join('');
      return `<section class="card"><h3>${escapeHtml(channelHeading(d.after))}</h3><p class="muted">match ${escapeHtml(d.score.toFixed(2))} · before: ${escapeHtml(d.before.sampleUrl)}<br>after: ${escapeHtml(d.after.sampleUrl)}</p><table>${rows}${findings}</table></section>`;
    })
    .join('\n');
  const verdict = budget ? budgetLines(budget.breaches, budget.source) : [];
  const verdictHtml = verdict.length
    ? `<div class="${budget!.breaches.length ? 'fail' : 'pass'}"><b>${escapeHtml(verdict[0])}</b>${verdict.length > 1 ? `<ul>${verdict.slice(1).map((l) => `<li>${escapeHtml(l.trim())}</li>`).join('')}</ul>` : ''}</div>`
    : '';
  const title = diff.after.page.title || diff.after.page.url || 'capture';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>Realtime Inspector diff: ${escapeHtml(title)}</title>
<style>${REPORT_CSS}${DIFF_CSS}</style></head>
<body><main>
<h1>Realtime Inspector diff</h1>
${diffHeading(diff).map((l) => `<p class="muted">${escapeHtml(l)}</p>`).join('\n')}
${verdictHtml}
<h2>Matched channels</h2>
${channels || '<p class="muted">No channel in common.</p>'}
${loneHtml('Only before', diff.onlyBefore)}
${loneHtml('Only after', diff.onlyAfter)}
</main></body></html>
`;
}
