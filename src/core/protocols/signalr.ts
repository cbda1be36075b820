/**
 * ASP.NET Core SignalR, JSON hub protocol (@microsoft/signalr 10.0.11,
 * src/TextMessageFormat.ts, src/IHubProtocol.ts, src/HandshakeProtocol.ts).
 * Records end with the record separator \x1e; the first client record is the
 * handshake `{"protocol":"json","version":1}` answered by `{}` (or
 * `{"error":...}`); then `{type: 1..9}`: 1 Invocation, 2 StreamItem,
 * 3 Completion, 4 StreamInvocation, 5 CancelInvocation, 6 Ping, 7 Close,
 * 8 Ack, 9 Sequence.
 */
import type { DecodedMessage, MessageRole, ProtocolDecoder, ProtocolTimings } from './types.ts';
import { combineMessages, defineDecoder, hintUrl, isRecord, parseJson, payloadText, plainMessage, quote, sampleScore } from './util.ts';

export const SIGNALR_TIMINGS: ProtocolTimings = {
  // @microsoft/signalr 10.0.11 src/HubConnection.ts: DEFAULT_PING_INTERVAL_IN_MS = 15 * 1000 (ASP.NET Core KeepAliveInterval is 15 s too).
  heartbeatMs: 15_000,
  // src/HubConnection.ts: the client pings ({"type":6}) and the server pings on its own timer.
  heartbeatDirection: 'both',
  // src/HubConnection.ts _resetKeepAliveInterval: every send pushes the next client ping back.
  idleOnly: true,
  // src/HubConnection.ts: DEFAULT_TIMEOUT_IN_MS = 30 * 1000 (serverTimeoutInMilliseconds).
  timeoutMs: 30_000,
  notes:
    'The client sends a Ping (type 6) when it has sent nothing for keepAliveIntervalInMilliseconds and disconnects when nothing arrives for serverTimeoutInMilliseconds; the ASP.NET Core server sends Pings every KeepAliveInterval (15 s by default).',
  source:
    '@microsoft/signalr 10.0.11 src/HubConnection.ts (DEFAULT_PING_INTERVAL_IN_MS = 15 * 1000, DEFAULT_TIMEOUT_IN_MS = 30 * 1000); ASP.NET Core HubOptions.KeepAliveInterval (default 15 seconds)',
};

const RECORD_SEPARATOR = '\x1e';

const TYPES: Record<number, [string, MessageRole]> = {
  1: ['invocation', 'data'],
  2: ['stream item', 'data'],
  3: ['completion', 'ack'],
  4: ['stream invocation', 'data'],
  5: ['cancel invocation', 'control'],
  6: ['ping', 'heartbeat'],
  7: ['close', 'close'],
  8: ['ack', 'ack'],
  9: ['sequence', 'control'],
};

function describeRecord(v: Record<string, unknown>): DecodedMessage | null {
  if (v.type === undefined) {
    // Handshake request {protocol, version} or response {} / {error}.
    if (typeof v.protocol === 'string') {
      return { protocol: 'signalr', role: 'handshake', label: `signalr handshake ${v.protocol} v${String(v.version)}`, value: v };
    }
    if (typeof v.error === 'string') return { protocol: 'signalr', role: 'error', label: `signalr handshake error ${quote(v.error)}`, value: v };
    if (Object.keys(v).length === 0) return { protocol: 'signalr', role: 'handshake', label: 'signalr handshake response', value: v };
    return null;
  }
  const known = typeof v.type === 'number' ? TYPES[v.type] : undefined;
  if (!known) return null;
  const [name, baseRole] = known;
  let label = `signalr ${name}`;
  let role = baseRole;
  if (typeof v.target === 'string') label += ` ${quote(v.target)}`;
  if (typeof v.invocationId === 'string') label += ` id=${v.invocationId}`;
  if (v.type === 3 && typeof v.error === 'string') {
    role = 'error';
    label += ` error ${quote(v.error)}`;
  }
  if (v.type === 7 && typeof v.error === 'string') label += ` ${quote(v.error)}`;
  if (v.type === 7 && v.allowReconnect === true) label += ' (allowReconnect)';
  return { protocol: 'signalr', role, label, value: v };
}

/**
 * The negotiate response (src/HttpConnection.ts INegotiateResponse): the
 * transports the server offers and the connection token, a redirect
 * (url + accessToken, e.g. Azure SignalR Service), or an error.
 */
function describeNegotiate(v: Record<string, unknown>): DecodedMessage | null {
  if (v.type !== undefined || v.protocol !== undefined) return null;
  if (Array.isArray(v.availableTransports)) {
    const names = v.availableTransports.map((t) => (isRecord(t) && typeof t.transport === 'string' ? t.transport : '?'));
    const version = typeof v.negotiateVersion === 'number' ? ` v${v.negotiateVersion}` : '';
    return { protocol: 'signalr', role: 'handshake', label: `signalr negotiate${version}: ${names.join(', ') || 'no transports'}`, value: v };
  }
  if (typeof v.url === 'string' && 'accessToken' in v) {
    return { protocol: 'signalr', role: 'handshake', label: `signalr negotiate redirect ${quote(v.url)}`, value: v };
  }
  if (typeof v.error === 'string' && Object.keys(v).length === 1) {
    return { protocol: 'signalr', role: 'error', label: `signalr negotiate error ${quote(v.error)}`, value: v };
  }
  return null;
}

/** The records of one frame; null unless it is \x1e-terminated JSON records (or the negotiate response). */
function decodeSignalR(text: string): DecodedMessage | null {
  if (!text.endsWith(RECORD_SEPARATOR)) {
    const json = parseJson(text);
    return json && isRecord(json.value) ? describeNegotiate(json.value) : null;
  }
  const records = text.split(RECORD_SEPARATOR).slice(0, -1);
  const parts: DecodedMessage[] = [];
  for (const r of records) {
    const json = parseJson(r);
    if (!json || !isRecord(json.value)) return null;
    const d = describeRecord(json.value);
    if (!d) return null;
    parts.push(d);
  }
  return parts.length ? combineMessages('signalr', parts, 'records') : null;
}

export const signalrDecoder: ProtocolDecoder = defineDecoder(
  {
    id: 'signalr',
    name: 'SignalR (JSON hub protocol)',
    timings: SIGNALR_TIMINGS,
    detect(hint) {
      const url = hintUrl(hint);
      // The negotiate round trip: POST <hub>/negotiate?negotiateVersion=1.
      if (url?.pathname.endsWith('/negotiate') && url.searchParams.has('negotiateVersion')) return 0.8;
      // \x1e-terminated JSON records are specific enough on their own, and so is a negotiate response
      // listing transports; a bare {"error": ...} or {url, accessToken} is not.
      return sampleScore(hint, (data) => {
        const d = decodeSignalR(payloadText(data));
        if (!d) return 'no';
        if (!d.label.startsWith('signalr negotiate')) return 'strong';
        return isRecord(d.value) && Array.isArray(d.value.availableTransports) ? 'strong' : 'fits';
      });
    },
    decode(data) {
      return decodeSignalR(payloadText(data)) ?? plainMessage('signalr', data);
    },
  },
  (data) => plainMessage('signalr', data),
);
