/**
 * socket.io: v3/v4 (socket.io protocol 5 over engine.io protocol 4) and v2
 * (socket.io protocol 4 over engine.io protocol 3). Labels such as
 * `socket.io EVENT "chat"`; heartbeats are the engine.io ping/pong below it.
 */
import { ENGINE_IO_V3_TIMINGS, ENGINE_IO_V4_TIMINGS, engineFamilyDecoder } from './engine-io.ts';

export const socketIoDecoder = engineFamilyDecoder({
  id: 'socket.io',
  name: 'socket.io v3/v4',
  version: 4,
  socketIo: true,
  timings: ENGINE_IO_V4_TIMINGS,
});

export const socketIoV2Decoder = engineFamilyDecoder({
  id: 'socket.io-v2',
  name: 'socket.io v2 (engine.io protocol 3)',
  version: 3,
  socketIo: true,
  timings: ENGINE_IO_V3_TIMINGS,
});
