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

const HEARTBEAT = /^(\r?\n)+$/;
const COMMANDS = Object.keys(ROLES);

/** What a run of STOMP text holds: the NUL-terminated frames, then the start of one that has not ended. */
interface Scan {
  frames: StompFrame[];
  /** Text of the unfinished frame ('' when the text ends between frames). */
  rest: string;
  /** The unfinished frame's command, once its command line is complete. */
  restCommand: string | null;
  /** The unfinished frame so far, once its headers are complete (the body is what has arrived). */
  restFrame: StompFrame | null;
}

/** Scan STOMP text into frames; null when it is not STOMP. */
function scanFrames(text: string): Scan | null {
  const frames: StompFrame[] = [];
  let i = 0;
  for (;;) {
    while (text[i] === '\n' || (text[i] === '\r' && text[i + 1] === '\n')) i += text[i] === '\r' ? 2 : 1;
    if (i >= text.length) return { frames, rest: '', restCommand: null, restFrame: null };
    const start = i;
    const lineEnd = text.indexOf('\n', i);
    if (lineEnd < 0) {
      // The command line itself is cut: still STOMP if it begins a command.
      const partial = text.slice(i).replace(/\r$/, '');
      return COMMANDS.some((c) => c.startsWith(partial)) ? { frames, rest: text.slice(start), restCommand: null, restFrame: null } : null;
    }
    const command = text.slice(i, lineEnd).replace(/\r$/, '');
    // Own keys only: a command line "constructor" or "__proto__" names no STOMP command.
    if (!Object.hasOwn(ROLES, command)) return null;
    i = lineEnd + 1;
    const headers: Array<[string, string]> = [];
    for (;;) {
      const end = text.indexOf('\n', i);
      if (end < 0) {
        const partial = text.slice(i);
        if (partial !== '' && partial !== '\r' && partial.indexOf(':') === 0) return null;
        return { frames, rest: text.slice(start), restCommand: command, restFrame: null };
      }
      const line = text.slice(i, end).replace(/\r$/, '');
      i = end + 1;
      if (line === '') break;
      const colon = line.indexOf(':');
      if (colon <= 0) return null;
      const raw = line.slice(colon + 1);
      headers.push([line.slice(0, colon), command === 'CONNECT' || command === 'CONNECTED' ? raw : unescapeHeader(raw)]);
    }
    const nul = text.indexOf('\0', i);
    if (nul < 0) return { frames, rest: text.slice(start), restCommand: command, restFrame: { command, headers, body: text.slice(i) } };
    frames.push({ command, headers, body: text.slice(i, nul) });
    i = nul + 1;
  }
}

/**
 * All frames of one WebSocket message; null when it is not STOMP. A last
 * frame without its NUL is kept with the body that is there (a payload
 * captured up to a size cap loses its end).
 */
export function parseStompFrames(text: string): StompFrame[] | 'heartbeat' | null {
  if (HEARTBEAT.test(text)) return 'heartbeat';
  const scan = scanFrames(text);
  if (!scan) return null;
  if (scan.rest !== '') {
    if (!scan.restFrame) return null;
    scan.frames.push(scan.restFrame);
  }
  return scan.frames.length ? scan.frames : null;
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

/**
 * The piece of a frame that spans WebSocket messages: @stomp/stompjs with
 * splitLargeFrames sends a frame in maxWebSocketChunkSize pieces (7.5.0
 * src/stomp-handler.ts _transmit), and its parser reads frames across messages.
 */
function describePart(scan: Scan, size: number, frameStart: boolean): DecodedMessage {
  const base = scan.restFrame ? describe(scan.restFrame) : scan.restCommand ? { role: ROLES[scan.restCommand]!, label: `stomp ${scan.restCommand}` } : { role: 'data' as const, label: 'stomp frame' };
  return {
    protocol: 'stomp',
    role: base.role,
    label: `${base.label} (${frameStart ? 'start' : 'part'}, ${size} B)`,
    value: { command: scan.restCommand, fragment: true, size },
  };
}

const utf8Size = (text: string) => new TextEncoder().encode(text).length;

/** One connection's messages, decoded as they come: the unfinished frame of each direction is kept. */
function sequenceDecoder(): (message: { dir: Direction; data: Payload }) => DecodedMessage {
  const pending: Record<Direction, string> = { in: '', out: '' };
  return ({ dir, data }) => {
    const text = payloadText(data);
    // End-of-line only is a heart-beat even while a frame is pending: a piece of a split frame is
    // maxWebSocketChunkSize of it (8 KiB by default), never only line ends in practice.
    if (HEARTBEAT.test(text)) return { protocol: 'stomp', role: 'heartbeat', label: 'stomp heart-beat', value: { heartbeat: true } };
    let before = pending[dir];
    if (before !== '') {
      // A message that starts with a whole command line and headers is a new frame: the pending one
      // ended without its NUL (a server that omits it). Start afresh rather than read every later
      // message as part of that frame. A piece of a split frame starts inside a body, so it does not.
      const alone = scanFrames(text);
      if (alone && (alone.frames.length > 0 || alone.restFrame !== null)) before = '';
    }
    const scan = scanFrames(before + text);
    if (!scan) {
      pending[dir] = '';
      return decodeStomp(text) ?? plainMessage('stomp', data);
    }
    const parts = scan.frames.map(describe);
    if (scan.rest !== '' && data.truncated) {
      // The capture cut this message: what is there of the frame is all there will be.
      pending[dir] = '';
      if (scan.restFrame) parts.push(describe(scan.restFrame));
    } else if (scan.rest !== '') {
      pending[dir] = scan.rest;
      // The unfinished frame is a suffix of (before + text): it began in this message when it is no longer than the text.
      const frameStart = scan.rest.length <= text.length;
      parts.push(describePart(scan, utf8Size(frameStart ? scan.rest : text), frameStart));
    } else pending[dir] = '';
    if (parts.length === 0) return decodeStomp(text) ?? plainMessage('stomp', data);
    return combineMessages('stomp', parts, 'frames');
  };
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
      // Decoded in order, so that the pieces of a split frame read as STOMP too.
      const sequence = hint.samples.map(sequenceDecoder());
      const decoded = new Map(hint.samples.map((s, i) => [s.data, sequence[i]!] as const));
      return sampleScore(hint, (data) => {
        const d = decoded.get(data);
        if (!d || d.label.startsWith('stomp text ') || d.label.startsWith('stomp binary ')) return 'no';
        return d.role === 'heartbeat' ? 'fits' : 'strong';
      });
    },
    decode(data) {
      return decodeStomp(payloadText(data)) ?? plainMessage('stomp', data);
    },
    sequenceDecoder,
    negotiatedTimings,
  },
  (data) => plainMessage('stomp', data),
);
