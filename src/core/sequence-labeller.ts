/**
 * Per-connection decoding for protocols whose packets may span several messages (MQTT over
 * WebSocket, STOMP frames split or batched): one sequence decoder per connection, fed each
 * message once, in order. The analysis (protocol-support.ts, roles) and the panel's message
 * list (panel/messages.ts, labels) each hold their own labeller: the same code, each with its
 * own state, as each sees the messages at its own pace.
 */
import type { Direction, Payload } from './events.ts';
import type { DecodedMessage, ProtocolDecoder } from './protocols/types.ts';

type SequenceDecode = (message: { dir: Direction; data: Payload }) => DecodedMessage;

export class SequenceLabeller {
  private readonly byConn = new Map<string, { decode: SequenceDecode; fed: number }>();

  private constructor(private readonly decoder: ProtocolDecoder & { sequenceDecoder: () => SequenceDecode }) {}

  /** A labeller for `decoder`, or null when its protocol decodes each message on its own. */
  static of(decoder: ProtocolDecoder | undefined | null): SequenceLabeller | null {
    return decoder?.sequenceDecoder ? new SequenceLabeller(decoder as ProtocolDecoder & { sequenceDecoder: () => SequenceDecode }) : null;
  }

  /** Messages of `conn` fed so far (with no payload too): where to go on from. */
  fed(conn: string): number {
    return this.byConn.get(conn)?.fed ?? 0;
  }

  /**
   * Feed the next message of `conn`; its decoding, or null when it has no payload (counted, not
   * decoded). Never throws: a decoder failure reads as a plain data message.
   */
  next(conn: string, dir: Direction, data: Payload | null): DecodedMessage | null {
    let state = this.byConn.get(conn);
    if (!state) {
      state = { decode: this.decoder.sequenceDecoder(), fed: 0 };
      this.byConn.set(conn, state);
    }
    state.fed++;
    if (data === null) return null;
    try {
      return state.decode({ dir, data });
    } catch {
      return { protocol: this.decoder.id, role: 'data', label: '', value: null };
    }
  }
}
