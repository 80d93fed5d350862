/**
 * `npm run bench -- registry [--artifacts 100000] [--queries 2000] [--blob-mib 1] [--blobs 40]`
 *
 * 1. Selector resolution over a registry of N artifacts (default 100k): p50 / p99 per selector
 *    shape and over the mix (goal: p50 < 1 ms), plus the one-off index load time.
 * 2. put / get throughput as a ratio to raw fs writes / reads of the same bytes, measured in
 *    the same process (goal ≥ 0.5). put fsyncs the blob and its directory before it commits, so
 *    it is compared with a raw write + fsync (same durability) and, for information, with a raw
 *    write without fsync. get checks the sha256 on the first read and whenever the file changed;
 *    the re-hash-every-read figure is printed beside it.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, openSync, writeSync, fsyncSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openRegistry, type Registry } from '../cluster/registry/registry';
import type { Selector } from '../cluster/spec/selector';
import { mulberry32 } from '../cluster/registry/data';

const TYPES = ['classifier', 'regressor', 'detector', 'segmenter', 'embedding', 'images', 'tabular', 'audio', 'text', 'timeseries', 'ranker', 'anomaly', 'forecaster', 'tokenizer', 'vae', 'gan', 'policy', 'encoder', 'decoder', 'other'];
const DATA_TAGS = ['mnist', 'fashion', 'cifar', 'iris', 'imdb', 'coco', 'voc', 'kitti', 'librispeech', 'squad', ...Array.from({ length: 20 }, (_, i) => `site_${i}`)];
const TAGS = Array.from({ length: 50 }, (_, i) => `tag${i}`);

const rng = mulberry32;

const now = () => Number(process.hrtime.bigint()) / 1e6; // ms

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

function fmt(ms: number): string {
  return ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(2)} ms`;
}

function populate(reg: Registry, n: number): void {
  const r = rng(42);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const contents = Array.from({ length: 64 }, (_, i) => new TextEncoder().encode(`blob ${i}`));
  const urns = Math.max(1, Math.floor(n / 10));
  const chunk = 5000;
  for (let start = 0; start < n; start += chunk) {
    reg.transaction(() => {
      for (let i = start; i < Math.min(n, start + chunk); i++) {
        const u = Math.floor(r() * urns);
        const model = u % 10 < 7;
        reg.put(
          {
            kind: model ? 'model' : 'data',
            urn: `${model ? 'm' : 'd'}:${u}`,
            type: pick(TYPES),
            tags: [pick(TAGS), pick(TAGS)],
            data_tags: r() < 0.5 ? [pick(DATA_TAGS)] : [pick(DATA_TAGS), pick(DATA_TAGS)],
            metrics: model ? { accuracy: Math.round(r() * 1000) / 1000, loss: Math.round(r() * 1000) / 1000 } : {},
            format: model ? 'tfjs-layers' : 'csv',
          },
          contents[i % contents.length],
        );
      }
    });
  }
}

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { artifacts: { type: 'string', default: '100000' }, queries: { type: 'string', default: '2000' }, 'blob-mib': { type: 'string', default: '1' }, blobs: { type: 'string', default: '40' } },
    allowPositionals: false,
  });
  const n = Number(values.artifacts);
  const q = Number(values.queries);
  const root = mkdtempSync(join(tmpdir(), 'edgeai-bench-registry-'));
  try {
    // ---------------------------------------------------------------------------------------
    // 1. resolution
    let t0 = now();
    const writer = openRegistry(join(root, 'big'), { fsync: false });
    populate(writer, n);
    writer.close();
    console.log(`populated ${n} artifacts in ${((now() - t0) / 1000).toFixed(1)} s`);

    const reg = openRegistry(join(root, 'big'));
    t0 = now();
    reg.resolve({ urn: 'm:0' });
    console.log(`index load (first resolve after open): ${fmt(now() - t0)}`);

    const r = rng(7);
    const urns = Math.floor(n / 10);
    const modelUrn = () => {
      let u = Math.floor(r() * urns);
      while (u % 10 >= 7) u = Math.floor(r() * urns);
      return u;
    };
    const shapes: Array<{ name: string; make: () => { sel: Selector; params?: Record<string, string>; best?: string } }> = [
      { name: 'exact urn', make: () => ({ sel: { urn: `m:${modelUrn()}` } }) },
      { name: 'urn template {id}', make: () => ({ sel: { urn: 'm:{id}' }, params: { id: String(modelUrn()) } }) },
      { name: 'urn glob m:123*', make: () => ({ sel: { urn: `m:${modelUrn()}*`, kind: 'model' } }) },
      { name: 'urn + metric, best', make: () => ({ sel: { urn: `m:${modelUrn()}`, accuracy: '>=0.5' }, best: 'accuracy' }) },
      { name: 'type+data_tags+metric', make: () => ({ sel: { type: TYPES[Math.floor(r() * TYPES.length)], data_tags: [DATA_TAGS[Math.floor(r() * DATA_TAGS.length)]], accuracy: '>=0.88' } }) },
    ];
    const all: number[] = [];
    const allExplained: number[] = [];
    console.log(`\nselector resolution over ${reg.count()} artifacts (${q} queries per shape; then again reading the explanation of every rejected candidate in the anchor bucket):`);
    for (const s of shapes) {
      const times: number[] = [];
      const explained: number[] = [];
      let considered = 0;
      let matched = 0;
      const queries = Array.from({ length: q }, () => s.make());
      for (const { sel, params, best } of queries) {
        const a = now();
        const res = reg.resolve(sel, params, { best });
        times.push(now() - a);
        considered += res.considered;
        matched += res.candidates.length;
      }
      // the same queries again, this time reading every rejected candidate's explanation
      for (const { sel, params, best } of queries) {
        const a = now();
        const res = reg.resolve(sel, params, { best });
        if (res.rejected.length < 0) throw new Error('unreachable');
        explained.push(now() - a);
      }
      all.push(...times);
      allExplained.push(...explained);
      console.log(
        `  ${s.name.padEnd(24)} p50 ${fmt(pct(times, 50)).padStart(8)}  p99 ${fmt(pct(times, 99)).padStart(8)}  | explained p50 ${fmt(pct(explained, 50)).padStart(8)}  p99 ${fmt(pct(explained, 99)).padStart(8)}   (avg ${(considered / q).toFixed(0)} considered, ${(matched / q).toFixed(1)} matched)`,
      );
    }
    const p50 = pct(all, 50);
    console.log(`  ${'mix'.padEnd(24)} p50 ${fmt(pct(all, 50)).padStart(8)}  p99 ${fmt(pct(all, 99)).padStart(8)}  | explained p50 ${fmt(pct(allExplained, 50)).padStart(8)}  p99 ${fmt(pct(allExplained, 99)).padStart(8)}   goal p50 < 1 ms: ${p50 < 1 ? 'met' : 'NOT met'}`);
    reg.close();

    // ---------------------------------------------------------------------------------------
    // 2. put / get throughput vs raw fs
    const mib = Number(values['blob-mib']);
    const count = Number(values.blobs);
    const size = Math.round(mib * 1024 * 1024);
    const r2 = rng(99);
    const payloads = Array.from({ length: count }, () => {
      const b = new Uint8Array(size);
      for (let i = 0; i < size; i += 4) b[i] = Math.floor(r2() * 256);
      return b;
    });
    const total = (count * size) / (1024 * 1024);
    const rawDir = join(root, 'raw');
    const rawSyncDir = join(root, 'rawsync');
    rmSync(rawDir, { recursive: true, force: true });
    mkdirp(rawDir);
    mkdirp(rawSyncDir);
    const rate = (ms: number) => total / (ms / 1000);

    t0 = now();
    payloads.forEach((b, i) => writeFileSync(join(rawDir, `f${i}`), b));
    const rawWrite = rate(now() - t0);
    t0 = now();
    payloads.forEach((b, i) => {
      const fd = openSync(join(rawSyncDir, `f${i}`), 'w');
      writeSync(fd, b);
      fsyncSync(fd);
      closeSync(fd);
    });
    const rawWriteSync = rate(now() - t0);

    const durable = openRegistry(join(root, 'tp'));
    t0 = now();
    const puts = payloads.map((b, i) => durable.put({ kind: 'data', urn: `tp:${i}`, format: 'npy' }, b));
    const put = rate(now() - t0);

    const fast = openRegistry(join(root, 'tp-nofsync'), { fsync: false });
    t0 = now();
    payloads.forEach((b, i) => fast.put({ kind: 'data', urn: `tp:${i}`, format: 'npy' }, b));
    const putNoSync = rate(now() - t0);
    fast.close();

    // reads: warm the page cache for both first, then time
    for (let i = 0; i < count; i++) readFileSync(join(rawDir, `f${i}`));
    for (const a of puts) durable.get(a.urn, a.version);
    t0 = now();
    for (let k = 0; k < 3; k++) for (let i = 0; i < count; i++) readFileSync(join(rawDir, `f${i}`));
    const rawRead = rate((now() - t0) / 3);
    t0 = now();
    for (let k = 0; k < 3; k++) for (const a of puts) durable.get(a.urn, a.version);
    const get = rate((now() - t0) / 3);
    t0 = now();
    for (let k = 0; k < 3; k++) for (const a of puts) durable.read(a, { verify: 'always' });
    const getAlways = rate((now() - t0) / 3);
    durable.close();

    const mbs = (x: number) => `${x.toFixed(0)} MiB/s`;
    console.log(`\nput/get throughput, ${count} blobs of ${mib} MiB (${total.toFixed(0)} MiB):`);
    console.log(`  raw write (no fsync)        ${mbs(rawWrite).padStart(11)}`);
    console.log(`  raw write + fsync           ${mbs(rawWriteSync).padStart(11)}`);
    console.log(`  registry put (durable)      ${mbs(put).padStart(11)}   ratio vs raw write+fsync ${(put / rawWriteSync).toFixed(2)}   vs raw write ${(put / rawWrite).toFixed(2)}`);
    console.log(`  registry put (fsync: false) ${mbs(putNoSync).padStart(11)}   ratio vs raw write ${(putNoSync / rawWrite).toFixed(2)}`);
    console.log(`  raw read                    ${mbs(rawRead).padStart(11)}`);
    console.log(`  registry get                ${mbs(get).padStart(11)}   ratio vs raw read ${(get / rawRead).toFixed(2)}   (hash checked on first read and whenever the file changed)`);
    console.log(`  registry get, re-hash each  ${mbs(getAlways).padStart(11)}   ratio vs raw read ${(getAlways / rawRead).toFixed(2)}   (sha256 of every byte on every read)`);
    const putOk = put / rawWriteSync >= 0.5;
    const getOk = get / rawRead >= 0.5;
    console.log(`  goal ratio ≥ 0.5: put ${putOk ? 'met' : 'NOT met'} (same durability), get ${getOk ? 'met' : 'NOT met'}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function mkdirp(d: string): void {
  rmSync(d, { recursive: true, force: true });
  mkdirSync(d, { recursive: true });
}
