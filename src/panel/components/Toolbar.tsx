/**
 * The DevTools-style toolbar: record/pause, clear, preserve log, import,
 * export (capture JSON/HAR and report JSON/HTML, redacted by default), and the
 * capture state (live, imported, disconnected, dropped events).
 */
import { useRef, useState } from 'preact/hooks';
import type { ExportKind } from '../transfer-types.ts';

export interface ToolbarProps {
  live: boolean;
  importName: string | null;
  recording: boolean;
  preserveLog: boolean;
  connected: boolean;
  /** Null when there is no live connection to control (imported-only panel). */
  onRecording: ((on: boolean) => void) | null;
  onPreserveLog: ((on: boolean) => void) | null;
  onClear: () => void;
  /** Null when import/export is unavailable. */
  onImport: ((file: File) => void) | null;
  onExport: ((kind: ExportKind, redact: boolean) => void) | null;
  onBackToLive: () => void;
  importError: string | null;
  onDismissError: () => void;
}

export function Toolbar(p: ToolbarProps) {
  const fileInput = useRef<HTMLInputElement>(null);
  const [redact, setRedact] = useState(true);
  const [menu, setMenu] = useState(false);
  const doExport = (kind: ExportKind) => {
    p.onExport?.(kind, redact);
    setMenu(false);
  };
  return (
    <>
      <div class="toolbar" role="toolbar" aria-label="Capture controls">
        <button
          type="button"
          class={`tb-icon record ${p.recording && p.live ? 'on' : ''}`}
          disabled={!p.onRecording || !p.live}
          aria-pressed={p.recording}
          title={p.recording ? 'Pause recording' : 'Record'}
          onClick={() => p.onRecording?.(!p.recording)}
        >
          {p.recording ? '●' : '○'}
        </button>
        <button type="button" class="tb-icon" title="Clear" aria-label="Clear" onClick={p.onClear}>⊘</button>
        <span class="sep" />
        <label title="Keep the previous page's capture across navigation">
          <input type="checkbox" checked={p.preserveLog} disabled={!p.onPreserveLog} onChange={(e) => p.onPreserveLog?.((e.currentTarget as HTMLInputElement).checked)} /> Preserve log
        </label>
        <span class="sep" />
        <button type="button" disabled={!p.onImport} onClick={() => fileInput.current?.click()} title="Import a capture file (.json) or a HAR file">Import…</button>
        <input
          ref={fileInput}
          type="file"
          accept=".json,.har,application/json"
          hidden
          data-testid="import-input"
          onChange={(e) => {
            const input = e.currentTarget as HTMLInputElement;
            const file = input.files?.[0];
            if (file) p.onImport?.(file);
            input.value = '';
          }}
        />
        <div class="menu-wrap">
          <button type="button" aria-haspopup="menu" aria-expanded={menu} disabled={!p.onExport} onClick={() => setMenu(!menu)}>Export ▾</button>
          {menu ? (
            <div class="menu" role="menu" onKeyDown={(e) => e.key === 'Escape' && setMenu(false)}>
              <button type="button" role="menuitem" data-export="capture-json" onClick={() => doExport('capture-json')}>Capture (JSON)</button>
              <button type="button" role="menuitem" data-export="capture-har" onClick={() => doExport('capture-har')}>Capture (HAR)</button>
              <button type="button" role="menuitem" data-export="report-json" onClick={() => doExport('report-json')}>Report (JSON)</button>
              <button type="button" role="menuitem" data-export="report-html" onClick={() => doExport('report-html')}>Report (HTML)</button>
              <label class="menu-check" title="Authorization, Cookie and token-like values are replaced in exported captures and reports">
                <input type="checkbox" checked={redact} onChange={(e) => setRedact((e.currentTarget as HTMLInputElement).checked)} data-testid="redact" /> Redact credentials
              </label>
              {!redact ? <div class="menu-warn">Exported captures and reports will contain credentials and tokens as captured.</div> : null}
            </div>
          ) : null}
        </div>
        <span class="spacer" />
        {p.live ? (
          <span class={`status ${p.connected ? 'ok' : 'bad'}`} data-testid="connection">{p.connected ? (p.recording ? 'Live' : 'Paused') : 'Not connected'}</span>
        ) : (
          <span class="status import" data-testid="import-status">
            Viewing {p.importName}{' '}
            <button type="button" class="link" onClick={p.onBackToLive}>Back to live</button>
          </span>
        )}
      </div>
      {p.importError ? (
        <div class="banner error" role="alert" data-testid="import-error">
          Could not import: {p.importError}. The current data is unchanged.{' '}
          <button type="button" class="link" onClick={p.onDismissError}>Dismiss</button>
        </div>
      ) : null}
    </>
  );
}
