/**
 * Every channel as one lane, so a user sees how polling requests, push
 * messages and reconnects interleave across the page.
 */
import { useMemo } from 'preact/hooks';
import type { ChannelReport } from '../../core/report-types.ts';
import { LaneTimeline } from '../charts/LaneTimeline.tsx';
import type { PanelStore } from '../store.ts';
import { captureOrigin, pageTimeline } from '../timelines.ts';

export function PageTimeline({ store, channels, version, theme }: { store: PanelStore; channels: readonly ChannelReport[]; version: number; theme: string }) {
  const data = useMemo(() => {
    const events = store.events();
    const origin = captureOrigin(events);
    const end = events.length ? events[events.length - 1]!.t : origin;
    return pageTimeline(channels, (id) => store.channelEvents(id), (id) => store.channelSeries(id), origin, end);
  }, [store, channels, version]);
  if (channels.length === 0) return null;
  return <LaneTimeline name="page-timeline" title="Page timeline: one lane per channel (drag to zoom, double-click to reset)" data={data} theme={theme} />;
}
