/**
 * The scale-up rule: Knative's KPA (knative/serving pkg/autoscaler, its defaults), with one
 * choice of ours where the KPA's activator would read a cold start's backlog as load.
 *
 * - Scale from zero: an invocation that finds no replica places one at once (the activator's
 *   poke).
 * - Otherwise replicas are added only on the autoscaler's tick (every KPA_TICK_S = 2 s), to
 *   desired = ceil(observed concurrency / target), target = the invocations a replica takes at
 *   once × KPA_TARGET_UTILISATION (70%). The observed concurrency is averaged over the stable
 *   window (60 s) and the panic window (6 s, 10% of it): when the panic window's desired count is
 *   at least KPA_PANIC_THRESHOLD (200%) of the replicas there (at least 1), the KPA panics and
 *   takes the larger of the two for a stable window; otherwise the stable window's. A tick adds
 *   at most KPA_MAX_SCALE_UP_RATE (1000) × max(1, replicas) − replicas, and never more than
 *   maxReplicas in all.
 * - Concurrency is the invocations on replicas (being served) plus the queued ones — but the
 *   queued ones count only while no replica of the function is pulling or starting (ours; the
 *   KPA's activator reports every request it holds): requests waiting for capacity that is on
 *   its way are not load. faas-sim's AverageFaasRequestScaler has the same restraint (with
 *   replicas starting it divides by running + starting ones). Without it, 10 requests per second
 *   of a 24 ms function (ρ 0.24) started 14 replicas in the first seconds, waiting for the first
 *   one's 2 s start (the rule before, one more replica per queued invocation beyond pending
 *   capacity); with it, one.
 * - Scaling down stays faas-sim's idler (300 s without use, reconciled every 30 s: replicas.ts).
 *
 * Ticks run only while a function has queued invocations (the time average is kept exactly, as
 * an integral, so nothing is sampled): with no queue, one more replica would take nothing (a
 * replica's free capacity already takes every arrival).
 *
 * The ticks are keyed events (engine.atKeyed, keyed by the function's place in the workflow): at
 * one instant they run after every other event, in the order of the functions, however they came
 * to be queued. So a tick that is not queued does not change the order of the others, and inert
 * ticks are skipped exactly: while every replica of a function is pulling or starting (none
 * serves, so its concurrency is 0 and its queue does not count) and both windows' averages are
 * 0, a tick adds nothing, sets no panic and dispatches nothing (take() finds no warm or cold
 * replica and places none while one exists), and so does every tick after it until the
 * function's state changes — every such change (a replica warm or cold, added, removed; the queue
 * emptied) is followed by observe(), which queues the tick again at the grid time where a run
 * without skipping would have it (the same instant when that tick has not run yet). With the
 * averages 0 the concurrency integral gains 0 over the skipped stretch, so the scaler's state is
 * the same bit for bit. The FGCS-era runs at 64 cells had 91% of their events in such ticks
 * (functions waiting for image pulls that share the registry's link).
 */
import type { SimEvent } from './engine';
import type { FnState, SimContext } from './state';

export const KPA_TICK_S = 2;
export const KPA_STABLE_WINDOW_S = 60;
export const KPA_PANIC_WINDOW_S = 6;
export const KPA_PANIC_THRESHOLD = 2;
export const KPA_TARGET_UTILISATION = 0.7;
export const KPA_MAX_SCALE_UP_RATE = 1000;

/** Checkpoints of the concurrency integral, one per whole second, for the stable window and a margin. */
const RING = 64;

/** One function's autoscaler state: the concurrency integral and its checkpoints. */
export class FunctionScaler {
  private last = 0;
  private lastT = 0;
  private integral = 0;
  /** integral at whole second s, at ring[s % RING] */
  private readonly ring = new Float64Array(RING);
  private ringSecond = 0;
  tickScheduled = false;
  /** the function's tick event, queued again for each tick (one event and closure per function, not per tick) */
  tickEvent: SimEvent | undefined;
  panicUntil = -Infinity;
  /** the tick's key: the function's place in the workflow (its order among ticks at one instant) */
  key = 0;
  /** its ticks are inert until its state changes: none is queued (see the header) */
  dormant = false;
  /** the tick time it became dormant at */
  dormantSince = 0;
  /** the averages the last desired() computed (stable window, panic window) */
  stableAvg = 0;
  panicAvg = 0;

  /** The concurrency changed to `c` at `now` (c held since the previous call until now). */
  observe(now: number, c: number): void {
    if (now > this.lastT) {
      const upTo = Math.floor(now);
      // checkpoints for the whole seconds passed (the value `last` held through them)
      let s = this.ringSecond + 1;
      if (upTo - s >= RING) s = upTo - RING + 1;
      for (; s <= upTo; s++) this.ring[s % RING] = this.integral + this.last * (s - this.lastT);
      if (upTo > this.ringSecond) this.ringSecond = upTo;
      this.integral += this.last * (now - this.lastT);
      this.lastT = now;
    }
    this.last = c;
  }

  /** The time-averaged concurrency over the `window` seconds before `now` (observe(now, …) called first). */
  average(now: number, window: number): number {
    const from = now - window;
    if (from <= 0) return now > 0 ? this.integral / now : this.last;
    const s = Math.ceil(from);
    // the integral at `from`: the checkpoint at its next whole second, less what ran between
    const at = s <= this.ringSecond && this.ringSecond - s < RING ? this.ring[s % RING] : this.integral;
    return Math.max(0, this.integral - at) / (now - s);
  }
}

/** The invocations a function has in the system, as the KPA counts them (see above). */
export function concurrency(fs: FnState): number {
  let c = 0;
  let pending = false;
  for (const r of fs.replicas) {
    c += r.active;
    if (r.state === 'pulling' || r.state === 'starting') pending = true;
  }
  return pending ? c : c + fs.queue.length;
}

/** Every replica is pulling or starting (at least one): none serves, the queue does not count and take() does nothing. */
function allPending(fs: FnState): boolean {
  if (!fs.replicas.length) return false;
  for (const r of fs.replicas) if (r.state !== 'pulling' && r.state !== 'starting') return false;
  return true;
}

export class Autoscaler {
  /** the instant of the last tick run, and the largest key of the ticks run then (they run in key order) */
  private tickTime = -1;
  private tickKey = -1;
  /** ticks skipped (a run without skipping would have run them, each doing nothing) */
  skipped = 0;

  /** `skipInert` false: every tick is run (tests compare the reports with and without skipping) */
  constructor(
    private readonly sim: SimContext,
    private readonly skipInert = true,
  ) {}

  /** Records the function's concurrency now; with invocations queued, makes sure a tick is coming. */
  observe(fs: FnState): void {
    const now = this.sim.engine.now;
    const s = fs.scaler;
    s.observe(now, concurrency(fs));
    if (s.dormant) {
      if (fs.queue.length && allPending(fs)) return; // its ticks stay inert
      // its state changed: its tick is queued where a run without skipping has it, the next grid time it has not run at
      s.dormant = false;
      const g = Math.ceil(now / KPA_TICK_S) * KPA_TICK_S;
      const ranNow = this.tickTime === now && this.tickKey >= s.key;
      const at = g === now && ranNow ? now + KPA_TICK_S : g;
      // the ticks a run without skipping ran meanwhile, each doing nothing: at dormantSince + 2, …, at − 2
      this.skipped += Math.round((at - s.dormantSince) / KPA_TICK_S) - 1;
      this.queueTick(fs, at);
      return;
    }
    if (fs.queue.length && !s.tickScheduled) this.queueTick(fs, (Math.floor(now / KPA_TICK_S) + 1) * KPA_TICK_S);
  }

  private queueTick(fs: FnState, at: number): void {
    const s = fs.scaler;
    s.tickScheduled = true;
    if (s.tickEvent) this.sim.engine.rescheduleKeyedAt(s.tickEvent, at);
    else s.tickEvent = this.sim.engine.atKeyed(at, s.key, () => this.tick(fs), 'autoscaler tick');
  }

  /** How many replicas the KPA wants now. */
  desired(fs: FnState): number {
    const now = this.sim.engine.now;
    const s = fs.scaler;
    s.observe(now, concurrency(fs));
    const target = this.sim.settings.concurrency.cap * KPA_TARGET_UTILISATION;
    s.stableAvg = s.average(now, KPA_STABLE_WINDOW_S);
    s.panicAvg = s.average(now, KPA_PANIC_WINDOW_S);
    const stable = Math.ceil(s.stableAvg / target - 1e-9);
    const panic = Math.ceil(s.panicAvg / target - 1e-9);
    const have = Math.max(1, fs.replicas.length);
    if (panic / have >= KPA_PANIC_THRESHOLD) s.panicUntil = now + KPA_STABLE_WINDOW_S;
    const want = now < s.panicUntil ? Math.max(stable, panic) : stable;
    return Math.min(want, Math.ceil(KPA_MAX_SCALE_UP_RATE * have), this.sim.settings.maxReplicas);
  }

  private tick(fs: FnState): void {
    const { sim } = this;
    const now = sim.engine.now;
    if (this.tickTime !== now) this.tickTime = now;
    this.tickKey = fs.scaler.key; // ticks at one instant run in key order
    fs.scaler.tickScheduled = false;
    if (!fs.queue.length) return;
    const more = this.desired(fs) - fs.replicas.length;
    // no node takes one more: with workers, the replicas there take more than their number (dispatch.ts)
    if (more > 0 && sim.replicas.place(fs, more) < more) fs.cannotGrow = true;
    // inert (see the header): the ticks after this one do nothing until the function's state changes
    if (this.skipInert && fs.scaler.stableAvg === 0 && fs.scaler.panicAvg === 0 && allPending(fs)) {
      fs.scaler.dormant = true;
      fs.scaler.dormantSince = now;
    }
    sim.dispatcher.dispatch(fs); // which observes the function again (and keeps ticking while it has a queue)
  }
}
