/** Classify a channel: the first classifier that recognises it wins, in this order. */
import type { ChannelContext } from '../context.ts';
import type { Classification, Classifier } from './types.ts';
import { websocketClassifier } from './websocket.ts';
import { sseClassifier } from './sse.ts';
import { streamingClassifier } from './streaming.ts';
import { longPollingClassifier } from './long-polling.ts';
import { pollingClassifier } from './polling.ts';
import { oneOffClassifier } from './one-off.ts';

/** Most specific first: transport facts, then body shape, then timing. */
export const CLASSIFIERS: readonly Classifier[] = [
  websocketClassifier,
  sseClassifier,
  streamingClassifier,
  longPollingClassifier,
  pollingClassifier,
  oneOffClassifier,
];

/** The channel's kind, confidence and evidence. */
export function classifyChannel(ctx: ChannelContext): Classification {
  for (const c of CLASSIFIERS) {
    const verdict = c.classify(ctx);
    if (verdict) return verdict;
  }
  return { kind: 'one-off', confidence: 0, evidence: 'no requests' };
}

export type { Classification, Classifier };
