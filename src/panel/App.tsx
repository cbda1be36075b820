/**
 * The Realtime panel: toolbar, then either the overview (summary strip,
 * channel table, page timeline) or one channel's detail.
 * Keys: arrows move, Enter opens, Esc goes back, `/` focuses the search box.
 */
import { useEffect, useLayoutEffect, useState } from 'preact/hooks';
import type { LiveControls } from './live.ts';
import type { PanelStore } from './store.ts';
import type { Theme } from './theme.ts';
import { useStoreVersion } from './hooks.ts';
import type { ExportKind, Transfer } from './transfer-types.ts';
import { HOOK_LIMITS } from './explain.ts';
import { Toolbar } from './components/Toolbar.tsx';
import { SummaryStrip } from './components/SummaryStrip.tsx';
import { OverviewTable, type OverviewFilter } from './components/OverviewTable.tsx';
import { PageTimeline } from './components/PageTimeline.tsx';
import { ChannelDetail } from './components/ChannelDetail.tsx';
import { WorkersToggle } from './components/Workers.tsx';
import { inspectedTabId } from './bridge.ts';
import { successorChannel } from '../core/index.ts';

export interface AppProps {
  store: PanelStore;
  /** Null when there is no live capture (tests rendering imported data). */
  live: LiveControls | null;
  theme: Theme;
  /** Import/export (capture files, HAR, reports); null hides those controls. */
  transfer: Transfer | null;
}

const NO_FILTER: OverviewFilter = { kind: '', protocol: '', search: '' };

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || !el.tagName) return false;
  return el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable;
}

export function App({ store, live, theme, transfer }: AppProps) {
  const renderStart = performance.now();
  // Re-render on every store change (analysis results, connection status); what to show is read from the store below.
  useStoreVersion(store);
  // Layout effects run after the whole tree committed: this is the cost of the render, memos included.
  useLayoutEffect(() => store.noteRenderCost(performance.now() - renderStart));
  const report = store.report();
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [openId, setOpenId] = useState<string | null>(null);
  const [filter, setFilter] = useState<OverviewFilter>(NO_FILTER);
  const [importError, setImportError] = useState<string | null>(null);
  const [preserveLog, setPreserveLog] = useState(live?.preserveLog() ?? false);
  // The grouping may fold a token of the open channel's URL as more requests come (see
  // successorChannel): the detail then follows the channel it joined instead of closing.
  const openIdNow = openId === null ? null : successorChannel(openId, report.channels.map((c) => c.id));
  const openChannel = openIdNow ? report.channels.find((c) => c.id === openIdNow) ?? null : null;
  // The analysis prepares the open channel's series, timeline and message positions.
  const openChannelById = (id: string) => {
    store.watch(id);
    setOpenId(id);
  };
  useEffect(() => {
    if (openIdNow !== null && openIdNow !== openId) openChannelById(openIdNow);
  }, [openIdNow, openId]);
  const closeChannel = () => {
    store.watch(null);
    setOpenId(null);
  };

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === '/' && !isTyping(e.target)) {
        const box = document.getElementById(openChannel ? 'message-search' : 'overview-search') as HTMLInputElement | null;
        if (box) {
          e.preventDefault();
          box.focus();
          box.select();
        }
      } else if (e.key === 'Escape') {
        if (isTyping(e.target)) {
          (e.target as HTMLElement).blur();
          return;
        }
        if (openChannel) {
          setSelectedId(openChannel.id);
          closeChannel();
          requestAnimationFrame(() => (document.querySelector('.overview-table') as HTMLElement | null)?.focus());
        }
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [openChannel]);

  const onImport = async (file: File) => {
    if (!transfer) return;
    const result = await transfer.readImport(file);
    if (!result.ok) {
      setImportError(`${file.name}: ${result.error}`);
      return;
    }
    setImportError(null);
    closeChannel();
    setSelectedId(null);
    store.showImported(result.skipped ? `${file.name} (${result.skipped} invalid ${result.format === 'har' ? 'entries' : 'events'} skipped)` : file.name, result.events);
  };

  const onExport = async (kind: ExportKind, redact: boolean) => {
    try {
      // The report of every event shown (the latest analysis may lag the events).
      const current = await store.analyzed();
      transfer?.exportFile(kind, store.events(), current, redact);
    } catch (err) {
      setImportError(`export failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  };

  const isLive = store.mode.kind === 'live';
  const workersTabId = live && typeof chrome !== 'undefined' && chrome.runtime?.id ? inspectedTabId() : null;
  const dropped = report.summary.droppedEvents + (isLive ? store.connectionDropped : 0);

  return (
    <div class="app" data-theme-name={theme}>
      <Toolbar
        live={isLive}
        importName={store.mode.kind === 'import' ? store.mode.name : null}
        recording={live ? store.recording : false}
        preserveLog={preserveLog}
        connected={store.connected}
        onRecording={live ? (on) => live.setRecording(on) : null}
        onPreserveLog={live ? (on) => { live.setPreserveLog(on); setPreserveLog(on); } : null}
        onClear={() => {
          closeChannel();
          if (isLive && live) live.clear();
          else store.clear();
        }}
        onImport={transfer ? onImport : null}
        onExport={transfer ? onExport : null}
        onBackToLive={() => { closeChannel(); store.showLive(); }}
        importError={importError}
        onDismissError={() => setImportError(null)}
      />
      <main class="content">
        {openChannel ? (
          <ChannelDetail
            key={openChannel.id}
            store={store}
            channel={openChannel}
            theme={theme}
            onBack={() => { setSelectedId(openChannel.id); closeChannel(); }}
            onInject={isLive && live ? (cmd) => live.injectFault(cmd) : null}
          />
        ) : (
          <div class="overview-page">
            <SummaryStrip report={report} users={store.users} onUsers={(n) => store.setUsers(n)} dropped={dropped} />
            <OverviewTable
              channels={report.channels}
              selectedId={selectedId}
              onSelect={setSelectedId}
              onOpen={(id) => { setSelectedId(id); openChannelById(id); }}
              filter={filter}
              onFilter={setFilter}
              analysing={report.channels.length === 0 && store.events().length > 0 && store.analysing()}
            />
            <PageTimeline data={store.pageTimeline()} theme={theme} />
            {isLive && live && workersTabId !== null ? <WorkersToggle tabId={workersTabId} /> : null}
            <footer class="limits muted">{HOOK_LIMITS}</footer>
          </div>
        )}
      </main>
    </div>
  );
}
