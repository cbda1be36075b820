/**
 * Plain JSON with no known envelope: labelled by its shape and its type-like
 * field (type, event, op, action), so that users see `json type="update"`.
 */
import { describeSchemaless } from './schemaless.ts';
import type { DecodedMessage, ProtocolDecoder } from './types.ts';
import { defineDecoder, parseJson, payloadText, plainMessage } from './util.ts';

/** A parsed JSON value labelled for display. */
export function describeJson(value: unknown): DecodedMessage {
  return describeSchemaless('json', { value, incomplete: false });
}

export const jsonDecoder: ProtocolDecoder = defineDecoder(
  {
    id: 'json',
    name: 'JSON',
    timings: null,
    detect(hint) {
      let n = 0;
      for (const s of hint.samples) {
        if (s.data.size === 0) continue;
        if (s.data.encoding !== 'text') return 0;
        const json = parseJson(s.data.data);
        // A truncated capture cuts JSON short: give it the benefit of the doubt when it starts like JSON.
        if (!json && !(s.data.truncated && /^\s*[[{]/.test(s.data.data))) return 0;
        if (json && (json.value === null || typeof json.value !== 'object')) return 0;
        n++;
      }
      return n ? 0.3 : 0;
    },
    decode(data) {
      const json = parseJson(payloadText(data));
      return json ? describeJson(json.value) : plainMessage('json', data);
    },
  },
  (data) => plainMessage('json', data),
);
