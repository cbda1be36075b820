/**
 * Clocks in polled JSON: scalars a server stamps with the time of each answer
 * (`ts`, `serverTime`, `meta.generatedAt`). A clock moves on every poll whatever
 * happened, so a body that differs from the last one only in its clocks carries no
 * news. Which scalars are clocks is read from the data, never from field names: a
 * clock reads as an instant on every poll, and moves in step with the time between
 * the polls (by the request times or by the response times: a long-poll server may
 * stamp its answer when the request arrives or when it answers).
 *
 * Relative clocks (an uptime, a tick count) are not recognised: a counter that steps
 * once a second cannot be told from a version bumped on every poll, which is news.
 */

/** A scalar read as an instant. */
export interface Instant {
  /** Epoch milliseconds. */
  ms: number;
  /** The smallest step the value can show, in ms (1000 for whole seconds). */
  resolutionMs: number;
  /** How it is written (epoch seconds as a number, an ISO 8601 string, ...): one clock keeps one form. */
  form: string;
}

/**
 * A node of the path tree: while bodies are read, one per path that held a container
 * or an instant; once they all have been, only the clocks and their ancestors. Object
 * keys and array indices key the children apart (the key '0' is not the index 0).
 */
export interface ClockNode {
  readonly children: Map<string | number, ClockNode>;
  /** True when the path is a clock (set by ClockFinder.finish). */
  clock: boolean;
}

/** Instants are read only within these years: a counter or an id is almost never in this range in any unit. */
const FIRST_INSTANT_MS = Date.UTC(2000, 0, 1);
const LAST_INSTANT_MS = Date.UTC(2100, 0, 1);

/** Epoch units, told apart by magnitude (their ranges from 2000 to 2100 do not overlap). */
const EPOCH_UNITS: ReadonlyArray<{ name: string; ms: number }> = [
  { name: 's', ms: 1000 },
  { name: 'ms', ms: 1 },
  { name: 'us', ms: 1e-3 },
  { name: 'ns', ms: 1e-6 },
];

/**
 * How far a clock's step may stray from the time between two polls: the server
 * stamps its answer and the page times it a latency apart, and that latency varies
 * between two polls (a busy network, a loaded machine, a load balancer's servers
 * whose clocks disagree by some hundreds of ms). Whichever is larger: an absolute
 * allowance, or a share of the time between the polls.
 */
export const CLOCK_SLACK_MS = 1000;
export const CLOCK_SLACK_SHARE = 0.25;
/** A clock must be seen moving at least this often: a value that never moves needs no judgement, and one move could be a single change. */
export const CLOCK_MIN_MOVES = 2;

/** An epoch number read as an instant in whichever unit puts it between 2000 and 2100. */
function epochInstant(n: number, form: string): Instant | null {
  if (!Number.isFinite(n) || n <= 0) return null;
  for (const unit of EPOCH_UNITS) {
    const ms = n * unit.ms;
    if (ms >= FIRST_INSTANT_MS && ms < LAST_INSTANT_MS) {
      return { ms, resolutionMs: Number.isInteger(n) ? unit.ms : Math.min(unit.ms, 1), form: `${form}-${unit.name}` };
    }
  }
  return null;
}

const NUMERIC_STRING = /^\d{9,19}(?:\.\d{1,9})?$/;
// ISO 8601 / RFC 3339 date-time with seconds; no zone is read as UTC (the step between two polls is what matters).
const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;
// RFC 9110 §5.6.7 IMF-fixdate, the HTTP-date (`Date`, `Last-Modified`) some APIs repeat in their bodies.
const HTTP_DATE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function inRange(ms: number): boolean {
  return Number.isFinite(ms) && ms >= FIRST_INSTANT_MS && ms < LAST_INSTANT_MS;
}

function isoInstant(m: RegExpExecArray): Instant | null {
  const [, y, mo, d, h, mi, s, fraction = '', zone = 'Z'] = m;
  let ms = Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +s!) + Number(`0.${fraction || '0'}`) * 1000;
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0')) * 60_000;
  }
  if (!inRange(ms)) return null;
  return { ms, resolutionMs: 10 ** Math.max(0, 3 - fraction.length), form: 'iso' };
}

/** The scalar read as an instant (epoch s/ms/µs/ns, as a number or a numeric string; ISO 8601; HTTP-date), else null. */
export function readInstant(value: unknown): Instant | null {
  if (typeof value === 'number') return epochInstant(value, 'number');
  if (typeof value !== 'string' || value.length < 9 || value.length > 40) return null;
  if (NUMERIC_STRING.test(value)) return epochInstant(Number(value), 'string');
  const iso = ISO_DATE_TIME.exec(value);
  if (iso) return isoInstant(iso);
  const http = HTTP_DATE.exec(value);
  if (!http) return null;
  const [, d, mon, y, h, mi, s] = http;
  const ms = Date.UTC(+y!, MONTHS.indexOf(mon!), +d!, +h!, +mi!, +s!);
  return inRange(ms) ? { ms, resolutionMs: 1000, form: 'http-date' } : null;
}

/** What is known of one path while the bodies are read. */
interface PathTrack {
  /** Still possibly a clock. */
  ok: boolean;
  form: string;
  last: Instant;
  /** Index of the body `last` came from. */
  lastSample: number;
  moves: number;
}

interface TrackNode extends ClockNode {
  children: Map<string | number, TrackNode>;
  track: PathTrack | null;
}

function newNode(): TrackNode {
  return { children: new Map(), clock: false, track: null };
}

/** True when a step of `step` ms between two instants fits an elapsed time of `elapsed` ms. */
function inStep(step: number, elapsed: number, resolutionMs: number): boolean {
  return Math.abs(step - elapsed) <= resolutionMs + Math.max(CLOCK_SLACK_MS, CLOCK_SLACK_SHARE * Math.abs(elapsed));
}

/**
 * Finds the clocks of a channel's polled JSON bodies, fed one body at a time in poll
 * order: the paths whose scalar reads as an instant in every body that has it, moves
 * at least CLOCK_MIN_MOVES times, and between every two consecutive bodies moves by
 * the time that passed between them. The path tree (`root`) holds a node for every
 * path that held an instant, so a body can be compared with the one before while the
 * clocks are still being found; `finish` then marks which of those nodes are clocks.
 */
export class ClockFinder {
  private readonly tree: TrackNode = newNode();
  /** Every path that has held an instant. */
  private readonly tracks: PathTrack[] = [];
  /** Index of the body being read. */
  private sample = -1;
  private previous: { start: number; response: number } | null = null;
  // The time between the current body and the one before, by request and by response.
  private startStep = 0;
  private responseStep = 0;

  /** The path tree: children by object key or array index. */
  get root(): ClockNode {
    return this.tree;
  }

  /** Read the next body. */
  add(value: unknown, start: number, response: number): void {
    this.next(start, response);
    this.visit(value, this.tree);
  }

  /** Read the next body when it is the same bytes as the one before: every instant in it stood still. */
  repeat(start: number, response: number): void {
    this.next(start, response);
    for (const track of this.tracks) if (track.ok && track.lastSample === this.sample - 1) this.step(track, track.last);
  }

  private next(start: number, response: number): void {
    this.sample++;
    if (this.previous) {
      this.startStep = start - this.previous.start;
      this.responseStep = response - this.previous.response;
    }
    this.previous = { start, response };
  }

  /** Mark the clocks once every body has been read; returns the root (null when no path is a clock). */
  finish(): ClockNode | null {
    return prune(this.tree) ? this.tree : null;
  }

  private visit(value: unknown, node: TrackNode): void {
    if (Array.isArray(value)) {
      for (let k = 0; k < value.length; k++) this.visitChild(value[k], node, k);
    } else if (typeof value === 'object' && value !== null) {
      for (const key of Object.keys(value)) this.visitChild((value as Record<string, unknown>)[key], node, key);
    }
  }

  private visitChild(value: unknown, parent: TrackNode, key: string | number): void {
    const child = parent.children.get(key);
    if (typeof value === 'object' && value !== null) {
      if (child) {
        // The path held an instant before: not one clock.
        if (child.track) child.track.ok = false;
        this.visit(value, child);
      } else {
        const fresh = newNode();
        parent.children.set(key, fresh);
        this.visit(value, fresh);
      }
      return;
    }
    const track = child?.track;
    // A path already ruled out, or one that held a container before (not one clock): nothing to read.
    if (track?.ok === false || (child && !track)) return;
    const instant = readInstant(value);
    if (!track) {
      if (instant) {
        const fresh: PathTrack = { ok: true, form: instant.form, last: instant, lastSample: this.sample, moves: 0 };
        this.tracks.push(fresh);
        parent.children.set(key, { children: new Map(), clock: false, track: fresh });
      }
      return;
    }
    if (!instant || instant.form !== track.form) track.ok = false;
    else this.step(track, instant);
  }

  /** The path's instant in the current body: it must have moved in step with the time since the body before. */
  private step(track: PathTrack, instant: Instant): void {
    if (track.lastSample === this.sample - 1) {
      const step = instant.ms - track.last.ms;
      const resolution = Math.max(instant.resolutionMs, track.last.resolutionMs);
      if (!inStep(step, this.startStep, resolution) && !inStep(step, this.responseStep, resolution)) {
        track.ok = false;
        return;
      }
      if (step !== 0) track.moves++;
    }
    track.last = instant;
    track.lastSample = this.sample;
  }
}

/** Mark the clocks and drop the branches without one; true when the subtree holds a clock. */
function prune(node: TrackNode): boolean {
  node.clock = node.track !== null && node.track.ok && node.track.moves >= CLOCK_MIN_MOVES;
  let any = node.clock;
  for (const [key, child] of node.children) {
    if (prune(child)) any = true;
    else node.children.delete(key);
  }
  return any;
}

/** The clock paths under a node, written as `meta.generatedAt` and `items[0].seenAt`. */
export function clockPaths(root: ClockNode | null): string[] {
  const out: string[] = [];
  const walk = (node: ClockNode, path: string) => {
    if (node.clock) out.push(path);
    for (const [key, child] of node.children) walk(child, typeof key === 'number' ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`);
  };
  if (root) walk(root, '');
  return out;
}
