import type { ChannelKind } from '../../core/index.ts';

const LABEL: Record<ChannelKind, string> = {
  polling: 'Polling',
  'long-polling': 'Long-poll',
  sse: 'SSE',
  websocket: 'WebSocket',
  streaming: 'Streaming',
  'one-off': 'One-off',
};

/**
 * The channel kind as a coloured badge. A WebTransport session classifies as a bidirectional
 * push channel (kind `websocket`) but is named for what it is.
 */
export function KindBadge({ kind, transport }: { kind: ChannelKind; transport?: string }) {
  const label = transport === 'webtransport' ? 'WebTransport' : LABEL[kind];
  return <span class={`badge kind-${kind}`} data-kind={kind}>{label}</span>;
}
