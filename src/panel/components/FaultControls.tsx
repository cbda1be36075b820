/**
 * Fault injection: drop, offline, close with a code, stall and added latency,
 * applied by the page hooks to this channel's connection or the whole page.
 */
import { useState } from 'preact/hooks';
import { describeStall } from '../../core/index.ts';
import type { StallCheck, Transport } from '../../core/index.ts';
import type { FaultCommand } from '../../shared/page-bridge.ts';

type FaultName = FaultCommand['fault'];

export interface FaultControlsProps {
  /** Connection the per-channel faults target (the channel's latest), null when none is open. */
  conn: string | null;
  transport: Transport;
  onInject: ((cmd: FaultCommand) => void) | null;
  /** The channel's injected stalls and whether the client noticed them (from the report). */
  stalls?: readonly StallCheck[];
}

/** One line per injected stall: did the client give up on the silent connection, and when? */
function stallLine(s: StallCheck): string {
  const line = describeStall(s);
  return `${line[0]!.toUpperCase()}${line.slice(1)}.`;
}

const PAGE_WIDE: ReadonlySet<FaultName> = new Set(['offline', 'latency']);

/** Build the command for the chosen fault and parameters. */
export function faultCommand(fault: FaultName, scope: 'channel' | 'page', conn: string | null, p: { seconds: number; code: number; reason: string; delayMs: number }): FaultCommand {
  const target = scope === 'channel' ? conn : null;
  const durationMs = Math.max(0, Math.round(p.seconds * 1000));
  switch (fault) {
    case 'drop': return { fault, conn: target };
    case 'offline': return { fault, durationMs };
    case 'close': return { fault, code: p.code, reason: p.reason, conn: target };
    case 'stall': return { fault, durationMs, conn: target };
    case 'latency': return { fault, delayMs: Math.max(0, Math.round(p.delayMs)), durationMs };
  }
}

export function FaultControls({ conn, transport, onInject, stalls = [] }: FaultControlsProps) {
  const [fault, setFault] = useState<FaultName>('drop');
  const [scope, setScope] = useState<'channel' | 'page'>('channel');
  const [seconds, setSeconds] = useState(10);
  const [code, setCode] = useState(4000);
  const [delayMs, setDelayMs] = useState(500);
  const [sent, setSent] = useState<string | null>(null);
  const effectiveScope = PAGE_WIDE.has(fault) ? 'page' : scope;
  const disabled = !onInject || (effectiveScope === 'channel' && conn === null);
  const num = (set: (n: number) => void) => (e: Event) => set(Number((e.currentTarget as HTMLInputElement).value));

  return (
    <div class="faults" role="group" aria-label="Fault injection">
      <select aria-label="Fault" value={fault} onChange={(e) => setFault((e.currentTarget as HTMLSelectElement).value as FaultName)}>
        <option value="drop">Drop connection</option>
        <option value="offline">Go offline</option>
        <option value="close">Close with code</option>
        <option value="stall">Stall incoming</option>
        <option value="latency">Add latency</option>
      </select>
      {PAGE_WIDE.has(fault) ? (
        <span class="muted">whole page</span>
      ) : (
        <select aria-label="Fault scope" value={scope} onChange={(e) => setScope((e.currentTarget as HTMLSelectElement).value as 'channel' | 'page')}>
          <option value="channel">this channel</option>
          <option value="page">whole page</option>
        </select>
      )}
      {fault === 'offline' || fault === 'stall' || fault === 'latency' ? (
        <label>for <input type="number" min={0} step={1} value={seconds} onChange={num(setSeconds)} aria-label="Duration in seconds" /> s{fault === 'latency' ? ' (0 = until cleared)' : ''}</label>
      ) : null}
      {fault === 'close' ? (
        <label>code <input type="number" min={1000} max={4999} value={code} onChange={num(setCode)} aria-label="Close code" /></label>
      ) : null}
      {fault === 'latency' ? (
        <label>+<input type="number" min={0} step={50} value={delayMs} onChange={num(setDelayMs)} aria-label="Added delay in ms" /> ms</label>
      ) : null}
      <button
        type="button"
        disabled={disabled}
        onClick={() => {
          if (!onInject) return;
          onInject(faultCommand(fault, effectiveScope, conn, { seconds, code, reason: 'Realtime Inspector fault', delayMs }));
          setSent(`${fault} sent`);
        }}
      >
        Inject
      </button>
      {sent ? <span class="muted">{sent}</span> : null}
      {!onInject ? <span class="muted">Fault injection needs a live page (not an imported capture).</span> : null}
      {transport === 'eventsource' && (fault === 'drop' || fault === 'offline') ? (
        <p class="note" role="note">
          A native EventSource reconnects on its own schedule (the server's <code>retry:</code> value, else the browser default of a few seconds):
          the drop is exact, the reconnect timing afterwards is the browser's, not ours.
        </p>
      ) : null}
      {stalls.length > 0 ? (
        <ul class="stall-checks" aria-label="Stall checks" data-testid="stall-checks">
          {stalls.map((s) => (
            <li key={s.at} class={s.detectedAfterMs === null && s.reaction !== 'server-closed' ? 'bad' : ''}>
              {stallLine(s)}
            </li>
          ))}
        </ul>
      ) : null}
      {transport === 'websocket' && fault === 'close' ? (
        <p class="note" role="note">The close is simulated by the page hooks: the page sees a close event with this code; the server sees its socket end, not necessarily a close frame with this code.</p>
      ) : null}
    </div>
  );
}
