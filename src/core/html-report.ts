/**
 * A self-contained HTML report (inline CSS, no scripts). Every string that
 * comes from the page (URLs, titles, close reasons, evidence) is escaped:
 * page data is never injected as HTML.
 */
import type { ChannelReport, Finding, Report, Spread } from './report-types.ts';
import { formatBytes, formatMs } from './stats.ts';
import { describeBackoff, describeHeartbeat, describeStall } from './describe.ts';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/** Escape text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"'`]/g, (c) => ESCAPES[c]!);
}

export const REPORT_CSS = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}h3{font-size:15px;margin:0;word-break:break-all}
.muted{color:#5b6475}.card{background:#fff;border:1px solid #dde1e8;border-radius:8px;padding:14px 16px;margin:12px 0}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:4px 8px;border-bottom:1px solid #eceef2;vertical-align:top}
th{font-weight:600;color:#5b6475;font-size:12px;text-transform:uppercase;letter-spacing:.03em}
.kind{display:inline-block;border-radius:10px;padding:1px 8px;font-size:12px;background:#e8edf7;color:#23407a;margin-right:6px}
.sev{display:inline-block;border-radius:4px;padding:0 6px;font-size:12px;font-weight:600}
.sev-error{background:#fde2e1;color:#9b1c1c}.sev-warning{background:#fff1d6;color:#8a5300}.sev-info{background:#e3f1ff;color:#1d4f8a}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(160px,1fr));gap:8px;margin:10px 0}
.stat b{display:block;font-size:18px}.stat span{font-size:12px;color:#5b6475}
.advice{border-left:3px solid #3b7be0;padding:4px 10px;margin:8px 0;background:#f2f6fd}
code{font:12px ui-monospace,Menlo,Consolas,monospace;background:#f0f2f5;padding:1px 4px;border-radius:3px;word-break:break-all}
`;

function spreadText(s: Spread | null): string {
  return s === null ? '—' : `${formatMs(s.median)} (p95 ${formatMs(s.p95)})`;
}

function stat(label: string, value: string): string {
  return `<div class="stat"><b>${escapeHtml(value)}</b><span>${escapeHtml(label)}</span></div>`;
}

function findingHtml(f: Finding): string {
  const evidence = Object.entries(f.evidence)
    .map(([k, v]) => `<code>${escapeHtml(k)}=${escapeHtml(v === null ? 'null' : v)}</code>`)
    .join(' ');
  return `<tr><td><span class="sev sev-${escapeHtml(f.severity)}">${escapeHtml(f.severity)}</span><br><span class="muted">${escapeHtml(f.code)}</span></td><td><b>${escapeHtml(f.message)}</b><br><span class="muted">${escapeHtml(f.advice)}</span><br>${evidence}</td></tr>`;
}

/** How a worker origin reads in the report. */
const WORKER_KIND = { dedicated: 'a Worker', shared: 'a SharedWorker', service: 'a Service Worker' } as const;

function channelHtml(c: ChannelReport): string {
  const stats: string[] = [];
  if (c.requests > 0) stats.push(stat('requests', String(c.requests)));
  stats.push(stat('messages in / out', `${c.messages.in} / ${c.messages.out}`));
  stats.push(stat('bytes in / out', `${formatBytes(c.bytes.in)} / ${formatBytes(c.bytes.out)}`));
  if (c.wasteRatio !== null) stats.push(stat('wasted', `${c.wasted} (${Math.round(c.wasteRatio * 100)}%)`));
  if (c.intervalMs) stats.push(stat('interval', spreadText(c.intervalMs)));
  if (c.durationMs) stats.push(stat('duration', spreadText(c.durationMs)));
  if (c.stalenessMs) stats.push(stat('staleness avg / worst', `${formatMs(c.stalenessMs.average)} / ${formatMs(c.stalenessMs.worst)}`));
  if (c.gapMs) stats.push(stat('message gap', spreadText(c.gapMs)));
  if (c.heartbeat) {
    stats.push(
      stat(
        'heartbeat',
        describeHeartbeat(c.heartbeat),
      ),
    );
    stats.push(stat('longest idle', formatMs(c.heartbeat.maxIdleMs)));
  }
  if (c.reconnects.length > 0) stats.push(stat('reconnects', String(c.reconnects.length)));
  if (c.backoff) stats.push(stat('backoff', describeBackoff(c.backoff)));
  for (const s of c.stalls) {
    const [label, verdict] = describeStall(s).split(/: (.*)/s);
    stats.push(stat(label!, verdict ?? ''));
  }
  if (c.load) stats.push(stat(`req/s for ${c.load.users} users`, String(c.load.requestsPerSecond)));
  const findings = c.findings.length > 0 ? `<table>${c.findings.map(findingHtml).join('')}</table>` : '<p class="muted">No findings.</p>';
  const reconnects =
    c.reconnects.length > 0
      ? `<details><summary>${c.reconnects.length} reconnects</summary><table><tr><th>at</th><th>delay</th><th>cause</th></tr>${c.reconnects
          .map((r) => `<tr><td>${escapeHtml(new Date(r.at).toISOString())}</td><td>${escapeHtml(formatMs(r.delayMs))}</td><td>${escapeHtml(r.cause)}</td></tr>`)
          .join('')}</table></details>`
      : '';
  return `<section class="card">
<h3><span class="kind">${escapeHtml(c.kind)}</span>${escapeHtml(c.url)}</h3>
<p class="muted">${c.origin ? `in ${escapeHtml(WORKER_KIND[c.origin.kind])} ${escapeHtml(c.origin.url)} · ` : ''}${escapeHtml(c.transport)}${c.protocol ? ` · ${escapeHtml(c.protocol)}` : ''} · confidence ${escapeHtml(Math.round(c.confidence * 100))}% · ${escapeHtml(c.evidence)}</p>
<div class="grid">${stats.join('')}</div>
${c.advice ? `<div class="advice">${escapeHtml(c.advice)}</div>` : ''}
${findings}
${reconnects}
</section>`;
}

/** Render a report as one self-contained HTML document. */
export function renderHtmlReport(report: Report): string {
  const s = report.summary;
  const title = report.page.title || report.page.url || 'capture';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>Realtime Inspector report: ${escapeHtml(title)}</title>
<style>${REPORT_CSS}</style></head>
<body><main>
<h1>Realtime Inspector report</h1>
<p class="muted">${escapeHtml(report.page.url)}${report.page.title ? ` · ${escapeHtml(report.page.title)}` : ''} · captured ${escapeHtml(report.capturedAt)} · ${escapeHtml(formatMs(report.durationMs))} · report v${escapeHtml(report.version)}</p>
<div class="grid">
${stat('channels', String(s.channels))}${stat('requests', String(s.requests))}${stat('wasted requests', String(s.wasted))}${stat('messages', String(s.messages))}
${stat(`polling req/s for ${s.users} users`, String(s.projectedRequestsPerSecond))}
${stat('findings (error / warning / info)', `${s.findings.error} / ${s.findings.warning} / ${s.findings.info}`)}
${s.droppedEvents > 0 ? stat('events dropped during capture', String(s.droppedEvents)) : ''}
${s.sampledMessages ? stat('message texts sampled under a flood (first bytes kept)', String(s.sampledMessages)) : ''}
</div>
<h2>Channels</h2>
${report.channels.length > 0 ? report.channels.map(channelHtml).join('\n') : '<p class="muted">No real-time traffic captured.</p>'}
</main></body></html>
`;
}
