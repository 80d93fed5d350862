/**
 * `npm run bench -- scheduler [--seconds 0.6]`: placements per second at ~100, ~1,000 and
 * ~10,000 nodes for each profile, scoring 100% of nodes, and how the cost per placement grows
 * with the number of nodes (ratios against the smallest size measured in the same run).
 *
 * Topology: urban sensing (docs/reference.md §3) with as many cells as give the size. The function is the
 * heaviest realistic case: an image, one input and one output with locations, a non-strict
 * data policy and a deadline with a workload (so the deadline estimate runs on every node).
 * The snapshot is re-cloned from a pristine copy every 500 placements (outside the timing), so
 * nodes do not fill up.
 *
 * Then bursts (an autoscaler's scale-up): k replicas of the function at once with scheduleReplicas
 * against k calls of schedule, on the same snapshots, the two measured in turns in this process;
 * printed as replicas per second and the ratio (the same placements: scheduler/properties.test.ts).
 */
import { ML_WORKFLOW_IMAGES, MiB, topologyByName } from '../cluster/topology';
import { buildSnapshot, profileByName, requirements, schedule, scheduleReplicas, type ClusterSnapshot, type FunctionRequirements } from '../cluster/scheduler';

const SIZES: Array<{ target: number; cells: number }> = [
  { target: 100, cells: 4 },
  { target: 1000, cells: 44 },
  { target: 10000, cells: 442 },
];
const PROFILES = ['edge-ai', 'skippy', 'kube-default'];
const BATCH = 500;

function fnFor(): FunctionRequirements {
  return requirements('preprocess', {
    memoryBytes: 100 * MiB,
    images: [ML_WORKFLOW_IMAGES.preprocess],
    workload: 'resnet-preprocessing',
    deadlineMs: 3_600_000,
    data: { networks: ['cloudlet-0', 'cell-0'], strict: false },
    inputs: [{ urn: 'raw', size: 12 * MiB, locations: ['cloudlet-0-nuc-0'] }],
    outputs: [{ urn: 'train', size: 209 * MiB, locations: ['cloudlet-0-nuc-0'] }],
  });
}

function measure(pristine: ClusterSnapshot, profileName: string, seconds: number): { perSecond: number; placed: number } {
  const profile = profileByName(profileName);
  const req = fnFor();
  // warm-up (JIT, caches)
  let snap = pristine.clone();
  for (let i = 0; i < 200; i++) schedule(snap, profile, req);
  let elapsed = 0;
  let placed = 0;
  while (elapsed < seconds * 1000) {
    snap = pristine.clone();
    const t0 = performance.now();
    for (let i = 0; i < BATCH; i++) {
      const r = schedule(snap, profile, req);
      if (r.node === null) throw new Error(`bench: ${profileName} found no node after ${i} placements`);
    }
    elapsed += performance.now() - t0;
    placed += BATCH;
  }
  return { perSecond: (placed / elapsed) * 1000, placed };
}

/** µs per replica placed in bursts of k (scheduleReplicas, or k calls of schedule), BATCH replicas per fresh clone */
function burstCost(pristine: ClusterSnapshot, profileName: string, k: number, together: boolean, seconds: number): number {
  const profile = profileByName(profileName);
  const req = fnFor();
  const place = (snap: ClusterSnapshot) => {
    if (together) {
      const rs = scheduleReplicas(snap, profile, req, k);
      if (rs.length !== k || rs[k - 1].node === null) throw new Error(`bench: ${profileName} placed fewer than ${k}`);
    } else for (let j = 0; j < k; j++) if (schedule(snap, profile, req).node === null) throw new Error(`bench: ${profileName} found no node`);
  };
  const warm = pristine.clone();
  for (let i = 0; i < 200 / k; i++) place(warm);
  let elapsed = 0;
  let placed = 0;
  while (elapsed < seconds * 1000) {
    const snap = pristine.clone();
    const t0 = performance.now();
    for (let i = 0; i < BATCH; i += k) place(snap);
    elapsed += performance.now() - t0;
    placed += Math.ceil(BATCH / k) * k;
  }
  return (elapsed * 1000) / placed;
}

export async function main(args: string[]): Promise<void> {
  const i = args.indexOf('--seconds');
  const seconds = i >= 0 ? Number(args[i + 1]) : 0.6;
  const snaps = SIZES.map((s) => {
    const t = topologyByName(`urban-sensing:cells=${s.cells}`);
    return { ...s, n: t.nodes.length, snap: buildSnapshot(t) };
  });
  console.log(`scheduler: placements per second, 100% of nodes scored, ${seconds} s per measurement (urban sensing topologies)`);
  console.log('profile        nodes   placements/s   µs/placement   ns/node/placement   cost vs smallest   nodes vs smallest   growth exponent');
  const results: Record<string, number> = {};
  for (const p of PROFILES) {
    let baseCost = 0;
    let baseN = 0;
    for (const s of snaps) {
      const { perSecond } = measure(s.snap, p, seconds);
      const cost = 1e6 / perSecond; // µs per placement
      if (!baseCost) {
        baseCost = cost;
        baseN = s.n;
      }
      results[`${p}@${s.target}`] = perSecond;
      const costRatio = cost / baseCost;
      const nRatio = s.n / baseN;
      const exponent = nRatio > 1 ? Math.log(costRatio) / Math.log(nRatio) : NaN;
      console.log(
        `${p.padEnd(13)} ${String(s.n).padStart(6)} ${perSecond.toFixed(0).padStart(14)} ${cost.toFixed(1).padStart(14)} ${((cost * 1000) / s.n).toFixed(1).padStart(19)} ${costRatio.toFixed(2).padStart(18)}× ${nRatio.toFixed(1).padStart(18)}× ${Number.isNaN(exponent) ? '—'.padStart(17) : exponent.toFixed(2).padStart(17)}`,
      );
    }
  }
  console.log(`bursts: k replicas at once (scheduleReplicas) against k placements one after another, ${snaps[1].n} nodes, measured in turns`);
  console.log('profile        k   one by one µs/replica   at once µs/replica   at once vs one by one');
  for (const p of ['edge-ai', 'skippy']) {
    for (const k of [2, 5, 20]) {
      let alone = Infinity;
      let together = Infinity;
      for (let round = 0; round < 3; round++) {
        alone = Math.min(alone, burstCost(snaps[1].snap, p, k, false, seconds / 3));
        together = Math.min(together, burstCost(snaps[1].snap, p, k, true, seconds / 3));
      }
      console.log(`${p.padEnd(13)} ${String(k).padStart(2)} ${alone.toFixed(1).padStart(23)} ${together.toFixed(1).padStart(20)} ${(alone / together).toFixed(2).padStart(22)}× faster`);
    }
  }
  const goal = results['edge-ai@1000'];
  console.log(`goal ≥ 10,000 placements/s at ~1,000 nodes with edge-ai: ${goal.toFixed(0)}/s — ${goal >= 10_000 ? 'met' : 'NOT met'}`);
  console.log('growth exponent = log(cost ratio) / log(nodes ratio); ≤ 1 means the cost per placement grows no worse than linearly');
}
