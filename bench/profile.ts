/**
 * Where the page's main thread goes when Realtime Inspector records: a V8 CPU
 * profile (CDP Profiler) of one workload run in the extension set-up, reduced
 * to self time per function and per script (page, MAIN-world hooks, isolated
 * relay, browser internals such as "(garbage collector)" or "(program)").
 */
import type { Target } from './cdp.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface HotSpot {
  /** function @ script:line:column (script shortened to its file name). */
  frame: string;
  selfMs: number;
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Self time per script (file name; '(native)' for V8/Blink internals). */
  byScript: Array<{ script: string; selfMs: number; share: number }>;
  top: HotSpot[];
}

const shortUrl = (url: string) => (url ? (url.split('?')[0]!.split('/').pop() ?? url) : '(native)');

/** Start sampling on a page (call before the workload). */
export async function startProfile(page: Target): Promise<void> {
  await page.send('Profiler.enable');
  await page.send('Profiler.setSamplingInterval', { interval: 200 });
  await page.send('Profiler.start');
}

/** Stop sampling and summarise self time. */
export async function stopProfile(page: Target, top = Number(process.env.RI_PROFILE_TOP ?? 15)): Promise<ProfileSummary> {
  const { profile } = await page.send<{ profile: Profile }>('Profiler.stop');
  await page.send('Profiler.disable');
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0) / 1000);
  }
  const frames = new Map<string, number>();
  const scripts = new Map<string, number>();
  let total = 0;
  for (const [id, ms] of self) {
    const f = byId.get(id)!.callFrame;
    if (f.functionName === '(idle)') continue;
    total += ms;
    const script = shortUrl(f.url);
    const key = `${f.functionName || '(anonymous)'} @ ${script}:${f.lineNumber + 1}:${f.columnNumber + 1}`;
    frames.set(key, (frames.get(key) ?? 0) + ms);
    scripts.set(script, (scripts.get(script) ?? 0) + ms);
  }
  const share = (ms: number) => (total ? ms / total : 0);
  return {
    totalMs: total,
    byScript: [...scripts].sort((a, b) => b[1] - a[1]).map(([script, selfMs]) => ({ script, selfMs, share: share(selfMs) })),
    top: [...frames].sort((a, b) => b[1] - a[1]).slice(0, top).map(([frame, selfMs]) => ({ frame, selfMs, share: share(selfMs) })),
  };
}
