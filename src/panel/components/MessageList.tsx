/**
 * Every message of a channel in a virtualized list (only the rows in view are
 * in the DOM), with filters by direction and type (one click hides
 * heartbeats), a regex search whose errors are shown rather than thrown, and
 * the brushed timeline window. Arrow keys move the selection.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { compileSearch, DEFAULT_FILTER, type MessageFilter, type MessageIndex, type MessageKind } from '../messages.ts';
import { formatBytes } from '../format.ts';
import type { CaptureEvent } from '../../core/index.ts';
import { EmptyState } from './EmptyState.tsx';
import { MessageView } from './MessageView.tsx';

export const ROW_HEIGHT = 20;
/** Rows rendered above and below the viewport. */
const OVERSCAN = 10;
/** Viewport height assumed before layout (or where there is none, e.g. happy-dom). */
const FALLBACK_VIEWPORT = 400;

export interface MessageListProps {
  /** The channel's rows (it decodes their labels with the channel's protocol). */
  index: MessageIndex;
  /** Changes whenever the rows changed (the index is updated in place). */
  version: number;
  origin: number;
  window: [number, number] | null;
  onClearWindow: () => void;
}

function timeLabel(t: number, origin: number): string {
  return `+${((t - origin) / 1000).toFixed(3)}s`;
}

const DIR_GLYPH = { in: '↓', out: '↑', none: '•' } as const;

export function MessageList({ index, version, origin, window, onClearWindow }: MessageListProps) {
  const [filter, setFilter] = useState<MessageFilter>(DEFAULT_FILTER);
  // The selected message, kept as its event: row indices shift when the oldest events are evicted.
  const [selectedEvent, setSelectedEvent] = useState<CaptureEvent | null>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(FALLBACK_VIEWPORT);
  const [follow, setFollow] = useState(true);
  const scroller = useRef<HTMLDivElement>(null);

  const effective = useMemo(() => ({ ...filter, window }), [filter, window]);
  const searchState = useMemo(() => compileSearch(filter.search), [filter.search]);
  const visible = useMemo(() => index.filter(effective), [index, version, effective]);
  const total = index.length;

  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (el.clientHeight > 0) setViewport(el.clientHeight);
    if (follow) el.scrollTop = el.scrollHeight;
    // The browser clamps scrollTop when the list shrinks (a filter): read it back.
    setScrollTop(el.scrollTop);
  }, [visible.length, follow]);

  const top = Math.min(scrollTop, Math.max(0, visible.length * ROW_HEIGHT - viewport));
  const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(visible.length, Math.ceil((top + viewport) / ROW_HEIGHT) + OVERSCAN);
  const selected = useMemo(() => {
    const i = selectedEvent ? index.indexOf(selectedEvent) : -1;
    return i < 0 ? null : i;
  }, [index, version, selectedEvent]);
  const selectedRow = useMemo(() => (selected !== null ? index.row(selected) : null), [index, version, selected]);
  const select = (rowIndex: number) => setSelectedEvent(index.eventAt(rowIndex) ?? null);

  const setKind = (kind: MessageKind, on: boolean) => setFilter({ ...filter, kinds: { ...filter.kinds, [kind]: on } });
  const setDir = (dir: 'in' | 'out' | 'none', on: boolean) => setFilter({ ...filter, dirs: { ...filter.dirs, [dir]: on } });

  const move = (delta: number) => {
    if (visible.length === 0) return;
    const pos = selected === null ? -1 : visible.indexOf(selected);
    const next = Math.max(0, Math.min(visible.length - 1, pos < 0 ? (delta > 0 ? 0 : visible.length - 1) : pos + delta));
    select(visible[next]!);
    setFollow(false);
    const el = scroller.current;
    if (el) {
      const top = next * ROW_HEIGHT;
      if (top < el.scrollTop) el.scrollTop = top;
      else if (top + ROW_HEIGHT > el.scrollTop + viewport) el.scrollTop = top + ROW_HEIGHT - viewport;
    }
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'ArrowDown') { e.preventDefault(); move(1); }
    else if (e.key === 'ArrowUp') { e.preventDefault(); move(-1); }
    else if (e.key === 'PageDown') { e.preventDefault(); move(Math.floor(viewport / ROW_HEIGHT)); }
    else if (e.key === 'PageUp') { e.preventDefault(); move(-Math.floor(viewport / ROW_HEIGHT)); }
  };

  return (
    <div class="messages">
      <div class="messages-left">
        <div class="filterbar" role="toolbar" aria-label="Message filters">
          <input
            id="message-search"
            class={`search ${searchState.error ? 'invalid' : ''}`}
            type="search"
            placeholder="Regex filter  ( / )"
            aria-label="Filter messages by regular expression"
            aria-invalid={!!searchState.error}
            value={filter.search}
            onInput={(e) => setFilter({ ...filter, search: (e.currentTarget as HTMLInputElement).value })}
          />
          <label><input type="checkbox" checked={filter.dirs.in} onChange={(e) => setDir('in', (e.currentTarget as HTMLInputElement).checked)} /> ↓ in</label>
          <label><input type="checkbox" checked={filter.dirs.out} onChange={(e) => setDir('out', (e.currentTarget as HTMLInputElement).checked)} /> ↑ out</label>
          <span class="sep" />
          <label><input type="checkbox" checked={filter.kinds.data} onChange={(e) => setKind('data', (e.currentTarget as HTMLInputElement).checked)} /> data</label>
          <label><input type="checkbox" checked={filter.kinds.control} onChange={(e) => setKind('control', (e.currentTarget as HTMLInputElement).checked)} /> control</label>
          <button
            type="button"
            class={`toggle ${filter.kinds.heartbeat ? '' : 'active'}`}
            aria-pressed={!filter.kinds.heartbeat}
            onClick={() => setKind('heartbeat', !filter.kinds.heartbeat)}
          >
            Hide heartbeats
          </button>
          <span class="muted count" data-testid="message-count">{visible.length} / {total}</span>
        </div>
        {searchState.error ? <div class="search-error" role="alert">Invalid regular expression: {searchState.error}</div> : null}
        {window ? (
          <div class="window-note">
            Showing {timeLabel(window[0], origin)} to {timeLabel(window[1], origin)} (brushed on the timeline).{' '}
            <button type="button" class="link" onClick={onClearWindow}>Show all</button>
          </div>
        ) : null}
        {total === 0 ? (
          <EmptyState title="No messages on this channel yet" />
        ) : (
          <div
            class="vlist"
            ref={scroller}
            tabIndex={0}
            role="listbox"
            aria-label="Messages"
            onKeyDown={onKeyDown}
            onScroll={(e) => {
              const el = e.currentTarget as HTMLDivElement;
              setScrollTop(el.scrollTop);
              if (el.clientHeight > 0) setViewport(el.clientHeight);
              setFollow(el.scrollTop + el.clientHeight >= el.scrollHeight - ROW_HEIGHT);
            }}
          >
            <div class="vlist-spacer" style={{ height: `${visible.length * ROW_HEIGHT}px` }}>
              {visible.slice(first, last).map((rowIndex, i) => {
                const r = index.row(rowIndex);
                const dir = r.dir ?? 'none';
                return (
                  <div
                    key={rowIndex}
                    class={`vrow dir-${dir} kind-${r.kind} ${rowIndex === selected ? 'selected' : ''}`}
                    style={{ top: `${(first + i) * ROW_HEIGHT}px` }}
                    role="option"
                    aria-selected={rowIndex === selected}
                    data-row={rowIndex}
                    onClick={() => { select(rowIndex); setFollow(false); }}
                  >
                    <span class="c-dir" title={dir}>{DIR_GLYPH[dir]}</span>
                    <span class="c-time">{timeLabel(r.t, origin)}</span>
                    <span class="c-size">{r.dir ? formatBytes(r.size) : ''}</span>
                    <span class="c-label">{r.label}</span>
                  </div>
                );
              })}
            </div>
          </div>
        )}
      </div>
      <MessageView row={selectedRow} label={selectedRow?.label ?? ''} />
    </div>
  );
}
