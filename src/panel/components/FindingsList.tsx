/**
 * A channel's findings: severity, the message, its evidence, the advice, and
 * the background that makes the advice make sense.
 */
import type { ChannelReport } from '../../core/index.ts';
import { blindSpot, explainFinding } from '../explain.ts';
import { SEVERITY_RANK } from '../format.ts';
import { SeverityIcon } from './SeverityIcon.tsx';

function evidenceValue(v: number | string | boolean | null): string {
  if (v === null) return '—';
  if (typeof v === 'number') return Number.isInteger(v) ? v.toLocaleString('en-US') : v.toFixed(3).replace(/\.?0+$/, '');
  return String(v);
}

export function FindingsList({ channel }: { channel: ChannelReport }) {
  if (channel.findings.length === 0) {
    return <div class="findings empty-inline muted">No findings for this channel: nothing in its traffic breaks the rules the analysis checks.</div>;
  }
  const sorted = [...channel.findings].sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity]);
  return (
    <div class="findings">
      {sorted.map((f, i) => {
        const why = explainFinding(f);
        const blind = blindSpot(channel, f);
        return (
          <article class={`finding finding-${f.severity}`} key={`${f.code}-${i}`} data-code={f.code}>
            <header>
              <SeverityIcon severity={f.severity} /> <strong>{f.message}</strong> <code class="muted">{f.code}</code>
            </header>
            {Object.keys(f.evidence).length > 0 ? (
              <dl class="evidence">
                {Object.entries(f.evidence).map(([k, v]) => (
                  <div key={k}><dt>{k}</dt><dd>{evidenceValue(v)}</dd></div>
                ))}
              </dl>
            ) : null}
            <p class="advice"><span class="label">Advice</span> {f.advice}</p>
            {why ? <p class="why"><span class="label">Why</span> {why}</p> : null}
            {blind ? <p class="blind" role="note"><span class="label">Cannot see</span> {blind}</p> : null}
          </article>
        );
      })}
    </div>
  );
}
