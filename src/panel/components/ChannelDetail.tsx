/**
 * One channel: header with classification and "copy as" commands, the
 * channel timeline (brushing filters the messages), and tabs for messages,
 * charts, findings and fault injection.
 */
import { useMemo, useRef, useState } from 'preact/hooks';
import { describeBackoff, describeHeartbeat, isHttp, isPolled } from '../../core/index.ts';
import type { CaptureEvent, ChannelReport } from '../../core/index.ts';
import type { FaultCommand } from '../../shared/page-bridge.ts';
import { LaneTimeline } from '../charts/LaneTimeline.tsx';
import { WasteChart } from '../charts/WasteChart.tsx';
import { LatencyHistogram } from '../charts/LatencyHistogram.tsx';
import { BackoffChart } from '../charts/BackoffChart.tsx';
import { HeartbeatChart } from '../charts/HeartbeatChart.tsx';
import { curlCommand, websocatCommand } from '../commands.ts';
import { channelTiming, formatBytes, formatCount, formatMs, formatPercent, formatRate } from '../format.ts';
import { copyText } from '../io.ts';
import { MessageIndex } from '../messages.ts';
import type { PanelStore } from '../store.ts';
import { FaultControls } from './FaultControls.tsx';
import { FindingsList } from './FindingsList.tsx';
import { KindBadge } from './KindBadge.tsx';
import { WorkerBadge } from './Workers.tsx';
import { MessageList } from './MessageList.tsx';

type Tab = 'messages' | 'charts' | 'findings' | 'faults';

export interface ChannelDetailProps {
  store: PanelStore;
  channel: ChannelReport;
  theme: string;
  onBack: () => void;
  onInject: ((cmd: FaultCommand) => void) | null;
}

/** The channel's latest connection (faults target it) and its request headers / subprotocols. */
function latestConn(events: readonly CaptureEvent[]) {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    if (e.type === 'http.request') return { conn: e.conn, method: e.method, headers: e.headers, protocols: [] as string[] };
    if (e.type === 'ws.create') return { conn: e.conn, method: 'GET', headers: [] as Array<[string, string]>, protocols: e.protocols };
    if (e.type === 'sse.create') return { conn: e.conn, method: 'GET', headers: [] as Array<[string, string]>, protocols: [] as string[] };
  }
  return null;
}

/** Why the heartbeat chart may be empty, when page hooks are the reason. */
function heartbeatNote(ch: ChannelReport): string | null {
  if (ch.transport === 'websocket') return 'No application-level heartbeat detected. WebSocket ping/pong control frames are invisible to page hooks, so a protocol-level keep-alive would not show here.';
  if (ch.transport === 'eventsource') return 'No heartbeat events detected. SSE comment lines (": keep-alive") never reach a native EventSource, so comment heartbeats would not show here.';
  return null;
}

const NO_EVENTS: readonly CaptureEvent[] = [];

function Stat({ label, value }: { label: string; value: string }) {
  return <div class="stat"><span class="stat-value">{value}</span><span class="stat-label">{label}</span></div>;
}

export function ChannelDetail({ store, channel, theme, onBack, onInject }: ChannelDetailProps) {
  const [tab, setTab] = useState<Tab>('messages');
  const [window, setWindow] = useState<[number, number] | null>(null);
  const [copied, setCopied] = useState<string | null>(null);
  const index = useRef(new MessageIndex(channel.protocol));
  const rowsTick = useRef(0);

  // Series, timeline and the channel's events come from the analysis (the store asked for this channel when it was opened).
  const view = store.channelView(channel.id);
  const events = view?.events ?? NO_EVENTS;
  const series = view?.series ?? null;
  const roles = view?.roles ?? null;
  const timeline = view?.timeline ?? null;
  const origin = store.origin();
  if (index.current.protocol !== channel.protocol) index.current = new MessageIndex(channel.protocol);
  // Each analysis brings a new view, whose events may be the previous view's array extended in place: depend on the view.
  const rowsVersion = useMemo(() => {
    index.current.update(events);
    if (roles) index.current.applyRoles(roles);
    return ++rowsTick.current;
  }, [view, channel.protocol]);
  const target = useMemo(() => latestConn(events), [view]);

  const isWs = channel.transport === 'websocket';
  const isHttpDurations = isHttp(channel.transport) && channel.kind !== 'sse' && channel.kind !== 'streaming';
  const isStream = channel.kind === 'sse' || channel.kind === 'streaming';
  const command = isWs
    ? websocatCommand({ url: channel.url, protocols: target?.protocols })
    : curlCommand({ url: channel.url, method: target?.method, headers: target?.headers, stream: isStream });
  const timing = channelTiming(channel);

  return (
    <section class="detail" aria-label="Channel detail">
      <div class="detail-head">
        <button type="button" class="back" onClick={onBack} title="Back to all channels (Esc)">← Channels</button>
        <KindBadge kind={channel.kind} transport={channel.transport} />
        {channel.protocol ? <span class="proto">{channel.protocol}</span> : null}
        <span class="detail-url" title={channel.url}>{channel.url}</span>
        <WorkerBadge origin={channel.origin} />
        <span class="spacer" />
        <button
          type="button"
          data-testid="copy-command"
          disabled={command === null}
          title={command ?? `No command: only ${isWs ? 'ws: and wss:' : 'http: and https:'} URLs with valid methods and subprotocols are copied`}
          onClick={async () => command !== null && setCopied((await copyText(command)) ? `Copied ${isWs ? 'websocat' : 'cURL'} command` : 'Copy failed')}
        >
          Copy as {isWs ? 'websocat' : 'cURL'}
        </button>
        {copied ? <span class="muted">{copied}</span> : null}
      </div>
      <div class="detail-evidence muted">
        Classified as {channel.kind} ({formatPercent(channel.confidence)} confidence): {channel.evidence}
      </div>
      <div class="stats">
        <Stat label="requests" value={formatCount(channel.requests)} />
        <Stat label="messages ↓/↑" value={`${formatCount(channel.messages.in)} / ${formatCount(channel.messages.out)}`} />
        <Stat label="bytes ↓/↑" value={`${formatBytes(channel.bytes.in)} / ${formatBytes(channel.bytes.out)}`} />
        <Stat label="waste" value={channel.wasteRatio === null ? '—' : `${formatPercent(channel.wasteRatio)} (${formatCount(channel.wasted)})`} />
        <Stat label={timing.label === 'every' ? 'interval' : timing.label === 'held' ? 'hold' : timing.label === 'gap' ? 'message gap' : 'duration'} value={formatMs(timing.ms)} />
        {/* The core measures a push connection from its creation to its first inbound message (src/core/metrics/latency.ts). */}
        <Stat label={isHttp(channel.transport) ? 'time to first byte' : 'time to first message'} value={formatMs(channel.timeToFirstByteMs?.median)} />
        <Stat label="heartbeat" value={channel.heartbeat ? describeHeartbeat(channel.heartbeat) : '—'} />
        <Stat label="reconnects" value={String(channel.reconnects.length)} />
        {channel.backoff ? <Stat label="backoff" value={describeBackoff(channel.backoff)} /> : null}
        {channel.load ? (
          <Stat
            label={`${isPolled(channel.kind) ? 'requests' : 'messages'} for ${formatCount(channel.load.users)} users`}
            value={formatRate(channel.load.requestsPerSecond)}
          />
        ) : null}
      </div>
      {timeline ? (
        <LaneTimeline name="channel-timeline" title="Timeline (drag to zoom and filter messages, wheel to zoom, shift+wheel to pan, double-click to reset)" data={timeline} theme={theme} onWindow={setWindow} />
      ) : (
        <div class="muted" role="status">Analysing the channel…</div>
      )}
      <div class="tabs" role="tablist">
        {(['messages', 'charts', 'findings', 'faults'] as Tab[]).map((t) => (
          <button type="button" role="tab" key={t} class={`tab ${tab === t ? 'active' : ''}`} aria-selected={tab === t} data-tab={t} onClick={() => setTab(t)}>
            {t === 'messages' ? `Messages (${formatCount(index.current.length)})` : t === 'charts' ? 'Charts' : t === 'findings' ? `Findings (${channel.findings.length})` : 'Fault injection'}
          </button>
        ))}
      </div>
      <div class="tab-body">
        {tab === 'messages' ? (
          <MessageList index={index.current} version={rowsVersion} origin={origin} window={window} onClearWindow={() => setWindow(null)} />
        ) : tab === 'charts' ? (
          series ? (
            <div class="charts-grid">
              <WasteChart waste={series.waste} origin={origin} theme={theme} />
              <LatencyHistogram title={isHttpDurations ? 'Request duration' : 'Message inter-arrival gap'} latency={series.latency} theme={theme} />
              <BackoffChart reconnects={series.reconnects} backoff={channel.backoff} theme={theme} />
              <HeartbeatChart heartbeat={series.heartbeat} theme={theme} note={heartbeatNote(channel)} />
            </div>
          ) : null
        ) : tab === 'findings' ? (
          <FindingsList channel={channel} />
        ) : (
          <FaultControls conn={target?.conn ?? null} transport={channel.transport} onInject={onInject} stalls={channel.stalls} />
        )}
      </div>
    </section>
  );
}
