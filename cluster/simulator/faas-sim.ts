/**
 * The faas-sim default workload (docs/reference.md §3) as a SimWorkflow: one deployment of the chain
 * preprocess → train → inference with the Skippy ML workflow images (§2), data items of
 * 12 MiB raw, 209 MiB training data and a 1500 KiB model, training triggered every
 * 200 s + Exp(mean 100 s) and inference every 25 s + Exp(mean 50 s).
 *
 * With `deployments: N > 1` (faas-sim's UrbanSensingScenario(cells) has 10 per cell, §3) the chain
 * is repeated N times: deployment i's functions are `preprocess-i`, `train-i`, `inference-i`, its
 * data bucket (raw data, training data, model) lives on one storage node (storage node i mod count,
 * deterministic; with buckets 'uniform' drawn uniformly per deployment, as faas-sim does), and its images are the
 * ML workflow images tagged with an image id drawn as faas-sim draws it (its ScaledParetoSampler:
 * 80% of the deployments share 20% of the tags, 28% the first) from the seeded stream 'faas-sim images'.
 */
import { requirements } from '../scheduler/requirements';
import { MiB, ML_WORKFLOW_IMAGES } from '../topology/catalog';
import type { Topology } from '../topology/model';
import { Rng, SimulationError } from './engine';
import { registryNode, type SimWorkflow } from './workflow';

const KiB = 1024;
const GiB = 1024 * MiB;

/** Storage nodes of the topology (docs/reference.md §1: they hold data, never run functions); else the registry node, else the first node. */
export function storageNodes(t: Topology): string[] {
  const s = t.nodes.filter((n) => n.storage).map((n) => n.name);
  if (s.length) return s;
  const reg = registryNode(t);
  return [reg ?? t.nodes[0].name];
}

export interface FaasSimWorkloadOptions {
  /** copies of the chain (default 1: the names preprocess, train, inference) */
  deployments?: number;
  /**
   * Deployment i is placed at i · deployIntervalS and its arrivals start at (i + 1) · deployIntervalS
   * with a request at once (faas-sim adds one every 250 + 5 s, §3); default 0: all at t = 0, the
   * first arrival after one gap.
   */
  deployIntervalS?: number;
  /** the seed of the image-popularity draw (deployments > 1) and of the bucket draw */
  seed?: number;
  /**
   * where each deployment's bucket lives (deployments > 1): 'round-robin' storage node i mod count
   * (the default, deterministic), or 'uniform' — drawn uniformly per deployment from the seeded
   * stream 'faas-sim buckets', as faas-sim's distribute_buckets does (the faas-sim preset)
   */
  buckets?: 'round-robin' | 'uniform';
}

/** faas-sim's ScaledParetoSampler (srds 0.1.0): scipy pareto(b = 1.16, loc = −0.08, scale = 0.08), kept within [0, 1] */
const PARETO_B = 1.16;
const PARETO_SCALE = 0.08;
/** the Pareto's Y = 1 + x / scale at the bound x = 1, and P(Y ≤ it): the truncation the sampler's rejection makes */
const PARETO_Y_MAX = 1 + 1 / PARETO_SCALE;
const PARETO_F_MAX = 1 - PARETO_Y_MAX ** -PARETO_B;

/**
 * An image id among `n` with faas-sim's 80/20 popularity (faas-sim@9c6e1b3 synth/pods.py:
 * IntegerTruncationSampler(ScaledParetoSampler(0, n))): x from a Pareto(1.16) scaled by 0.08 and
 * truncated to [0, 1] (by inverting its CDF at u · P(x ≤ 1), the distribution srds' rejection
 * gives), id = floor(n · x). About 80% of the draws fall below 0.2 · n, and 28% on id 0.
 */
export function popularImageId(n: number, u: number): number {
  const y = (1 - u * PARETO_F_MAX) ** (-1 / PARETO_B);
  return Math.min(n - 1, Math.floor(n * PARETO_SCALE * (y - 1)));
}

export function faasSimWorkflow(topology: Topology, opts: FaasSimWorkloadOptions = {}): SimWorkflow {
  const n = opts.deployments ?? 1;
  if (!(Number.isInteger(n) && n >= 1)) throw new SimulationError(`deployments ${n}: give a whole number ≥ 1`);
  const storage = storageNodes(topology);
  const interval = opts.deployIntervalS ?? 0;
  if (!(interval >= 0)) throw new SimulationError(`deployIntervalS ${interval}: give a number ≥ 0`);
  const parts =
    n === 1
      ? [oneDeployment(storage, '', '')]
      : (() => {
          const rng = Rng.stream(opts.seed ?? 0, 'faas-sim images');
          const ids = Array.from({ length: n }, () => popularImageId(n, rng.uniform()));
          const brng = Rng.stream(opts.seed ?? 0, 'faas-sim buckets');
          const bucket = (i: number) => (opts.buckets === 'uniform' ? storage[Math.min(storage.length - 1, Math.floor(brng.uniform() * storage.length))] : storage[i % storage.length]);
          return ids.map((id, i) => oneDeployment([bucket(i)], `-${i}`, `:${id}`));
        })();
  // preprocess and train scale to zero, inference keeps its replica (faas-sim's scale_zero, §3)
  const lifecycle: NonNullable<SimWorkflow['lifecycle']> = {};
  parts.forEach((p, i) => {
    for (const f of p.functions) lifecycle[f.id] = { ...(interval > 0 ? { deployAtS: i * interval } : {}), scaleToZero: !f.id.startsWith('inference') };
    if (interval > 0) for (const a of p.arrivals) (a as { startS?: number }).startS = (i + 1) * interval;
  });
  return {
    name: n === 1 ? 'faas-sim-ml' : `faas-sim-ml (${n} deployments)`,
    functions: parts.flatMap((p) => p.functions),
    artifacts: parts.flatMap((p) => p.artifacts),
    arrivals: parts.flatMap((p) => p.arrivals),
    followUps: parts.flatMap((p) => p.followUps),
    lifecycle,
    notes: [],
  };
}

type Image = { name: string; size: { arm: number; arm64: number; amd64: number } };

/** One deployment of the chain; `suffix` ('' or '-i') names its functions, `tag` ('' or ':id') its images. */
function oneDeployment(storage: string[], suffix: string, tag: string): Omit<SimWorkflow, 'name' | 'notes' | 'lifecycle'> {
  const image = (im: Image) => (tag ? { ...im, name: im.name + tag } : im);
  const id = (x: string) => x + suffix;
  const urn = (x: string) => (suffix ? `faas-sim:${suffix.slice(1)}:${x}` : `faas-sim:${x}`);
  return {
    functions: [
      {
        id: id('preprocess'),
        // docs/reference.md §2: preprocess 100 MiB memory, receives 12 MiB, sends 209 MiB
        base: requirements(id('preprocess'), { memoryBytes: 100 * MiB, images: [image(ML_WORKFLOW_IMAGES.preprocess)], workload: 'resnet-preprocessing' }),
        inputs: [urn('raw')],
        outputs: [urn('train-data')],
      },
      {
        id: id('train'),
        // docs/reference.md §2: train 1 GiB memory, needs GPU + CUDA 10, receives 209 MiB, sends 1500 KiB
        base: requirements(id('train'), {
          memoryBytes: 1 * GiB,
          images: [image(ML_WORKFLOW_IMAGES.train)],
          workload: 'resnet-training-gpu',
          capabilities: ['gpu', 'cuda'],
          capabilityValues: { cuda: '10' },
        }),
        inputs: [urn('train-data')],
        outputs: [urn('model')],
      },
      {
        id: id('inference'),
        // docs/reference.md §2: serve receives 1500 KiB
        base: requirements(id('inference'), { images: [image(ML_WORKFLOW_IMAGES.serve)], workload: 'resnet-inference-cpu' }),
        inputs: [urn('model')],
        outputs: [],
      },
    ],
    artifacts: [
      { urn: urn('raw'), kind: 'data', size: 12 * MiB, locations: storage },
      { urn: urn('train-data'), kind: 'data', size: 209 * MiB, locations: storage, store: 'storage' },
      { urn: urn('model'), kind: 'model', size: 1500 * KiB, locations: storage, store: 'storage' },
    ],
    arrivals: [
      { function: id('preprocess'), kind: 'periodic-exp', baseS: 200, meanS: 100, source: `faas-sim training${suffix}` },
      { function: id('inference'), kind: 'periodic-exp', baseS: 25, meanS: 50, source: `faas-sim inference${suffix}` },
    ],
    followUps: [{ function: id('train'), kind: 'data', selector: { urn: urn('train-data') }, batch: 1, source: `faas-sim chain${suffix}` }],
  };
}
