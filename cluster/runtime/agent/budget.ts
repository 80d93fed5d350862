/**
 * The time an invocation (or a warm) may take, from its arrival: its deadline, its timeout, or
 * the controller going away (the HTTP request closed), whichever ends it first.
 */
export class Budget {
  ended?: 'deadline' | 'timeout' | 'closed';
  private readonly timer: NodeJS.Timeout;
  private readonly subs = new Set<() => void>();
  readonly t0 = performance.now();

  /** `onChange` registers a one-shot wake-up for the next change of the node's workers (Pool.onChange). */
  constructor(
    readonly limitMs: number,
    readonly kind: 'deadline' | 'timeout',
    private readonly onChange: (wake: () => void) => void,
    signal?: AbortSignal,
  ) {
    this.timer = setTimeout(() => this.end(kind), Math.min(limitMs, 2 ** 31 - 1));
    if (signal?.aborted) this.end('closed');
    else signal?.addEventListener('abort', () => this.end('closed'), { once: true });
  }

  private ac: AbortController | undefined;
  /** Aborted when the budget ends (work started for the invocation stops with it). */
  get signal(): AbortSignal {
    if (!this.ac) {
      const ac = (this.ac = new AbortController());
      this.onEnd(() => ac.abort());
    }
    return this.ac.signal;
  }

  elapsed(): number {
    return performance.now() - this.t0;
  }

  private end(why: 'deadline' | 'timeout' | 'closed'): void {
    if (this.ended) return;
    this.ended = why;
    clearTimeout(this.timer);
    for (const f of [...this.subs]) f();
    this.subs.clear();
  }

  onEnd(f: () => void): () => void {
    if (this.ended) {
      f();
      return () => undefined;
    }
    this.subs.add(f);
    return () => this.subs.delete(f);
  }

  /** The next change of the node's workers, or the end of the budget. */
  next(): Promise<void> {
    return new Promise((resolve) => {
      const off = this.onEnd(resolve);
      this.onChange(() => {
        off();
        resolve();
      });
    });
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.subs.clear();
  }
}
