import type { Classifier } from './types.ts';
import { plainRequests } from './http-cycles.ts';

/** Everything else: single requests and repeats without a timer's regularity (a user clicking twice). */
export const oneOffClassifier: Classifier = {
  kind: 'one-off',
  title: 'One-off requests',
  description: 'Requests that do not repeat on a regular timer.',
  classify(ctx) {
    const n = plainRequests(ctx).length || ctx.records.length;
    if (n <= 1) return { kind: 'one-off', confidence: 1, evidence: '1 request' };
    return {
      kind: 'one-off',
      confidence: n === 2 ? 0.9 : 0.7,
      evidence: n === 2 ? '2 requests (a timer needs 3 to show)' : `${n} requests at irregular intervals`,
    };
  },
};
