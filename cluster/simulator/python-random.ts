/**
 * CPython's `random` module, as far as faas-sim@9c6e1b3's scenario uses it: `random.seed(n)`
 * (MT19937 seeded by init_by_array of n's 32-bit words) and `random.shuffle(list)` (Fisher–Yates
 * from the end with `_randbelow` by rejection on getrandbits). faas-sim's SimulationClusterContext
 * shuffles the cluster's node list with it ("avoid bias towards certain nodes"), after srds'
 * `stats.seed(seed)`; that order is the one the Skippy scheduler breaks ties in. Used by the
 * `faas-sim` preset (preset.ts) so that the same seed gives faas-sim's node order.
 */
export class PythonRandom {
  private readonly mt = new Uint32Array(624);
  private mti = 625;

  /** random.seed(n) for a whole number 0 ≤ n < 2^53 */
  constructor(seed: number) {
    let n = Math.abs(Math.trunc(seed));
    const key: number[] = [];
    do {
      key.push(n % 0x1_0000_0000 >>> 0);
      n = Math.floor(n / 0x1_0000_0000);
    } while (n > 0);
    this.initByArray(key);
  }

  private initGenrand(s: number): void {
    const mt = this.mt;
    mt[0] = s >>> 0;
    for (let i = 1; i < 624; i++) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.mti = 624;
  }

  private initByArray(key: number[]): void {
    const mt = this.mt;
    this.initGenrand(19650218);
    let i = 1;
    let j = 0;
    for (let k = Math.max(624, key.length); k > 0; k--) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = ((mt[i] ^ Math.imul(prev, 1664525)) + key[j] + j) >>> 0;
      i++;
      j++;
      if (i >= 624) {
        mt[0] = mt[623];
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = 623; k > 0; k--) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = ((mt[i] ^ Math.imul(prev, 1566083941)) - i) >>> 0;
      i++;
      if (i >= 624) {
        mt[0] = mt[623];
        i = 1;
      }
    }
    mt[0] = 0x80000000;
  }

  /** genrand_uint32 */
  uint32(): number {
    const mt = this.mt;
    if (this.mti >= 624) {
      for (let k = 0; k < 624; k++) {
        const y = (mt[k] & 0x80000000) | (mt[(k + 1) % 624] & 0x7fffffff);
        mt[k] = mt[(k + 397) % 624] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.mti = 0;
    }
    let y = mt[this.mti++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** _randbelow(n) for 1 ≤ n ≤ 2^32: getrandbits(n.bit_length()) until below n */
  randbelow(n: number): number {
    const k = Math.floor(Math.log2(n)) + 1;
    for (;;) {
      const r = k >= 32 ? this.uint32() : this.uint32() >>> (32 - k);
      if (r < n) return r;
    }
  }

  /** random.shuffle(xs), in place */
  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = this.randbelow(i + 1);
      const t = xs[i];
      xs[i] = xs[j];
      xs[j] = t;
    }
    return xs;
  }
}
