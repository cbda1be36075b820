/**
 * The selected message: pretty JSON (collapsible), plain text, or hex.
 * JSON is the default when the text parses; binary defaults to hex.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { copyText } from '../io.ts';
import type { MessageRow } from '../messages.ts';
import { formatBytes } from '../format.ts';
import { HexView } from './HexView.tsx';
import { JsonTree } from './JsonTree.tsx';

type ViewMode = 'json' | 'text' | 'hex';

/** Parse the payload text as JSON (also the common "prefix + JSON" framings, e.g. socket.io `42[...]`). */
export function parseJsonPayload(text: string): { ok: true; value: unknown } | { ok: false } {
  const trimmed = text.trim();
  if (!trimmed) return { ok: false };
  const start = trimmed.search(/[[{"]/);
  for (const candidate of start > 0 && start <= 8 ? [trimmed, trimmed.slice(start)] : [trimmed]) {
    try {
      return { ok: true, value: JSON.parse(candidate) };
    } catch {
      // try the next framing
    }
  }
  return { ok: false };
}

export function MessageView({ row, label }: { row: MessageRow | null; label: string }) {
  const payload = row?.payload ?? null;
  const json = useMemo(() => (payload && payload.encoding === 'text' ? parseJsonPayload(payload.data) : { ok: false as const }), [payload?.data, payload?.encoding]);
  const preferred: ViewMode = !payload ? 'text' : payload.encoding === 'binary' ? 'hex' : json.ok ? 'json' : 'text';
  const [mode, setMode] = useState<ViewMode>(preferred);
  const [copied, setCopied] = useState<string | null>(null);
  // Rows are built for showing them: a live update rebuilds the selected one, which must keep the mode chosen for
  // it; another message selected (another event) gets its own.
  useEffect(() => setMode(preferred), [row?.event]);

  if (!row) return <div class="message-view empty-inline muted">Select a message to see its payload.</div>;
  const modes: ViewMode[] = !payload ? [] : payload.encoding === 'binary' ? ['hex'] : json.ok ? ['json', 'text', 'hex'] : ['text', 'hex'];
  return (
    <div class="message-view" data-testid="message-view">
      <div class="mv-head">
        <span class="mv-label">{label}</span>
        <span class="muted">{formatBytes(row.size)}{payload?.sampled ? ' (sampled under a flood: first bytes only)' : payload?.truncated ? ' (truncated in capture)' : ''}</span>
        <span class="spacer" />
        {modes.map((m) => (
          <button type="button" key={m} class={`tab ${m === mode ? 'active' : ''}`} aria-pressed={m === mode} onClick={() => setMode(m)}>
            {m === 'json' ? 'JSON' : m === 'text' ? 'Text' : 'Hex'}
          </button>
        ))}
        {payload ? (
          <button
            type="button"
            onClick={async () => setCopied((await copyText(payload.data)) ? 'Copied' : 'Copy failed')}
            title={payload.encoding === 'binary' ? 'Copies the captured bytes as base64' : 'Copies the message text'}
          >
            Copy message
          </button>
        ) : null}
        {copied ? <span class="muted">{copied}</span> : null}
      </div>
      <div class="mv-body">
        {!payload ? (
          <div class="muted">{label}</div>
        ) : mode === 'json' && json.ok ? (
          <JsonTree value={json.value} />
        ) : mode === 'hex' ? (
          <HexView payload={payload} />
        ) : (
          <pre class="text-view" data-testid="text-view">{payload.data}</pre>
        )}
      </div>
    </div>
  );
}
