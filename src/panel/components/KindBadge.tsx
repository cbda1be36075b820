import type { ChannelKind } from '../../core/report-types.ts';

const LABEL: Record<ChannelKind, string> = {
  polling: 'Polling',
  'long-polling': 'Long-poll',
  sse: 'SSE',
  websocket: 'WebSocket',
  streaming: 'Streaming',
  'one-off': 'One-off',
};

/** The channel kind as a coloured badge. */
export function KindBadge({ kind }: { kind: ChannelKind }) {
  return <span class={`badge kind-${kind}`} data-kind={kind}>{LABEL[kind]}</span>;
}
