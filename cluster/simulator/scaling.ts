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

export class Autoscaler {
  constructor(private readonly sim: SimContext) {}

  /** Records the function's concurrency now; with invocations queued, makes sure a tick is coming. */
  observe(fs: FnState): void {
    const now = this.sim.engine.now;
    fs.scaler.observe(now, concurrency(fs));
    if (fs.queue.length && !fs.scaler.tickScheduled) {
      fs.scaler.tickScheduled = true;
      const next = (Math.floor(now / KPA_TICK_S) + 1) * KPA_TICK_S;
      const s = fs.scaler;
      // the same order as a new event at `next` (rescheduling takes the next sequence number)
      if (s.tickEvent) this.sim.engine.rescheduleAt(s.tickEvent, next);
      else s.tickEvent = this.sim.engine.at(next, () => this.tick(fs), 'autoscaler tick');
    }
  }

  /** How many replicas the KPA wants now. */
  desired(fs: FnState): number {
    const now = this.sim.engine.now;
    const s = fs.scaler;
    s.observe(now, concurrency(fs));
    const target = this.sim.settings.concurrency.cap * KPA_TARGET_UTILISATION;
    const stable = Math.ceil(s.average(now, KPA_STABLE_WINDOW_S) / target - 1e-9);
    const panic = Math.ceil(s.average(now, KPA_PANIC_WINDOW_S) / target - 1e-9);
    const have = Math.max(1, fs.replicas.length);
    if (panic / have >= KPA_PANIC_THRESHOLD) s.panicUntil = now + KPA_STABLE_WINDOW_S;
    const want = now < s.panicUntil ? Math.max(stable, panic) : stable;
    return Math.min(want, Math.ceil(KPA_MAX_SCALE_UP_RATE * have), this.sim.settings.maxReplicas);
  }

  private tick(fs: FnState): void {
    const { sim } = this;
    fs.scaler.tickScheduled = false;
    if (!fs.queue.length) return;
    const want = this.desired(fs);
    while (fs.replicas.length < want) {
      if (!sim.replicas.place(fs)) {
        // no node takes one more: with workers, the replicas there take more than their number (dispatch.ts)
        fs.cannotGrow = true;
        break;
      }
    }
    sim.dispatcher.dispatch(fs); // which observes the function again (and keeps ticking while it has a queue)
  }
}
