/**
 * STOMP 1.0-1.2 over WebSocket (stomp.github.io/stomp-specification-1.2.html;
 * client @stomp/stompjs 7.5.0; subprotocols v10.stomp, v11.stomp, v12.stomp).
 * Frame: COMMAND EOL, header:value lines, an empty line, the body, NUL.
 * A frame made of end-of-line characters alone is a heart-beat. Heart-beat
 * periods are negotiated: each side's `heart-beat: cx,cy` header; the client
 * sends every max(cx, sy) ms when both are non-zero, and expects a frame every
 * max(sx, cy) ms.
 */
import type { Direction, Payload } from '../events.ts';
import type { DecodedMessage, MessageRole, ProtocolDecoder, ProtocolTimings } from './types.ts';
import { combineMessages, defineDecoder, payloadText, plainMessage, quote, sampleScore, subprotocolScore } from './util.ts';

/**
 * @stomp/stompjs closes the socket when the server was silent for the
 * incoming heart-beat period times this (7.5.0 src/client.ts
 * heartbeatToleranceMultiplier = 2, checked in src/stomp-handler.ts
 * _setupHeartbeat). The specification leaves the tolerance to the client.
 */
const STOMPJS_TOLERANCE = 2;

export const STOMP_TIMINGS: ProtocolTimings = {
  // @stomp/stompjs 7.5.0 src/client.ts: heartbeatOutgoing = 10000, heartbeatIncoming = 10000 (sent as CONNECT heart-beat:10000,10000).
  heartbeatMs: 10_000,
  // Both sides send end-of-line heart-beats when both headers allow it (STOMP 1.2 Heart-beating).
  heartbeatDirection: 'both',
  // src/stomp-handler.ts _setupHeartbeat: closes after heartbeatIncoming × heartbeatToleranceMultiplier without server activity.
  timeoutMs: 10_000 * STOMPJS_TOLERANCE,
  notes:
    'Negotiated per connection from the CONNECT and CONNECTED heart-beat headers (STOMP 1.2 "Heart-beating"); 10000 ms each way is the @stomp/stompjs default request, and it drops the connection after twice the server period without a frame. Read the CONNECTED frame for the agreed periods.',
  source:
    '@stomp/stompjs 7.5.0 src/client.ts (heartbeatIncoming = 10000, heartbeatOutgoing = 10000, heartbeatToleranceMultiplier = 2), src/stomp-handler.ts (_setupHeartbeat); STOMP 1.2 specification, Heart-beating',
};

const ROLES: Record<string, MessageRole> = {
  CONNECT: 'handshake',
  STOMP: 'handshake',
  CONNECTED: 'handshake',
  SEND: 'data',
  MESSAGE: 'data',
  SUBSCRIBE: 'control',
  UNSUBSCRIBE: 'control',
  BEGIN: 'control',
  COMMIT: 'control',
  ABORT: 'control',
  ACK: 'ack',
  NACK: 'ack',
  RECEIPT: 'ack',
  ERROR: 'error',
  DISCONNECT: 'close',
};

interface StompFrame {
  command: string;
  headers: Array<[string, string]>;
  body: string;
}

/** STOMP 1.2 header value escapes (not applied to CONNECT/CONNECTED). */
function unescapeHeader(value: string): string {
  return value.replace(/\\([rnc\\])/g, (_, c: string) => (c === 'r' ? '\r' : c === 'n' ? '\n' : c === 'c' ? ':' : '\\'));
}

/** All frames of one WebSocket message; null when it is not STOMP. */
export function parseStompFrames(text: string): StompFrame[] | 'heartbeat' | null {
  if (/^(\r?\n)+$/.test(text)) return 'heartbeat';
  const frames: StompFrame[] = [];
  let i = 0;
  while (i < text.length) {
    while (text[i] === '\n' || (text[i] === '\r' && text[i + 1] === '\n')) i += text[i] === '\r' ? 2 : 1;
    if (i >= text.length) break;
    const lineEnd = text.indexOf('\n', i);
    if (lineEnd < 0) return null;
    const command = text.slice(i, lineEnd).replace(/\r$/, '');
    if (!(command in ROLES)) return null;
    i = lineEnd + 1;
    const headers: Array<[string, string]> = [];
    for (;;) {
      const end = text.indexOf('\n', i);
      if (end < 0) return null;
      const line = text.slice(i, end).replace(/\r$/, '');
      i = end + 1;
      if (line === '') break;
      const colon = line.indexOf(':');
      if (colon <= 0) return null;
      const raw = line.slice(colon + 1);
      headers.push([line.slice(0, colon), command === 'CONNECT' || command === 'CONNECTED' ? raw : unescapeHeader(raw)]);
    }
    const nul = text.indexOf('\0', i);
    // A payload captured up to a size cap may lose the terminating NUL: keep what is there.
    const bodyEnd = nul < 0 ? text.length : nul;
    frames.push({ command, headers, body: text.slice(i, bodyEnd) });
    i = nul < 0 ? text.length : nul + 1;
  }
  return frames.length ? frames : null;
}

function header(f: StompFrame, name: string): string | undefined {
  return f.headers.find(([k]) => k === name)?.[1];
}

function describe(f: StompFrame): DecodedMessage {
  let label = `stomp ${f.command}`;
  const destination = header(f, 'destination');
  if (destination) label += ` ${destination}`;
  const heartBeat = header(f, 'heart-beat');
  if (heartBeat && (f.command === 'CONNECT' || f.command === 'STOMP' || f.command === 'CONNECTED')) label += ` heart-beat=${heartBeat}`;
  const message = header(f, 'message');
  if (f.command === 'ERROR' && message) label += ` ${quote(message)}`;
  const receipt = header(f, 'receipt-id');
  if (receipt) label += ` receipt-id=${receipt}`;
  return {
    protocol: 'stomp',
    role: ROLES[f.command] ?? 'data',
    label,
    value: { command: f.command, headers: Object.fromEntries(f.headers), body: f.body },
  };
}

/** One STOMP message (frames or a heart-beat) decoded; null when the text is not STOMP. */
export function decodeStomp(text: string): DecodedMessage | null {
  const frames = parseStompFrames(text);
  if (frames === null) return null;
  if (frames === 'heartbeat') return { protocol: 'stomp', role: 'heartbeat', label: 'stomp heart-beat', value: { heartbeat: true } };
  return combineMessages('stomp', frames.map(describe), 'frames');
}

/** `heart-beat: x,y` as two numbers (0,0 when absent: no heart-beating). */
function heartBeatPair(value: string | undefined): [number, number] {
  const [x, y] = (value ?? '0,0').split(',').map((n) => Number(n.trim()));
  return [Number.isFinite(x) ? x! : 0, Number.isFinite(y) ? y! : 0];
}

/**
 * STOMP 1.2 "Heart-beating": with CONNECT heart-beat cx,cy and CONNECTED sx,sy,
 * the client sends every max(cx, sy) ms (none if either is 0) and the server
 * every max(sx, cy) ms.
 */
function negotiatedTimings(messages: ReadonlyArray<{ dir: Direction; data: Payload }>): ProtocolTimings | null {
  let connect: [number, number] | null = null;
  let connected: [number, number] | null = null;
  for (const m of messages) {
    const frames = parseStompFrames(payloadText(m.data));
    if (!Array.isArray(frames)) continue;
    for (const f of frames) {
      if ((f.command === 'CONNECT' || f.command === 'STOMP') && !connect) connect = heartBeatPair(header(f, 'heart-beat'));
      if (f.command === 'CONNECTED' && !connected) connected = heartBeatPair(header(f, 'heart-beat'));
    }
    if (connect && connected) break;
  }
  if (!connect || !connected) return null;
  const [cx, cy] = connect;
  const [sx, sy] = connected;
  const clientEvery = cx && sy ? Math.max(cx, sy) : 0;
  const serverEvery = sx && cy ? Math.max(sx, cy) : 0;
  const periods = [clientEvery, serverEvery].filter((p) => p > 0);
  return {
    ...STOMP_TIMINGS,
    heartbeatMs: periods.length ? Math.min(...periods) : undefined,
    heartbeatDirection: clientEvery && serverEvery ? 'both' : clientEvery ? 'client' : serverEvery ? 'server' : undefined,
    // The client checks server activity only when the server heart-beats.
    timeoutMs: serverEvery ? serverEvery * STOMPJS_TOLERANCE : undefined,
    notes: `Negotiated: CONNECT heart-beat ${cx},${cy}, CONNECTED heart-beat ${sx},${sy}: the client sends every ${clientEvery || 'never'}${clientEvery ? ' ms' : ''}, the server every ${serverEvery || 'never'}${serverEvery ? ' ms' : ''}.`,
  };
}

export const stompDecoder: ProtocolDecoder = defineDecoder(
  {
    id: 'stomp',
    name: 'STOMP',
    timings: STOMP_TIMINGS,
    detect(hint) {
      const sub = subprotocolScore(hint, ['v10.stomp', 'v11.stomp', 'v12.stomp']);
      if (sub) return sub;
      return sampleScore(hint, (data) => {
        const frames = parseStompFrames(payloadText(data));
        if (frames === null) return 'no';
        return frames === 'heartbeat' ? 'fits' : 'strong';
      });
    },
    decode(data) {
      return decodeStomp(payloadText(data)) ?? plainMessage('stomp', data);
    },
    negotiatedTimings,
  },
  (data) => plainMessage('stomp', data),
);
