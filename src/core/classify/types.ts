/** The contract of one channel classifier (one file per kind, Lighthouse-audit style). */
import type { ChannelContext } from '../context.ts';
import type { ChannelKind } from '../report-types.ts';

export interface Classification {
  kind: ChannelKind;
  /** 0..1 */
  confidence: number;
  /** The numbers behind the verdict, in one readable line. */
  evidence: string;
}

export interface Classifier {
  kind: ChannelKind;
  title: string;
  /** How the kind is recognised (shown in docs and tooltips). */
  description: string;
  /** A verdict, or null when the channel is not of this kind. */
  classify(ctx: ChannelContext): Classification | null;
}
