/**
 * Every channel as one lane, so a user sees how polling requests, push
 * messages and reconnects interleave across the page. The lanes are built by
 * the analysis (timelines.ts pageTimeline), off the panel's thread.
 */
import { LaneTimeline } from '../charts/LaneTimeline.tsx';
import type { LaneData } from '../timeline-data.ts';

export function PageTimeline({ data, theme }: { data: LaneData; theme: string }) {
  if (data.lanes.length === 0) return null;
  return <LaneTimeline name="page-timeline" title="Page timeline: one lane per channel (drag to zoom, double-click to reset)" data={data} theme={theme} />;
}
