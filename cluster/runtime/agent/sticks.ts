/**
 * The USB sticks of the agent's node, followed by the agent itself (issue 14): without the studio
 * nothing else watches them. The controller asks for them in its heartbeat (GET /health?sticks=1)
 * of the nodes it attached sticks to; from the first ask the agent watches sysfs with the same
 * watcher the studio uses (accelerators/watch.ts: a stick re-enumerating at first use is one
 * 'changed', a port must stay empty a few scans before its stick counts as detached) and every
 * heartbeat reports what it sees (protocol.ts StickPresence): the sticks present, the ones that
 * left and when, a generation that counts the attach/detach events, and the node's Edge TPU check
 * (the TfliteService's, so the node says what its models will meet).
 *
 * The first look is one scan: a Coral re-enumerating at that moment (loading its firmware) is not
 * in it, and shows up a scan or two later as an attach. Until the watch has run its detach window
 * (settleMs: the interval × the scans a port must stay empty) a report says `settled: false`, and
 * the controller does not take a stick missing from the baseline as unplugged yet.
 */
import { settleMs, watchAccelerators, type StopWatching, type WatchOptions } from '../../accelerators/watch';
import type { Accelerator, AcceleratorKind } from '../../accelerators/discover';
import { summarizeReadiness, type Readiness } from '../../accelerators/runtimes';
import type { StickPresence } from './protocol';

export interface StickWatchOptions {
  /** default /sys */
  sysfsRoot?: string;
  /** the watcher's scan interval (default its own, 1 s) */
  intervalMs?: number;
  /** scans a port must stay empty before its stick is detached (default the watcher's, 3) */
  detachAfterScans?: number;
  /** the node's Edge TPU check (TfliteService.readiness) */
  readiness: () => Readiness;
}

export class StickWatch {
  private stop: StopWatching | undefined;
  private since = '';
  private startedMs = 0;
  private generation = 0;
  private changedAt: string | undefined;
  private sticks: Accelerator[] = [];
  private readonly lost: Array<{ kind: AcceleratorKind; port: string; at: string }> = [];

  constructor(private readonly opts: StickWatchOptions) {}

  /** Whether the watch has begun (the first report starts it). */
  get watching(): boolean {
    return this.stop !== undefined;
  }

  private start(): void {
    if (this.stop) return;
    this.startedMs = Date.now();
    this.since = new Date(this.startedMs).toISOString();
    const w: WatchOptions = {
      ...(this.opts.sysfsRoot ? { sysfsRoot: this.opts.sysfsRoot } : {}),
      ...(this.opts.intervalMs ? { intervalMs: this.opts.intervalMs } : {}),
      ...(this.opts.detachAfterScans ? { detachAfterScans: this.opts.detachAfterScans } : {}),
    };
    let first = true;
    this.stop = watchAccelerators({ ...w, emitInitial: true }, (e) => {
      if (first && e.type === 'attached') {
        // the sticks present at start: the baseline, not a change
        this.sticks.push(e.accelerator);
        return;
      }
      this.generation++;
      this.changedAt = new Date().toISOString();
      const port = e.accelerator.port;
      this.sticks = this.sticks.filter((a) => a.port !== port);
      if (e.type === 'detached') this.lost.push({ kind: e.accelerator.kind, port, at: this.changedAt });
      else {
        this.sticks.push(e.accelerator);
        // one that came back (in any port) is no longer lost
        const i = this.lost.findIndex((l) => l.port === port && l.kind === e.accelerator.kind);
        const j = i >= 0 ? i : this.lost.findIndex((l) => l.kind === e.accelerator.kind);
        if (j >= 0 && e.type === 'attached') this.lost.splice(j, 1);
      }
    });
    // emitInitial reports the baseline synchronously, inside watchAccelerators
    first = false;
  }

  /** What the node sees now; starts watching at the first call. */
  report(): StickPresence {
    this.start();
    return {
      sysfsRoot: this.opts.sysfsRoot ?? '/sys',
      since: this.since,
      generation: this.generation,
      settled: Date.now() - this.startedMs >= settleMs(this.opts),
      ...(this.changedAt ? { changedAt: this.changedAt } : {}),
      sticks: this.sticks.map((a) => ({ kind: a.kind, capability: a.capability, state: a.state, vendorId: a.vendorId, productId: a.productId, port: a.port, devPath: a.devPath })),
      lost: [...this.lost],
      edgetpu: summarizeReadiness(this.opts.readiness()),
    };
  }

  close(): void {
    this.stop?.();
    this.stop = undefined;
  }
}
