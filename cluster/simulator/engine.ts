/**
 * The discrete-event core: a binary-heap event queue ordered by (time, insertion order), so
 * events at equal times run in the order they were scheduled and a run is reproducible; and
 * seeded random numbers (the registry's mulberry32) with exponential, normal and lognormal
 * sampling.
 */
import { mulberry32 } from '../registry/data';
import { StudioError } from '../common/errors';

/** What is wrong with a simulation's input, or (the engine's guard) with the simulator itself. */
export class SimulationError extends StudioError {
  constructor(message: string, hint?: string) {
    super('simulation-failed', message, hint);
    this.name = 'SimulationError';
  }
}

/**
 * Events the engine runs at one simulated instant before it calls the run stuck. Legitimate
 * bursts at one instant are bounded by the workflow's size (a deploy, one arrival per process,
 * a reconcile, a few events per flow and invocation it touches: thousands at most), so a million
 * can only be an event that keeps rescheduling itself without the clock advancing; at a few
 * microseconds per event the guard fires within seconds.
 */
export const MAX_EVENTS_PER_INSTANT = 1_000_000;

/**
 * Keyed events (EventQueue.pushKeyed: the autoscaler's ticks, keyed by function) have sequence
 * numbers from here up: at one instant they run after every ordinary event queued for it (also
 * those queued meanwhile, at that instant, by a keyed event), in the order of their keys. Ordinary
 * sequence numbers stay far below (2^51 events would take years).
 */
export const KEYED_SEQ_BASE = 2 ** 51;

export interface SimEvent {
  time: number;
  seq: number;
  run: () => void;
  /** set by `cancel`; a cancelled event is skipped when it reaches the head */
  cancelled: boolean;
  /** what it is, for the engine's error messages (e.g. 'flow completion') */
  label?: string;
  /** its position in the queue's heap; -1 when it is not queued (internal) */
  index: number;
}

/** A min-heap of events on (time, seq). */
export class EventQueue {
  private heap: SimEvent[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(time: number, run: () => void, label?: string): SimEvent {
    const e: SimEvent = { time, seq: this.seq++, run, cancelled: false, label, index: -1 };
    this.insert(e);
    return e;
  }

  /**
   * An event with a fixed sequence number `seq` (≥ KEYED_SEQ_BASE: after every ordinary event at
   * its time, ordered among keyed ones by `seq`), whatever the moment it is scheduled.
   */
  pushKeyed(time: number, seq: number, run: () => void, label?: string): SimEvent {
    const e: SimEvent = { time, seq, run, cancelled: false, label, index: -1 };
    this.insert(e);
    return e;
  }

  /** Gives a queued or spent keyed event a new time; it keeps its sequence number (and takes none). */
  rescheduleKeyed(e: SimEvent, time: number): void {
    this.move(e, time);
  }

  /**
   * Gives a queued or spent event a new time and the next sequence number, exactly as if it were
   * pushed now (it runs after every event already queued for that time), without leaving a
   * cancelled copy in the heap.
   */
  reschedule(e: SimEvent, time: number): void {
    e.seq = this.seq++;
    this.move(e, time);
  }

  /** Puts a queued or spent event at `time` with the sequence number it has (back in the heap if spent). */
  private move(e: SimEvent, time: number): void {
    e.time = time;
    e.cancelled = false;
    if (e.index < 0) {
      this.insert(e);
      return;
    }
    this.up(e.index);
    this.down(e.index);
  }

  private insert(e: SimEvent): void {
    const h = this.heap;
    h.push(e);
    e.index = h.length - 1;
    this.up(e.index);
  }

  private up(i: number): void {
    const h = this.heap;
    const e = h[i];
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(e, h[p])) break;
      h[i] = h[p];
      h[i].index = i;
      i = p;
    }
    h[i] = e;
    e.index = i;
  }

  private down(i: number): void {
    const h = this.heap;
    const e = h[i];
    const n = h.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && before(h[r], h[l]) ? r : l;
      if (!before(h[c], e)) break;
      h[i] = h[c];
      h[i].index = i;
      i = c;
    }
    h[i] = e;
    e.index = i;
  }

  peek(): SimEvent | undefined {
    return this.heap[0];
  }

  pop(): SimEvent | undefined {
    const h = this.heap;
    if (!h.length) return undefined;
    const top = h[0];
    const last = h.pop()!;
    top.index = -1;
    if (h.length) {
      h[0] = last;
      this.down(0);
    }
    return top;
  }
}

function before(a: SimEvent, b: SimEvent): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}

/** Simulated clock and event loop. Times are seconds. */
export class Engine {
  now = 0;
  /** events run so far (cancelled ones not counted) */
  processed = 0;
  /** the guard: more events than this at one instant is a SimulationError (tests lower it) */
  maxEventsPerInstant = MAX_EVENTS_PER_INSTANT;
  /** events run at `now` so far (kept across run() calls: the studio runs in slices) */
  private atInstant = 0;
  private readonly queue = new EventQueue();

  at(time: number, run: () => void, label?: string): SimEvent {
    if (!(time >= this.now)) throw new Error(`cannot schedule an event in the past (${time} < ${this.now})`);
    return this.queue.push(time, run, label);
  }

  /**
   * `delay` after now. A delay below the clock's resolution at `now` (half an ulp: 7e-12 s at
   * t = 1 day) gives `now` itself: callers must not rely on a tiny delay moving the clock.
   */
  after(delay: number, run: () => void, label?: string): SimEvent {
    return this.at(this.now + Math.max(0, delay), run, label);
  }

  cancel(e: SimEvent | undefined): void {
    if (e) e.cancelled = true;
  }

  /**
   * Runs `e` (queued, cancelled or already run) `delay` after now instead: the same as cancelling
   * it and scheduling its callback anew with after(), without a cancelled copy left in the queue.
   */
  rescheduleAfter(e: SimEvent, delay: number): void {
    this.rescheduleAt(e, this.now + Math.max(0, delay));
  }

  /**
   * An event at `time` that runs after every ordinary event at that time, among other keyed ones
   * in the order of `key` (an integer ≥ 0), wherever and whenever it is scheduled (KEYED_SEQ_BASE).
   */
  atKeyed(time: number, key: number, run: () => void, label?: string): SimEvent {
    if (!(time >= this.now)) throw new Error(`cannot schedule an event in the past (${time} < ${this.now})`);
    return this.queue.pushKeyed(time, KEYED_SEQ_BASE + key, run, label);
  }

  /** Runs the keyed event `e` (queued, cancelled or already run) at `time` instead, with its key. */
  rescheduleKeyedAt(e: SimEvent, time: number): void {
    if (!(time >= this.now)) throw new Error(`cannot schedule an event in the past (${time} < ${this.now})`);
    this.queue.rescheduleKeyed(e, time);
  }

  /** Runs `e` (queued, cancelled or already run) at `time` instead: the same as cancelling it and scheduling its callback anew with at(). */
  rescheduleAt(e: SimEvent, time: number): void {
    if (!(time >= this.now)) throw new Error(`cannot schedule an event in the past (${time} < ${this.now})`);
    this.queue.reschedule(e, time);
  }

  get pending(): number {
    return this.queue.size;
  }

  /**
   * Runs events with time ≤ until (all when omitted) and moves the clock to `until`; returns the
   * number run. With `maxEvents`, stops after that many (the clock stays at the last event's time:
   * call again with the same `until` to go on — the events run in the same order either way).
   * Throws a SimulationError naming the event and the time when more than `maxEventsPerInstant`
   * events run without the clock advancing (a loop that would otherwise never end).
   */
  run(until = Infinity, maxEvents = Infinity): number {
    let k = 0;
    for (;;) {
      if (k >= maxEvents) {
        this.processed += k;
        return k;
      }
      const e = this.queue.peek();
      if (!e || e.time > until) break;
      this.queue.pop();
      if (e.cancelled) continue;
      if (e.time !== this.now) {
        this.now = e.time;
        this.atInstant = 0;
      }
      if (++this.atInstant > this.maxEventsPerInstant) {
        this.processed += k;
        throw this.stuck(e);
      }
      e.run();
      k++;
    }
    this.processed += k;
    if (until !== Infinity && until > this.now) {
      this.now = until;
      this.atInstant = 0;
    }
    return k;
  }

  private stuck(e: SimEvent): SimulationError {
    const what = e.label ? `'${e.label}'` : 'an unlabelled event';
    const t = this.now >= 3600 ? `${this.now} s (${(this.now / 3600).toFixed(2)} h)` : `${this.now} s`;
    return new SimulationError(
      `simulator bug: ${this.maxEventsPerInstant.toLocaleString('en-US')} events at t = ${t} without the clock advancing; the next was ${what}, ` +
        'which keeps being rescheduled at the same instant (please report it with the command that ran)',
    );
  }

  /** True when no event with time ≤ until is left. */
  doneUntil(until = Infinity): boolean {
    for (;;) {
      const e = this.queue.peek();
      if (!e) return true;
      if (!e.cancelled) return e.time > until;
      this.queue.pop();
    }
  }
}

/** Seeded random numbers; one instance per independent stream. */
export class Rng {
  private readonly next: () => number;
  private spare: number | undefined;

  constructor(seed: number) {
    this.next = mulberry32(seed >>> 0);
  }

  /** Derives an independent stream from a seed and a name (FNV-1a of the name mixed into the seed). */
  static stream(seed: number, name: string): Rng {
    let h = 0x811c9dc5 ^ (seed >>> 0);
    for (let i = 0; i < name.length; i++) {
      h ^= name.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    return new Rng(h >>> 0);
  }

  /** uniform in [0, 1) */
  uniform(): number {
    return this.next();
  }

  /** Exp with the given mean */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  /** standard normal (Box–Muller, the second value kept for the next call) */
  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    let u = this.next();
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** lognormal with the given mean (not median) and log-space sigma */
  lognormal(mean: number, sigma: number): number {
    return lognormalFromNormal(mean, sigma, this.normal());
  }
}

/**
 * An exponential with the given mean from a standard normal z: u = Φ(z) is uniform, −mean·ln(1 − u)
 * exponential. Φ by erf (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7); u is kept off 1.
 */
export function exponentialFromNormal(mean: number, z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  const u = Math.min(1 - 1e-12, 0.5 * (1 + (z >= 0 ? erf : -erf)));
  return -mean * Math.log(1 - u);
}

/** Φ(z), the standard normal's CDF (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return 0.5 * (1 + (z >= 0 ? erf : -erf));
}

/** A draw from measured samples (sorted ascending) at the quantile Φ(z) of a standard normal z. */
export function empiricalFromNormal(sorted: number[], z: number): number {
  const i = Math.min(sorted.length - 1, Math.floor(normalCdf(z) * sorted.length));
  return sorted[i];
}

/** mean · exp(σz − σ²/2): a lognormal with the given mean from a standard normal z. */
export function lognormalFromNormal(mean: number, sigma: number, z: number): number {
  return mean * Math.exp(sigma * z - (sigma * sigma) / 2);
}
