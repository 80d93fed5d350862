/**
 * `edgeai load <workflow>/<function> --rate R --duration D [--seed N] [--input <file|json>]
 *  [--record <file>] [--json]`: drives a deployed function at a Poisson rate through the HTTP
 * gateway (started in this process on 127.0.0.1 only, as `edgeai gateway` does), waits for every
 * answer, and prints what came back: sent, ok, failed, latency as the client saw it, and the
 * bytes each topology link carried meanwhile. Bounded: at most 100 requests per second, 10
 * minutes and 10,000 requests, and each request 5 minutes. `--record` writes the load's record
 * (LoadRecord, app/simulation.ts) for `edgeai simulate --exec-from-runs --compare-runs <file>`.
 */
import { writeFileSync } from 'node:fs';
import { parseDuration } from '../../spec/predicate';
import { Rng } from '../../simulator/engine';
import { startGateway } from '../../runtime/gateway';
import type { LoadRecord } from '../../app/simulation';
import { parseCommandArgs, UserError, type Command } from '../command';
import { CLUSTER_OPTIONS, openController } from '../runtime-support';
import { parseInput } from './invoke';
import { COMMANDS } from './meta';

const { usage } = COMMANDS.load;
export const LOAD_MAX_RATE = 100;
export const LOAD_MAX_DURATION_S = 600;
export const LOAD_MAX_REQUESTS = 10_000;
const REQUEST_TIMEOUT_MS = 300_000;

function quantile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] : NaN;
}

export const command: Command = {
  usage,
  summary: COMMANDS.load.summary,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { ...CLUSTER_OPTIONS, rate: { type: 'string' }, duration: { type: 'string' }, seed: { type: 'string' }, input: { type: 'string' }, record: { type: 'string' }, json: { type: 'boolean' } }, usage);
    const m = /^([^/]+)\/([^/]+)$/.exec(positionals[0] ?? '');
    if (!m || positionals.length !== 1) throw new UserError(`expected <workflow>/<function>, e.g. mnist/inference\nusage: edgeai ${usage}`);
    const [, workflow, fn] = m;
    const rate = Number(values.rate);
    if (values.rate === undefined || !(Number.isFinite(rate) && rate > 0 && rate <= LOAD_MAX_RATE)) throw new UserError(`--rate ${values.rate ?? '(missing)'}: give requests per second above 0 and at most ${LOAD_MAX_RATE}`);
    const ms = parseDuration(values.duration ?? '');
    if (typeof ms !== 'number' || ms <= 0 || ms > LOAD_MAX_DURATION_S * 1000) throw new UserError(`--duration ${values.duration ?? '(missing)'}: give more than 0 and at most ${LOAD_MAX_DURATION_S / 60} minutes, e.g. 30s or 2m`);
    const durationS = ms / 1000;
    if (rate * durationS > LOAD_MAX_REQUESTS) throw new UserError(`--rate ${rate} for ${values.duration}: about ${Math.round(rate * durationS)} requests, more than the ${LOAD_MAX_REQUESTS} a load may send`, 'lower the rate or shorten the duration');
    const seed = values.seed === undefined ? 1 : Number(values.seed);
    if (!Number.isInteger(seed) || seed < 0) throw new UserError(`--seed ${values.seed}: give a whole number ≥ 0`);
    const input = parseInput(values.input);
    const c = await openController(values, io, true);
    try {
      const deployed = c.status().deployments.find((d) => d.workflow === workflow)?.functions.find((f) => f.id === fn);
      if (!deployed) throw new UserError(`${workflow}/${fn} is not deployed on this cluster`, `deploy it first: edgeai deploy <project>`);
      const g = await startGateway(c, 0);
      try {
        // the arrival times, drawn before anything is sent (the same seed, the same times)
        const rng = Rng.stream(seed, `load:${workflow}/${fn}`);
        const times: number[] = [];
        for (let t = rng.exponential(1 / rate); t < durationS; t += rng.exponential(1 / rate)) times.push(t);
        const before = new Map(c.status().links.map((l) => [l.link, l.bytes]));
        const startedAt = new Date();
        const t0 = performance.now();
        const latencies: number[] = [];
        const failures = new Map<string, number>();
        const body = JSON.stringify({ input });
        const send = async (): Promise<void> => {
          const sent = performance.now();
          try {
            const res = await fetch(`${g.url}/fn/${encodeURIComponent(workflow)}/${encodeURIComponent(fn)}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
            const text = await res.text();
            if (res.ok) latencies.push((performance.now() - sent) / 1000);
            else {
              let why = `HTTP ${res.status}`;
              try {
                why = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? why;
              } catch {
                /* not JSON */
              }
              failures.set(why, (failures.get(why) ?? 0) + 1);
            }
          } catch (e) {
            const why = (e as Error).message;
            failures.set(why, (failures.get(why) ?? 0) + 1);
          }
        };
        const pending: Array<Promise<void>> = [];
        for (const t of times) {
          const wait = t * 1000 - (performance.now() - t0);
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          pending.push(send());
        }
        await Promise.all(pending);
        const links: Record<string, number> = {};
        for (const l of c.status().links) {
          const d = l.bytes - (before.get(l.link) ?? 0);
          if (d > 0) links[l.link] = d;
        }
        const failed = [...failures.values()].reduce((a, b) => a + b, 0);
        const record: LoadRecord = { workflow, function: fn, rate, durationS, seed, startedAt: startedAt.toISOString(), sent: times.length, ok: latencies.length, failed, links };
        if (values.record) writeFileSync(values.record, JSON.stringify(record, null, 2) + '\n');
        latencies.sort((a, b) => a - b);
        if (values.json) io.out(JSON.stringify({ ...record, client: { p50: quantile(latencies, 0.5), p95: quantile(latencies, 0.95) }, failures: Object.fromEntries(failures) }, null, 2));
        else {
          io.out(`${workflow}/${fn}: ${times.length} requests at ${rate}/s (Poisson, seed ${seed}) over ${durationS} s through ${g.url}: ${latencies.length} ok, ${failed} failed`);
          if (latencies.length) io.out(`  as the client saw it: p50 ${(quantile(latencies, 0.5) * 1000).toFixed(0)} ms, p95 ${(quantile(latencies, 0.95) * 1000).toFixed(0)} ms`);
          for (const [why, n] of failures) io.out(`  failed ${n}×: ${why}`);
          for (const [link, bytes] of Object.entries(links)) io.out(`  ${link}: ${bytes} bytes`);
          if (values.record) io.out(`recorded in ${values.record}: edgeai simulate <project> --exec-from-runs --compare-runs ${values.record}`);
        }
        return failed ? 1 : 0;
      } finally {
        await g.close();
      }
    } finally {
      c.close();
    }
  },
};
