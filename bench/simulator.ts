/**
 * `npm run bench -- simulator [--hours 1] [--rate 5]`: simulated events per second and the ratio
 * of simulated time to wall time, on urban sensing with 4 cells (REFERENCE §3, ~91 nodes) for
 * one simulated hour, for two workloads: samples/mnist with its http trigger at `--rate`
 * requests/s (many short invocations), and the faas-sim ML chain of REFERENCE §3 (few long ones,
 * large transfers). Each is run once to warm up, then measured over 3 runs (best kept).
 *
 * Then the studio's way of running it: compareSchedulersAsync in slices of 20,000 events with a
 * macrotask between them (the event loop stays free), as a ratio to the plain synchronous run of
 * the same simulation in this process; and the longest slice, i.e. the longest the studio's main
 * process is held.
 */
import { fileURLToPath } from 'node:url';
import { loadProject } from '../cluster/project/index';
import { topologyByName } from '../cluster/topology/index';
import { compareSchedulersAsync, simulate, type SimulationOptions } from '../cluster/simulator/index';

function measure(opts: SimulationOptions): { wallS: number; events: number; invocations: number } {
  simulate(opts); // warm-up
  let best = Infinity;
  let events = 0;
  let invocations = 0;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const r = simulate(opts);
    const wall = (performance.now() - t0) / 1000;
    if (wall < best) best = wall;
    events = r.events;
    invocations = r.totals.invocations;
  }
  return { wallS: best, events, invocations };
}

export async function main(args: string[]): Promise<void> {
  const arg = (name: string, dflt: number) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? Number(args[i + 1]) : dflt;
  };
  const hours = arg('hours', 1);
  const rate = arg('rate', 5);
  const topology = topologyByName('urban-sensing:cells=4');
  const project = loadProject(fileURLToPath(new URL('../samples/mnist', import.meta.url)));
  const durationS = hours * 3600;
  const cases: Array<{ name: string; opts: SimulationOptions }> = [
    { name: `mnist, inference at ${rate}/s`, opts: { project, topology, profile: 'edge-ai', seed: 1, durationS, rates: { inference: rate } } },
    { name: 'faas-sim ML chain (§3)', opts: { workload: 'faas-sim', topology, profile: 'edge-ai', seed: 1, durationS } },
  ];
  console.log(`urban-sensing:cells=4 (${topology.nodes.length} nodes), ${hours} simulated hour(s), profile edge-ai`);
  for (const c of cases) {
    const m = measure(c.opts);
    console.log(
      `  ${c.name.padEnd(28)} ${String(m.events).padStart(8)} events  ${String(m.invocations).padStart(7)} invocations  ` +
        `${(m.wallS * 1000).toFixed(1).padStart(8)} ms wall  ${Math.round(m.events / m.wallS).toLocaleString('en-US').padStart(10)} events/s  ` +
        `simulated/wall ${Math.round(durationS / m.wallS).toLocaleString('en-US')}×`,
    );
  }

  // sliced (the studio) vs synchronous (the CLI), same simulation, best of 3 each
  const { profile: _p, ...base } = cases[0].opts;
  const sync = measure(cases[0].opts).wallS;
  let sliced = Infinity;
  let longestSliceMs = 0;
  for (let i = 0; i < 3; i++) {
    let last = performance.now();
    let longest = 0;
    const t0 = performance.now();
    await compareSchedulersAsync(base, ['edge-ai'], {
      onProgress: () => {
        const now = performance.now();
        longest = Math.max(longest, now - last);
        last = now;
      },
    });
    const wall = (performance.now() - t0) / 1000;
    if (wall < sliced) {
      sliced = wall;
      longestSliceMs = longest;
    }
  }
  console.log(
    `  studio (sliced, 20,000 events per slice): ${(sliced * 1000).toFixed(1)} ms wall = ${(sliced / sync).toFixed(2)}× the synchronous run (${(sync * 1000).toFixed(1)} ms); ` +
      `longest hold of the event loop ${longestSliceMs.toFixed(1)} ms`,
  );
}
