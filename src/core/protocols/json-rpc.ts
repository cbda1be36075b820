/**
 * JSON-RPC 2.0 (jsonrpc.org/specification): requests `{jsonrpc: "2.0",
 * method, params?, id}`, notifications (no id), responses `{jsonrpc, result |
 * error, id}`, and batches (arrays of those).
 */
import type { DecodedMessage, ProtocolDecoder } from './types.ts';
import { combineMessages, defineDecoder, isRecord, parseJson, payloadText, plainMessage, quote, sampleScore } from './util.ts';

function describeOne(v: unknown): DecodedMessage | null {
  if (!isRecord(v) || v.jsonrpc !== '2.0') return null;
  const id = typeof v.id === 'string' || typeof v.id === 'number' ? ` id=${v.id}` : '';
  if (typeof v.method === 'string') {
    const kind = 'id' in v ? 'request' : 'notification';
    return { protocol: 'json-rpc', role: 'data', label: `json-rpc ${kind} ${quote(v.method)}${id}`, value: v };
  }
  if (isRecord(v.error)) {
    const message = typeof v.error.message === 'string' ? ` ${quote(v.error.message)}` : '';
    return { protocol: 'json-rpc', role: 'error', label: `json-rpc error ${String(v.error.code)}${message}${id}`, value: v };
  }
  if ('result' in v) return { protocol: 'json-rpc', role: 'ack', label: `json-rpc result${id}`, value: v };
  return null;
}

/** A JSON value as JSON-RPC 2.0 (single or batch); null when it is not. */
export function describeJsonRpc(value: unknown): DecodedMessage | null {
  if (Array.isArray(value)) {
    if (value.length === 0) return null;
    const parts: DecodedMessage[] = [];
    for (const item of value) {
      const d = describeOne(item);
      if (!d) return null;
      parts.push(d);
    }
    return combineMessages('json-rpc', parts, 'batch');
  }
  return describeOne(value);
}

export const jsonRpcDecoder: ProtocolDecoder = defineDecoder(
  {
    id: 'json-rpc',
    name: 'JSON-RPC 2.0',
    timings: null,
    detect(hint) {
      // Generic envelope: a named protocol on top of it should win.
      return Math.min(0.7, sampleScore(hint, (data) => {
        const json = parseJson(payloadText(data));
        return json && describeJsonRpc(json.value) ? 'strong' : 'no';
      }));
    },
    decode(data) {
      const json = parseJson(payloadText(data));
      return (json && describeJsonRpc(json.value)) || plainMessage('json-rpc', data);
    },
  },
  (data) => plainMessage('json-rpc', data),
);
