/**
 * The one per-connection sequence labeller the analysis and the panel share
 * (src/core/sequence-labeller.ts): each connection keeps its own decoder state, every
 * message is fed once in order, messages without payload count but are not decoded,
 * and a decoder that throws reads as plain data.
 */
import { describe, expect, it } from 'vitest';
import { SequenceLabeller } from '../../src/core/sequence-labeller.ts';
import { getDecoder } from '../../src/core/protocols/index.ts';
import type { Payload } from '../../src/core/events.ts';
import type { ProtocolDecoder } from '../../src/core/protocols/types.ts';

const text = (data: string): Payload => ({ size: data.length, encoding: 'text', data, truncated: false });

/** A framing where a packet ends at ';': the label is the packet completed by the message, if any. */
const semicolons: ProtocolDecoder = {
  id: 'semi',
  name: 'semicolon packets',
  timings: null,
  detect: () => 0,
  decode: (data) => ({ protocol: 'semi', role: 'data', label: data.data, value: null }),
  sequenceDecoder() {
    let pending = '';
    return ({ data }) => {
      if (data.data === 'boom') throw new Error('bad frame');
      pending += data.data;
      const end = pending.indexOf(';');
      if (end < 0) return { protocol: 'semi', role: 'control', label: '', value: null };
      const packet = pending.slice(0, end);
      pending = pending.slice(end + 1);
      return { protocol: 'semi', role: 'data', label: packet, value: null };
    };
  },
};

describe('SequenceLabeller', () => {
  it('keeps each connection’s unfinished packet apart, and counts what it was fed', () => {
    const l = SequenceLabeller.of(semicolons)!;
    expect(l.next('a', 'in', text('hel'))?.label).toBe('');
    expect(l.next('b', 'in', text('x;'))?.label).toBe('x');
    expect(l.next('a', 'in', null)).toBeNull();
    expect(l.next('a', 'in', text('lo;'))?.label).toBe('hello');
    expect(l.fed('a')).toBe(3);
    expect(l.fed('b')).toBe(1);
    expect(l.fed('c')).toBe(0);
  });

  it('never throws: a failing decoder reads as plain data', () => {
    const l = SequenceLabeller.of(semicolons)!;
    expect(l.next('a', 'in', text('boom'))).toMatchObject({ role: 'data', label: '' });
    expect(l.fed('a')).toBe(1);
  });

  it('exists only for protocols whose packets span messages', () => {
    expect(SequenceLabeller.of(getDecoder('mqtt'))).not.toBeNull();
    expect(SequenceLabeller.of(getDecoder('stomp'))).not.toBeNull();
    expect(SequenceLabeller.of(getDecoder('socket.io'))).toBeNull();
    expect(SequenceLabeller.of(undefined)).toBeNull();
  });
});
