/**
 * Triggers, enacted by the controller: schedule triggers on a timer; data-arrival triggers
 * after `batch` new matching data artifacts; model-published triggers on each new matching
 * model; gate triggers when the named function's gate fails. http triggers are the gateway's
 * routes.
 *
 * New artifacts are seen by reading the cluster's registry for records newer than the cluster's
 * trigger cursor (registry.since), whoever wrote them: this controller's own invocations, a
 * CLI's `edgeai data add` (a new camera frame), another window. The cursor lives in the cluster's
 * state and moves in one transaction with the read, so each record is read by one firer once.
 * One controller fires per cluster: the one holding the trigger lease (the studio, `edgeai
 * gateway`); short-lived commands (`edgeai invoke`, `deploy`) never fire, and `edgeai data add`
 * fires only when no live controller holds the lease.
 */
import type { Artifact } from '../../spec/artifact';
import type { Trigger } from '../../spec/workflow';
import { parseDuration } from '../../spec/predicate';
import { StudioError } from '../../common/errors';
import { gateTriggerFires, triggerBatch, triggerMatches, triggerParams, type ArtifactTrigger } from '../../planning/triggers';
import type { GateResult } from '../agent/protocol';
import type { ControllerContext } from './context';
import type { InvokeOptions, StoredSpec } from './types';

/** The cluster's trigger cursor: the registry sequence number up to which records were read for triggers. */
const CURSOR = 'triggers.seq';

/** A lease older than this is dead (its controller stopped without letting go). */
export const TRIGGER_LEASE_MS = 5000;

export interface Fired {
  workflow: string;
  function: string;
  trigger: string;
  why: string;
  /** the invocation it started */
  done: Promise<unknown>;
}

interface Armed {
  timers: NodeJS.Timeout[];
  onArtifact: Array<{ trigger: ArtifactTrigger; seen: Artifact[] }>;
  gates: Array<Extract<Trigger, { kind: 'gate' }>>;
}

export class TriggerBoard {
  private readonly armed = new Map<string, Armed>();
  private timer: NodeJS.Timeout | undefined;
  private readonly owner = `${process.pid}:${Math.random().toString(36).slice(2, 8)}`;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly invoke: (workflow: string, fn: string, opts: InvokeOptions) => Promise<unknown>,
    /** 'run': fire triggers while this controller runs (taking the lease when free); 'off': never */
    private readonly mode: 'run' | 'off',
    private readonly intervalMs: number,
  ) {
    // the registry's index is built now, when the controller opens, not inside the first invocation's deadline
    ctx.registry.lastSeq();
  }

  /** (Re-)arms a workflow's triggers: its schedule timers start now, its artifact triggers count from now. */
  arm(workflow: string, triggers: Trigger[]): void {
    this.disarm(workflow);
    // what was published before any trigger was armed on this cluster fires nothing
    if (this.ctx.state.get(CURSOR) === undefined) this.ctx.state.set(CURSOR, String(this.ctx.registry.lastSeq()));
    const armed: Armed = { timers: [], onArtifact: [], gates: [] };
    for (const t of triggers) {
      if (t.kind === 'schedule') {
        const ms = parseDuration(t.every);
        if (typeof ms !== 'number') throw new StudioError('bad-duration', `trigger ${t.id}: ${ms.error}`);
        const timer = setInterval(() => {
          if (this.firing()) this.fire(workflow, t.function, t.id, {}, `every ${t.every}`);
        }, ms);
        timer.unref();
        armed.timers.push(timer);
      } else if (t.kind === 'data' || t.kind === 'model') armed.onArtifact.push({ trigger: t, seen: [] });
      else if (t.kind === 'gate') armed.gates.push(t);
    }
    this.armed.set(workflow, armed);
    if (this.mode === 'run' && !this.timer) {
      this.timer = setInterval(() => this.scan(), this.intervalMs);
      this.timer.unref();
    }
  }

  disarm(workflow?: string): void {
    for (const [w, armed] of this.armed) {
      if (workflow && w !== workflow) continue;
      for (const t of armed.timers) clearInterval(t);
      this.armed.delete(w);
    }
    if (!this.armed.size && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
      this.release();
    }
  }

  /** Whether this controller fires triggers now (it runs them and holds, or takes, the lease). */
  private firing(): boolean {
    if (this.mode === 'off' || this.ctx.closed) return false;
    const raw = this.ctx.state.get('triggers.lease');
    const now = Date.now();
    const [holder, at] = raw ? raw.split('@') : [];
    if (holder && holder !== this.owner && now - Number(at) < TRIGGER_LEASE_MS) return false;
    this.ctx.state.set('triggers.lease', `${this.owner}@${now}`);
    return true;
  }

  private release(): void {
    const raw = this.ctx.state.get('triggers.lease');
    if (raw?.startsWith(`${this.owner}@`)) this.ctx.state.set('triggers.lease', undefined);
  }

  /** The live controller that fires this cluster's triggers, if another holds the lease. */
  static liveOwner(ctx: ControllerContext): string | undefined {
    const raw = ctx.state.get('triggers.lease');
    if (!raw) return undefined;
    const [holder, at] = raw.split('@');
    return Date.now() - Number(at) < TRIGGER_LEASE_MS ? holder.split(':')[0] : undefined;
  }

  /**
   * Reads what was published since the last scan and fires the data and model triggers it
   * completes. Returns what it fired. `force`: fire even without the lease (a CLI `data add`
   * when no controller runs the triggers).
   */
  scan(force = false): Fired[] {
    if (!force && !this.firing()) return [];
    const { state, registry } = this.ctx;
    const fresh = state.db
      .transaction(() => {
        const cursor = Number(state.get(CURSOR) ?? registry.lastSeq());
        const items = registry.since(cursor);
        if (items.length) state.set(CURSOR, String(items[items.length - 1].seq));
        return items;
      })
      .immediate();
    const fired: Fired[] = [];
    for (const { artifact: a } of fresh) {
      for (const [workflow, armed] of this.armed) {
        for (const entry of armed.onArtifact) {
          const t = entry.trigger;
          if (!triggerMatches(t, a)) continue;
          entry.seen.push(a);
          if (entry.seen.length < triggerBatch(t)) continue;
          const arrived = entry.seen.splice(0);
          const last = arrived[arrived.length - 1];
          const why = `${arrived.length} new ${t.kind === 'data' ? 'data artifact' : 'model'}${arrived.length > 1 ? 's' : ''} (${arrived.map((x) => `${x.urn}@${x.version}`).join(', ')})`;
          const f = this.fire(workflow, t.function, t.id, this.paramsFor(workflow, t.function, last), why);
          if (f) fired.push(f);
        }
      }
    }
    return fired;
  }

  /** A function's gates failed: the workflow's gate triggers for them fire. */
  gatesFailed(workflow: string, fnId: string, failed: GateResult[]): void {
    if (!this.firing()) return;
    for (const t of this.armed.get(workflow)?.gates ?? []) {
      if (!gateTriggerFires(t, fnId, failed.map((g) => g.kind))) continue;
      this.fire(workflow, t.function, t.id, {}, `gate ${failed.map((g) => g.kind).join(', ')} of ${fnId} failed`);
    }
  }

  private paramsFor(workflow: string, fnId: string, a: Artifact): Record<string, string> {
    const p = this.ctx.state.placement(workflow, fnId);
    return p ? triggerParams((JSON.parse(p.spec) as StoredSpec).spec, a.urn) : {};
  }

  private fire(workflow: string, fn: string, trigger: string, params: Record<string, string>, why: string): Fired | undefined {
    if (this.ctx.closed) return undefined;
    this.ctx.progress('trigger', `trigger ${trigger} (${why}) starts ${workflow}/${fn}`);
    const done = this.invoke(workflow, fn, { params }).catch((e: unknown) => e);
    return { workflow, function: fn, trigger, why, done };
  }

  close(): void {
    this.disarm();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.release();
  }
}
