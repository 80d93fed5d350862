/**
 * Max-min fair shares by progressive filling (docs/reference.md §5: bandwidth shared max-min
 * fairly over every link of a route), for FlowNetwork: the flows of one component of the
 * flow–link graph at a time, with a heap of the links' shares.
 */
import { ScratchList } from './scratch-list';

/** What the filling reads and writes of a flow (or of a class of `m` flows the filling cannot tell apart). */
export interface FillFlow {
  /** how many flows it stands for: each gets `rate`, and each counts on every link it crosses */
  m: number;
  /** resource ids the flow crosses */
  links: number[];
  /** its own rate limit, bytes/s (Infinity = none) */
  capBps: number;
  /** the share the filling gives it, bytes/s */
  rate: number;
  /** internal to a filling: its share is fixed */
  frozen: boolean;
}

/** Per-resource scratch arrays of `fill` (grown as resources are added), and its heap of link shares. */
export class FillScratch {
  rem = new Float64Array(64);
  cnt = new Int32Array(64);
  /** a link's current heap entry: only the entry with the link's version counts */
  version = new Uint32Array(64);
  /** `bind[l] === stamp`: l binds in the current step; `inFill[l] === fillStamp`: l belongs to the current fill */
  bind = new Uint32Array(64);
  inFill = new Uint32Array(64);
  dirty = new Uint32Array(64);
  stamp = 0;
  fillStamp = 0;
  /** links left out of a fill's heap because they cannot bind, over all fills (tests and benches) */
  skipped = 0;
  readonly heap = new ShareHeap();
  /** the links of the current fill, the flows frozen in the current step, the links they touched (kept between fills: scratch-list.ts) */
  readonly links = new ScratchList<number>();
  readonly freeze = new ScratchList<FillFlow>();
  readonly touched = new ScratchList<number>();

  ensure(n: number): void {
    if (n <= this.rem.length) return;
    let m = this.rem.length;
    while (m < n) m *= 2;
    const grow = <T extends Float64Array | Int32Array | Uint32Array>(a: T, make: (k: number) => T): T => {
      const b = make(m);
      b.set(a);
      return b;
    };
    this.rem = grow(this.rem, (k) => new Float64Array(k));
    this.cnt = grow(this.cnt, (k) => new Int32Array(k));
    this.version = grow(this.version, (k) => new Uint32Array(k));
    this.bind = grow(this.bind, (k) => new Uint32Array(k));
    this.inFill = grow(this.inFill, (k) => new Uint32Array(k));
    this.dirty = grow(this.dirty, (k) => new Uint32Array(k));
  }
}

/** A binary min-heap of (share, link, version) entries in parallel arrays; stale entries are skipped by the caller. */
class ShareHeap {
  private key: number[] = [];
  private link: number[] = [];
  private ver: number[] = [];
  size = 0;

  clear(): void {
    this.size = 0;
  }

  push(key: number, link: number, ver: number): void {
    let i = this.size++;
    const K = this.key;
    const L = this.link;
    const V = this.ver;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!(key < K[p])) break;
      K[i] = K[p];
      L[i] = L[p];
      V[i] = V[p];
      i = p;
    }
    K[i] = key;
    L[i] = link;
    V[i] = ver;
  }

  topKey(): number {
    return this.key[0];
  }
  topLink(): number {
    return this.link[0];
  }
  topVersion(): number {
    return this.ver[0];
  }

  pop(): void {
    const n = --this.size;
    if (n === 0) return;
    const K = this.key;
    const L = this.link;
    const V = this.ver;
    const key = K[n];
    const link = L[n];
    const ver = V[n];
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && K[r] < K[l] ? r : l;
      if (!(K[c] < key)) break;
      K[i] = K[c];
      L[i] = L[c];
      V[i] = V[c];
      i = c;
    }
    K[i] = key;
    L[i] = link;
    V[i] = ver;
  }
}

/**
 * Progressive filling of `flows` (a union of whole components: every active flow on a link of one
 * of them is one of them), step by step the same arithmetic as over all flows at once: the step's
 * share s is the least of (remaining capacity / unfrozen flows) over the links and of the unfrozen
 * flows' caps; the links within 1e-12 · s of it bind; every flow on a binding link (or capped within
 * it) gets s, taken off each link it crosses. The subtractions on a link in one step all take the
 * same s, so their order does not matter. An entry standing for m flows (FlowNetwork's classes)
 * counts m on each of its links and takes s · m off in one subtraction (the same share for each of
 * them as m entries would get, up to the rounding of that one subtraction against m of s). The least share comes from a heap of the links' shares
 * (a link's entry is renewed when its flows change), so a fill costs O((links + flow-links) · log)
 * rather than a scan of every link per step.
 */
export function fill<F extends FillFlow>(
  flows: readonly F[],
  /** the first `count` of `flows` are filled (a reused list: scratch-list.ts) */
  count: number,
  capacity: readonly number[],
  flowsOn: ReadonlyArray<readonly F[]>,
  sc: FillScratch,
  canBind?: (l: number) => boolean,
): void {
  if (!count) return;
  sc.ensure(capacity.length);
  const { rem, cnt, version, bind, inFill, dirty, heap } = sc;
  const fs = ++sc.fillStamp;
  const { links, freeze, touched } = sc;
  links.clear();
  let capped: F[] | undefined;
  for (let i = 0; i < count; i++) {
    const f = flows[i];
    f.frozen = false;
    if (f.capBps < Infinity) (capped ??= []).push(f);
    for (const l of f.links) {
      if (inFill[l] !== fs) {
        inFill[l] = fs;
        rem[l] = capacity[l];
        cnt[l] = 0;
        links.push(l);
      }
      cnt[l] += f.m;
    }
  }
  heap.clear();
  // a link that cannot bind is never the step's least share nor within its tolerance: it stays out of the heap
  for (let i = 0; i < links.n; i++) {
    const l = links.items[i];
    if (!canBind || canBind(l)) heap.push(rem[l] / cnt[l], l, ++version[l]);
    else sc.skipped++;
  }
  capped?.sort((a, b) => a.capBps - b.capBps);
  let capAt = 0;
  let unfrozen = count;
  while (unfrozen > 0) {
    while (heap.size && (heap.topVersion() !== version[heap.topLink()] || cnt[heap.topLink()] <= 0)) heap.pop();
    let s = heap.size ? heap.topKey() : Infinity;
    if (capped) {
      while (capAt < capped.length && capped[capAt].frozen) capAt++;
      if (capAt < capped.length) s = Math.min(s, capped[capAt].capBps);
    }
    const tol = s * 1e-12;
    const bs = ++sc.stamp;
    freeze.clear();
    // the binding links: every current entry within the tolerance (an entry's key is its link's rem / cnt now)
    while (heap.size) {
      const l = heap.topLink();
      if (heap.topVersion() !== version[l] || cnt[l] <= 0) {
        heap.pop();
        continue;
      }
      if (!(heap.topKey() <= s + tol)) break;
      heap.pop();
      bind[l] = bs;
      for (const f of flowsOn[l]) {
        if (!f.frozen) {
          f.frozen = true;
          freeze.push(f);
        }
      }
    }
    if (s === Infinity) {
      // nothing constrains what is left (no capacity, no cap): every remaining flow gets s
      for (let i = 0; i < count; i++) {
        const f = flows[i];
        if (!f.frozen) {
          f.frozen = true;
          freeze.push(f);
        }
      }
    } else if (capped) {
      for (let k = capAt; k < capped.length && capped[k].capBps <= s + tol; k++) {
        const f = capped[k];
        if (!f.frozen) {
          f.frozen = true;
          freeze.push(f);
        }
      }
    }
    if (!freeze.n) break; // cannot happen; guards against a stuck loop
    touched.clear();
    for (let i = 0; i < freeze.n; i++) {
      const f = freeze.items[i];
      f.rate = s;
      const m = f.m;
      for (const l of f.links) {
        rem[l] = Math.max(0, rem[l] - s * m);
        cnt[l] -= m;
        if (dirty[l] !== bs) {
          dirty[l] = bs;
          touched.push(l);
        }
      }
    }
    unfrozen -= freeze.n; // `flows` entries, not the flows they stand for
    for (let i = 0; i < touched.n; i++) {
      const l = touched.items[i];
      if (bind[l] !== bs && cnt[l] > 0 && (!canBind || canBind(l))) heap.push(rem[l] / cnt[l], l, ++version[l]);
    }
  }
}
