/**
 * The Kubernetes watch protocol, as the kubernetes backend follows nodes and pods: list, then
 * watch from the list's resourceVersion (`?watch=1&resourceVersion=<rv>&allowWatchBookmarks=true`),
 * the answer a stream of newline-delimited JSON events — ADDED, MODIFIED, DELETED (the object),
 * BOOKMARK (only a newer resourceVersion), ERROR (a Status). Every event moves the resourceVersion
 * on, so a watch that ends resumes where it was:
 *
 * - the server ends the stream (its timeout): watch again at once, from the last resourceVersion;
 * - the stream drops or the server cannot be reached: watch again after a backoff that doubles
 *   from `minBackoffMs` up to `maxBackoffMs` (bounded; back to the minimum after an event), until
 *   stop();
 * - 410 Gone (an ERROR event with code 410, or the answer's status): the resourceVersion is older
 *   than the server keeps, so list again (the cache is replaced by what the list holds, and
 *   `onSync` says so), then watch from the new list.
 *
 * Why not @kubernetes/client-node's Watch/informer: its informer needs a list function of the
 * generated API, and its Watch runs over its own fetch; this runs over the backend's one transport
 * (kubernetes/api.ts: the kubeconfig's CA, client certificate or token, tested over TLS), in fewer
 * lines than the adapters would take. No poll timer anywhere: a change reaches the handlers when
 * its event arrives.
 */
import { KubeApi, KubeApiError } from './api';

export interface KubeObject {
  metadata: { name: string; resourceVersion?: string; uid?: string };
}

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface InformerOptions<T> {
  /** the collection: /api/v1/nodes, /api/v1/namespaces/<ns>/pods */
  path: string;
  labelSelector?: string;
  /** every object added, modified or deleted (after the cache has it) */
  onChange?: (type: ChangeType, object: T) => void;
  /** a list replaced the cache (the first, and after 410 Gone) */
  onSync?: (objects: T[]) => void;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export interface InformerStats {
  lists: number;
  watches: number;
  /** lists because the server answered 410 Gone */
  relists: number;
  /** watches started again after the stream ended or dropped */
  reconnects: number;
  /** the last error a watch or list ended with (undefined after an event arrived) */
  lastError?: string;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((r) => {
    const t = setTimeout(r, ms);
    t.unref();
    signal.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
  });

class Gone extends Error {}

export class Informer<T extends KubeObject> {
  /** the objects as of the last event, by name */
  readonly cache = new Map<string, T>();
  readonly stats: InformerStats = { lists: 0, watches: 0, relists: 0, reconnects: 0 };
  private rv: string | undefined;
  private readonly abort = new AbortController();
  private readonly waiters = new Set<() => void>();
  private running: Promise<void> | undefined;

  constructor(
    private readonly api: KubeApi,
    private readonly opts: InformerOptions<T>,
  ) {}

  /** where the next watch resumes (the last list's or event's resourceVersion) */
  get resourceVersion(): string | undefined {
    return this.rv;
  }

  get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  /** Lists (the returned promise settles with the first list: rejects when it fails), then watches until stop(). */
  start(): Promise<void> {
    if (this.running) return this.running;
    const first = this.list();
    this.running = first.then(() => void this.loop());
    return this.running;
  }

  stop(): void {
    this.abort.abort();
    this.wake();
  }

  /**
   * Resolves with what `check` returns once it returns something (checked now and after every
   * event); rejects after `timeoutMs` with `onTimeout()`'s error, or when stopped.
   */
  waitFor<R>(check: () => R | undefined, timeoutMs: number, onTimeout: () => Error): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const done = (f: () => void) => {
        clearTimeout(t);
        this.waiters.delete(test);
        f();
      };
      const test = () => {
        if (this.stopped) return done(() => reject(new Error(`the watch of ${this.opts.path} was stopped`)));
        let v: R | undefined;
        try {
          v = check();
        } catch (e) {
          return done(() => reject(e));
        }
        if (v !== undefined) done(() => resolve(v));
      };
      const t = setTimeout(() => done(() => reject(onTimeout())), timeoutMs);
      this.waiters.add(test);
      test();
    });
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  private query(extra: Record<string, string>): string {
    const q = new URLSearchParams({ ...extra, ...(this.opts.labelSelector ? { labelSelector: this.opts.labelSelector } : {}) });
    return `${this.opts.path}?${q.toString()}`;
  }

  private async list(): Promise<void> {
    this.stats.lists++;
    const l = await this.api.json<{ metadata?: { resourceVersion?: string }; items: T[] }>('GET', this.opts.labelSelector ? this.query({}) : this.opts.path);
    this.cache.clear();
    for (const o of l.items) this.cache.set(o.metadata.name, o);
    this.rv = l.metadata?.resourceVersion;
    this.opts.onSync?.(l.items);
    this.wake();
  }

  private async loop(): Promise<void> {
    const min = this.opts.minBackoffMs ?? 200;
    const max = this.opts.maxBackoffMs ?? 5000;
    let backoff = min;
    const signal = this.abort.signal;
    while (!signal.aborted) {
      try {
        if (this.rv === undefined) {
          this.stats.relists++;
          await this.list();
        }
        this.stats.watches++;
        let any = false;
        await this.api.stream(
          this.query({ watch: '1', resourceVersion: this.rv ?? '0', allowWatchBookmarks: 'true' }),
          (line) => {
            any = true;
            this.event(line);
          },
          signal,
        );
        // the server ended the stream (its timeout, or it is going away): resume at once; an
        // empty stream twice in a row is a server that answers and closes, so back off
        if (any) backoff = min;
        else {
          await sleep(backoff, signal);
          backoff = Math.min(backoff * 2, max);
        }
      } catch (e) {
        if (signal.aborted) return;
        if (e instanceof Gone || (e instanceof KubeApiError && e.status === 410)) {
          this.rv = undefined; // list again, at once
          continue;
        }
        this.stats.lastError = (e as Error).message;
        await sleep(backoff, signal);
        backoff = Math.min(backoff * 2, max);
      }
      if (!signal.aborted) this.stats.reconnects++;
    }
  }

  private event(line: string): void {
    let ev: { type?: string; object?: T & { code?: number; message?: string } };
    try {
      ev = JSON.parse(line) as typeof ev;
    } catch {
      throw new Error(`the watch of ${this.opts.path} sent a line that is not JSON: ${line.slice(0, 80)}`);
    }
    const o = ev.object;
    if (ev.type === 'ERROR') {
      if (o?.code === 410) throw new Gone(o.message ?? 'Gone');
      throw new Error(`the watch of ${this.opts.path} ended with an error: ${o?.message ?? line.slice(0, 200)}`);
    }
    if (!o?.metadata) return;
    if (o.metadata.resourceVersion) this.rv = o.metadata.resourceVersion;
    this.stats.lastError = undefined;
    if (ev.type === 'BOOKMARK') return;
    if (ev.type === 'ADDED' || ev.type === 'MODIFIED') this.cache.set(o.metadata.name, o);
    else if (ev.type === 'DELETED') this.cache.delete(o.metadata.name);
    else return;
    this.opts.onChange?.(ev.type, o);
    this.wake();
  }
}
