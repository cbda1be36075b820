/**
 * Worker traffic in the panel: the "Include workers" toggle (the optional `debugger`
 * permission, asked for only when the user turns it on), and the badge naming the worker a
 * channel's traffic ran in.
 */
import { useEffect, useState } from 'preact/hooks';
import type { WorkerOrigin } from '../../core/index.ts';
import { wire, type ApiMessages, type ApiReply, type WorkerCaptureState } from '../../shared/messages.ts';

const KIND_LABEL: Record<WorkerOrigin['kind'], string> = { dedicated: 'Worker', shared: 'SharedWorker', service: 'Service Worker' };

/** The worker a channel ran in: kind and script file, the whole URL on hover. */
export function WorkerBadge({ origin }: { origin: WorkerOrigin | undefined }) {
  if (!origin) return null;
  const file = origin.url.replace(/[?#].*$/, '').split('/').pop() || origin.url;
  return (
    <span class="worker-badge" data-worker-kind={origin.kind} title={`${KIND_LABEL[origin.kind]} ${origin.url}`}>
      {KIND_LABEL[origin.kind]} {file}
    </span>
  );
}

async function api<T>(method: 'workerCapture' | 'setWorkerCapture', ...args: unknown[]): Promise<T> {
  const reply = (await chrome.runtime.sendMessage(wire<ApiMessages, 'api'>('api', { method, args } as ApiMessages['api']))) as ApiReply | undefined;
  if (!reply) throw new Error(`no reply to ${method}`);
  if (!reply.ok) throw new Error(reply.error);
  return reply.result as T;
}

const OFF: WorkerCaptureState = { on: false, workers: [], error: null };

/** How often the toggle asks which workers the tab has (they come and go). */
const REFRESH_MS = 2000;

/** "Include workers": off by default; on asks for the debugger permission, then the background attaches. */
export function WorkersToggle({ tabId }: { tabId: number }) {
  const [state, setState] = useState<WorkerCaptureState>(OFF);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    let live = true;
    const refresh = () => api<WorkerCaptureState>('workerCapture', tabId).then((s) => live && setState(s), () => {});
    void refresh();
    const timer = setInterval(refresh, REFRESH_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [tabId]);

  const onChange = (on: boolean) => {
    setBusy(true);
    // The permission request must run in the click's user gesture: before any await.
    const granted: Promise<boolean> = on ? chrome.permissions.request({ permissions: ['debugger'] }) : Promise.resolve(true);
    granted
      .then((ok) => (ok ? api<WorkerCaptureState>('setWorkerCapture', tabId, on) : { ...OFF, error: 'the debugger permission was refused' }))
      .then(setState, (error: unknown) => setState({ ...OFF, error: error instanceof Error ? error.message : String(error) }))
      .finally(() => setBusy(false));
  };

  const n = state.workers.length;
  return (
    <div class="workers-bar" data-testid="workers">
      <label title="Capture the traffic of this tab's Workers, SharedWorkers and Service Workers over the DevTools protocol (asks for the debugger permission; Chrome shows its debugging bar while on)">
        <input type="checkbox" checked={state.on} disabled={busy} onChange={(e) => onChange((e.currentTarget as HTMLInputElement).checked)} /> Include workers
      </label>
      {state.on ? <span class="muted">{n === 0 ? 'no worker seen yet' : `${n} worker${n === 1 ? '' : 's'}: ${state.workers.map((w) => `${KIND_LABEL[w.kind]} ${w.url.split('/').pop()}`).join(', ')}`}</span> : null}
      {state.on ? <span class="muted">Connections a worker opened before this are not shown: reload the page to see them.</span> : null}
      {state.error ? <span class="workers-error">{state.error}</span> : null}
    </div>
  );
}
