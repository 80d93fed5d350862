/**
 * The faas-sim default workload (docs/reference.md §3) as a SimWorkflow: one deployment of the chain
 * preprocess → train → inference with the Skippy ML workflow images (§2), data items of
 * 12 MiB raw, 209 MiB training data and a 1500 KiB model, training triggered every
 * 200 s + Exp(mean 100 s) and inference every 25 s + Exp(mean 50 s). Image popularity (80/20)
 * only matters with many deployments and is not modelled.
 */
import { requirements } from '../scheduler/requirements';
import { MiB, ML_WORKFLOW_IMAGES } from '../topology/catalog';
import type { Topology } from '../topology/model';
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

export function faasSimWorkflow(topology: Topology): SimWorkflow {
  const storage = storageNodes(topology);
  return {
    name: 'faas-sim-ml',
    functions: [
      {
        id: 'preprocess',
        // docs/reference.md §2: preprocess 100 MiB memory, receives 12 MiB, sends 209 MiB
        base: requirements('preprocess', { memoryBytes: 100 * MiB, images: [ML_WORKFLOW_IMAGES.preprocess], workload: 'resnet-preprocessing' }),
        inputs: ['faas-sim:raw'],
        outputs: ['faas-sim:train-data'],
      },
      {
        id: 'train',
        // docs/reference.md §2: train 1 GiB memory, needs GPU + CUDA 10, receives 209 MiB, sends 1500 KiB
        base: requirements('train', {
          memoryBytes: 1 * GiB,
          images: [ML_WORKFLOW_IMAGES.train],
          workload: 'resnet-training-gpu',
          capabilities: ['gpu', 'cuda'],
          capabilityValues: { cuda: '10' },
        }),
        inputs: ['faas-sim:train-data'],
        outputs: ['faas-sim:model'],
      },
      {
        id: 'inference',
        // docs/reference.md §2: serve receives 1500 KiB
        base: requirements('inference', { images: [ML_WORKFLOW_IMAGES.serve], workload: 'resnet-inference-cpu' }),
        inputs: ['faas-sim:model'],
        outputs: [],
      },
    ],
    artifacts: [
      { urn: 'faas-sim:raw', kind: 'data', size: 12 * MiB, locations: storage },
      { urn: 'faas-sim:train-data', kind: 'data', size: 209 * MiB, locations: storage, store: 'storage' },
      { urn: 'faas-sim:model', kind: 'model', size: 1500 * KiB, locations: storage, store: 'storage' },
    ],
    arrivals: [
      { function: 'preprocess', kind: 'periodic-exp', baseS: 200, meanS: 100, source: 'faas-sim training' },
      { function: 'inference', kind: 'periodic-exp', baseS: 25, meanS: 50, source: 'faas-sim inference' },
    ],
    followUps: [{ function: 'train', kind: 'data', selector: { urn: 'faas-sim:train-data' }, batch: 1, source: 'faas-sim chain' }],
    notes: [],
  };
}
