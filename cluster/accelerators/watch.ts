/**
 * Hot-plug of USB accelerators by polling sysfs (no udev or netlink binding needed).
 *
 *   const stop = watchAccelerators({ intervalMs: 1000 }, (e) => console.log(e.type, e.accelerator.kind));
 *   …
 *   stop();
 *
 * A stick is identified by its sysfs port ('1-1.2'), not by its device number: a Coral loading its
 * firmware re-enumerates from 1a6e:089a to 18d1:9302 with a new device number (an NCS from
 * 03e7:2485 to 03e7:f63b likewise, docs/reference.md §6) — that is ONE stick changing state, reported as
 * one 'changed' event. While it re-enumerates its port is briefly absent from sysfs, so a port
 * must be missing from `detachAfterScans` consecutive scans before it is reported 'detached'.
 *
 * The timer is unref'd (it never keeps the process alive), scans never overlap (each one is
 * scheduled after the previous one ends) and each scan is bounded by discovery's entry limit.
 */
import { discoverAccelerators, type Accelerator, type DiscoverOptions } from './discover';

export type AcceleratorEventType = 'attached' | 'detached' | 'changed';

export interface AcceleratorEvent {
  type: AcceleratorEventType;
  /** the stick now ('detached': as it was last seen) */
  accelerator: Accelerator;
  /** 'changed': the stick as it was before */
  previous?: Accelerator;
}

/** The watcher's scan interval when none is given. */
export const WATCH_INTERVAL_MS = 1000;
/** How many consecutive scans a port must be empty before its stick counts as detached, when not given. */
export const DETACH_AFTER_SCANS = 3;

/**
 * How long a watch must have run before what it has not seen can be trusted as absent: a stick
 * re-enumerating during the first scan (a Coral loading its firmware) shows up within the
 * detach window, as the watcher's debounce of a detach allows.
 */
export function settleMs(opts: Pick<WatchOptions, 'intervalMs' | 'detachAfterScans'> = {}): number {
  return Math.max(10, opts.intervalMs ?? WATCH_INTERVAL_MS) * Math.max(1, Math.floor(opts.detachAfterScans ?? DETACH_AFTER_SCANS));
}

export interface WatchOptions extends DiscoverOptions {
  /** default 1000 ms; at least 10 ms */
  intervalMs?: number;
  /**
   * A port must be missing from this many consecutive scans before its stick counts as
   * detached (default 3, i.e. ~3 s at the default interval: a re-enumeration gap is shorter).
   */
  detachAfterScans?: number;
  /** report the sticks present at start as 'attached' (default false: they are the baseline) */
  emitInitial?: boolean;
  /** called after every scan with what it found (observability, tests) */
  onScan?: (accelerators: Accelerator[]) => void;
}

export type StopWatching = () => void;

function sameDevice(a: Accelerator, b: Accelerator): boolean {
  return (
    a.vendorId === b.vendorId &&
    a.productId === b.productId &&
    a.state === b.state &&
    a.kind === b.kind &&
    a.busnum === b.busnum &&
    a.devnum === b.devnum &&
    a.serial === b.serial &&
    a.access?.ok === b.access?.ok &&
    a.access?.problem === b.access?.problem
  );
}

/**
 * A booted Myriad reports 03e7:f63b whether it is an NCS1 or an NCS2; a stick seen as an NCS1
 * in the same port before it booted keeps its kind.
 */
function keepKind(now: Accelerator, before: Accelerator | undefined): Accelerator {
  if (before?.kind === 'ncs1' && now.kind === 'ncs2' && now.vendorId === '03e7' && now.productId === 'f63b') return { ...now, kind: 'ncs1' };
  return now;
}

/**
 * Tracks sticks across scans; `update` returns the events one scan implies. Pure bookkeeping, so
 * the service can drive it from its own scans too.
 */
export class AcceleratorTracker {
  private readonly known = new Map<string, { accelerator: Accelerator; missing: number }>();
  constructor(private readonly detachAfterScans = DETACH_AFTER_SCANS) {}

  current(): Accelerator[] {
    return [...this.known.values()].filter((k) => k.missing === 0).map((k) => k.accelerator);
  }

  update(found: Accelerator[]): AcceleratorEvent[] {
    const events: AcceleratorEvent[] = [];
    const seen = new Set<string>();
    for (const raw of found) {
      if (seen.has(raw.port)) continue;
      seen.add(raw.port);
      const prev = this.known.get(raw.port);
      const a = keepKind(raw, prev?.accelerator);
      if (!prev) events.push({ type: 'attached', accelerator: a });
      else if (!sameDevice(prev.accelerator, a)) events.push({ type: 'changed', accelerator: a, previous: prev.accelerator });
      this.known.set(raw.port, { accelerator: a, missing: 0 });
    }
    for (const [port, k] of this.known) {
      if (seen.has(port)) continue;
      k.missing++;
      if (k.missing >= this.detachAfterScans) {
        this.known.delete(port);
        events.push({ type: 'detached', accelerator: k.accelerator });
      }
    }
    return events;
  }
}

/** Polls for sticks and calls onChange for each hot-plug event until the returned stop() is called. */
export function watchAccelerators(opts: WatchOptions, onChange: (event: AcceleratorEvent) => void): StopWatching {
  const intervalMs = Math.max(10, opts.intervalMs ?? WATCH_INTERVAL_MS);
  const tracker = new AcceleratorTracker(Math.max(1, Math.floor(opts.detachAfterScans ?? DETACH_AFTER_SCANS)));
  const discover = { ...(opts.sysfsRoot !== undefined ? { sysfsRoot: opts.sysfsRoot } : {}), ...(opts.devRoot !== undefined ? { devRoot: opts.devRoot } : {}), ...(opts.access ? { access: opts.access } : {}) };
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const emit = (events: AcceleratorEvent[]) => {
    for (const e of events) {
      if (stopped) return;
      try {
        onChange(e);
      } catch {
        // a listener's failure must not end the watch
      }
    }
  };
  const scan = (initial: boolean) => {
    const found = discoverAccelerators(discover);
    const events = tracker.update(found);
    if (!initial || opts.emitInitial) emit(events);
    try {
      opts.onScan?.(found);
    } catch {
      /* ignore */
    }
  };
  const tick = () => {
    timer = undefined;
    if (stopped) return;
    scan(false);
    schedule();
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(tick, intervalMs);
    timer.unref();
  };

  // the baseline is taken synchronously: a change made after this call returns is reported
  scan(true);
  schedule();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
}
