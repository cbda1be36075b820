/**
 * engine.io without socket.io on top (protocols 3 and 4), and the decoder
 * factory that the socket.io decoders share. Wire format: ./engine-io-wire.ts.
 */
import type { DecodedMessage, ProtocolDecoder, ProtocolHint, ProtocolTimings } from './types.ts';
import { decodeEngineFrame, isPostAcknowledgement, parseEngineFrame, parseSocketIoPacket, type EioVersion } from './engine-io-wire.ts';
import { defineDecoder, flattenDecoded, hintUrl, isRecord, plainMessage } from './util.ts';

/** engine.io protocol 4 heartbeat: the server pings, the client answers. */
export const ENGINE_IO_V4_TIMINGS: ProtocolTimings = {
  heartbeatMs: 25_000,
  heartbeatDirection: 'server',
  timeoutMs: 20_000,
  notes:
    'The server sends ping every pingInterval and the client answers pong; the client closes after pingInterval + pingTimeout without a ping. Both values are announced in the open packet, which overrides these defaults.',
  source:
    'engine.io 6.6.12 build/server.js (pingInterval: 25000, pingTimeout: 20000); engine.io-client 6.6.8 build/esm/socket.js (_resetPingTimeout, pong on ping)',
};

/** engine.io protocol 3 heartbeat: the client pings, the server answers. */
export const ENGINE_IO_V3_TIMINGS: ProtocolTimings = {
  heartbeatMs: 25_000,
  heartbeatDirection: 'client',
  timeoutMs: 5_000,
  notes:
    'The client sends ping every pingInterval and expects pong within pingTimeout; both come from the open packet, which overrides these defaults. pingTimeout defaulted to 5000 in engine.io 3.2.0-3.5.x (socket.io 2.0-2.4) and to 20000 from 3.6.0 (socket.io 2.5).',
  source:
    'engine.io 3.5.0 and 3.6.2 lib/server.js (pingTimeout || 5000, resp. || 20000; pingInterval || 25000); engine.io-client 3.5.6 lib/socket.js (setPing: ping every pingInterval)',
};

/** What the channel's URL and samples say about engine.io. */
interface EngineEvidence {
  pathFamily: 'socket.io' | 'engine.io' | null;
  eioParam: EioVersion | null;
  /**
   * The URL carries both EIO=<3|4> and transport=<polling|websocket|webtransport>: engine.io-client
   * adds them to every request of every transport (engine.io-client 6.6.8 build/esm/socket.js
   * createTransport: query.EIO = protocol; query.transport = name), whatever `path` the app chose.
   */
  queryFits: boolean;
  version: EioVersion | null;
  sawOpen: boolean;
  sawSocketIo: boolean;
  contradicted: boolean;
}

function gatherEvidence(hint: ProtocolHint): EngineEvidence {
  const url = hintUrl(hint);
  const path = url?.pathname ?? '';
  const eio = url?.searchParams.get('EIO');
  const eioParam: EioVersion | null = eio === '3' ? 3 : eio === '4' ? 4 : null;
  const queryFits = eioParam !== null && ['polling', 'websocket', 'webtransport'].includes(url?.searchParams.get('transport') ?? '');
  const pathFamily = path.includes('/socket.io/') || path.endsWith('/socket.io') ? 'socket.io' : path.includes('/engine.io') ? 'engine.io' : null;
  let sawOpen = false;
  let sawSocketIo = false;
  let contradicted = false;
  let openSaysV4: boolean | null = null;
  let pingDir: 'in' | 'out' | null = null;
  for (const s of hint.samples) {
    if (s.data.size === 0 || isPostAcknowledgement(s.data, s.dir)) continue;
    // Protocol 4 framing parses protocol-3 WebSocket frames too; payload framing is checked below.
    const packets = parseEngineFrame(s.data, eioParam ?? 4) ?? parseEngineFrame(s.data, 3);
    if (!packets) {
      contradicted = true;
      continue;
    }
    for (const p of packets) {
      if (p.type === 'open' && typeof p.data === 'string') {
        sawOpen = p.data.startsWith('{') && p.data.includes('"sid"');
        if (sawOpen) openSaysV4 = p.data.includes('"maxPayload"');
      } else if (p.type === 'ping' && p.data !== 'probe') pingDir = s.dir;
      else if (p.type === 'message' && typeof p.data === 'string') {
        if (parseSocketIoPacket(p.data, 5) || parseSocketIoPacket(p.data, 4)) sawSocketIo = true;
      }
    }
  }
  const version: EioVersion | null =
    eioParam ?? (openSaysV4 === true ? 4 : openSaysV4 === false ? 3 : pingDir === 'in' ? 4 : pingDir === 'out' ? 3 : null);
  return { pathFamily, eioParam, queryFits, version, sawOpen, sawSocketIo, contradicted };
}

/** Build an engine.io-family decoder for one protocol revision, with or without socket.io on top. */
export function engineFamilyDecoder(options: {
  id: string;
  name: string;
  version: EioVersion;
  socketIo: boolean;
  timings: ProtocolTimings;
}): ProtocolDecoder {
  const { id, version, socketIo } = options;
  const family = socketIo ? 'socket.io' : 'engine.io';
  return defineDecoder(
    {
      id,
      name: options.name,
      timings: options.timings,
      detect(hint) {
        const e = gatherEvidence(hint);
        if (e.version !== null && e.version !== version) return 0;
        const familyFits = e.pathFamily === family || (socketIo ? e.sawSocketIo : e.sawOpen && !e.sawSocketIo && e.pathFamily !== 'socket.io');
        if (!familyFits) {
          // An app-chosen path and no payload that tells (a WebSocket upgrade that failed before opening,
          // handshake polls that got no body, a capture without bodies): engine.io-client's own query
          // parameters still name the family. socket.io is by far the more common user of engine.io.
          if (!e.queryFits || e.contradicted || e.pathFamily !== null || e.sawOpen || e.sawSocketIo) return 0;
          return socketIo ? 0.6 : 0.5;
        }
        let score = e.pathFamily === family ? (e.eioParam ? 0.95 : 0.85) : e.eioParam ? 0.85 : 0.7;
        if (e.contradicted) score = Math.min(score, e.pathFamily === family ? 0.6 : 0.2);
        // Without any version evidence, protocol 4 (current) is the better guess.
        if (e.version === null && version === 3) score -= 0.1;
        return score;
      },
      decode(data, dir): DecodedMessage {
        return decodeEngineFrame(id, data, dir, version, socketIo) ?? plainMessage(id, data);
      },
      negotiatedTimings(messages) {
        // The open packet announces the session's pingInterval and pingTimeout.
        for (const m of messages) {
          if (m.dir !== 'in') continue;
          const decoded = decodeEngineFrame(id, m.data, m.dir, version, socketIo);
          for (const d of decoded ? flattenDecoded(decoded) : []) {
            const handshake = isRecord(d.value) && d.value.engine === 'open' && isRecord(d.value.handshake) ? d.value.handshake : null;
            if (!handshake || typeof handshake.pingInterval !== 'number') continue;
            return {
              ...options.timings,
              heartbeatMs: handshake.pingInterval,
              timeoutMs: typeof handshake.pingTimeout === 'number' ? handshake.pingTimeout : options.timings.timeoutMs,
              notes: `From this session's open packet. ${options.timings.notes ?? ''}`.trim(),
            };
          }
        }
        return null;
      },
    },
    (data) => plainMessage(id, data),
  );
}

export const engineIoDecoder = engineFamilyDecoder({
  id: 'engine.io',
  name: 'engine.io (protocol 4)',
  version: 4,
  socketIo: false,
  timings: ENGINE_IO_V4_TIMINGS,
});

export const engineIoV3Decoder = engineFamilyDecoder({
  id: 'engine.io-v3',
  name: 'engine.io (protocol 3)',
  version: 3,
  socketIo: false,
  timings: ENGINE_IO_V3_TIMINGS,
});
