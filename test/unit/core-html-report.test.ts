import { describe, expect, it } from 'vitest';
import { analyzeCapture, renderHtmlReport } from '../../src/core/index.ts';
import { escapeHtml } from '../../src/core/html-report.ts';
import { CaptureBuilder, T0 } from './core-builders.ts';
import { formatSummary } from '../../src/cli/analyze.ts';

const EVIL = `<img src=x onerror="alert(1)"><script>alert('x')</script>`;

describe('HTML report', () => {
  it('escapes page data everywhere and contains no script', () => {
    const b = new CaptureBuilder();
    b.docStart(T0, `https://evil.example/?q=${encodeURIComponent(EVIL)}`, EVIL);
    const c = b.wsCreate(T0 + 1, `wss://evil.example/${encodeURIComponent('<b>')}`);
    b.wsOpen(T0 + 2, c);
    b.wsClose(T0 + 1000, c, 4401, EVIL, 'server');
    const c2 = b.wsCreate(T0 + 2000, `wss://evil.example/${encodeURIComponent('<b>')}`);
    b.wsOpen(T0 + 2010, c2);
    const report = analyzeCapture(b.sorted());
    expect(report.channels[0]!.findings.some((f) => f.message.includes('<img'))).toBe(true);
    const html = renderHtmlReport(report);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toContain('<img');
    expect(html).not.toMatch(/onerror="/);
    expect(html).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain("default-src 'none'");
    expect(html).toContain('reconnect-after-fatal-close');
  });

  it('escapes all HTML-significant characters', () => {
    expect(escapeHtml(`&<>"'\``)).toBe('&amp;&lt;&gt;&quot;&#39;&#96;');
  });

  it('says how many message texts were sampled under a flood, only when some were', () => {
    const b = new CaptureBuilder();
    const c = b.wsCreate(T0, 'wss://flood.example/feed');
    b.wsOpen(T0 + 1, c);
    for (let i = 0; i < 5; i++) b.wsMsg(T0 + 10 + i, c, 'in', `{"i":${i},"pad":"${'x'.repeat(300)}"}`);
    const events = b.sorted();
    for (const m of events.filter((e) => e.type === 'ws.message').slice(2)) {
      if (m.type === 'ws.message') m.data = { ...m.data, data: m.data.data.slice(0, 256), truncated: true, sampled: true };
    }
    const report = analyzeCapture(events);
    expect(report.summary.sampledMessages).toBe(3);
    expect(renderHtmlReport(report)).toContain('message texts sampled under a flood');
    expect(renderHtmlReport(analyzeCapture([]))).not.toContain('sampled under a flood');
    // The CLI's summary says it too.
    expect(formatSummary(report)).toContain('3 messages of flooding connections kept only their first characters');
    expect(formatSummary(analyzeCapture([]))).not.toContain('flooding');
  });

  it('renders an empty capture', () => {
    expect(renderHtmlReport(analyzeCapture([]))).toContain('No real-time traffic captured.');
  });
});
