/**
 * Device catalog: the device profiles of docs/reference.md §4 (faas-sim traces), plus the cloudlet
 * server of docs/reference.md §5 and a laptop (the user's own machine; not in the references — an
 * assumption documented on its entry).
 */
import type { Arch, TopologyNodeType } from '../spec/topology';

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;
export const MB = 1_000_000;

/** Workloads with per-device mean execution times (docs/reference.md §4 table). */
export const WORKLOADS = [
  'resnet-inference-cpu',
  'resnet-inference-gpu',
  'mobilenet-inference-tflite',
  'mobilenet-inference-tpu',
  'speech-inference-tflite',
  'resnet-preprocessing',
  'resnet-training-gpu',
  'resnet-training-cpu',
] as const;
export type Workload = (typeof WORKLOADS)[number];

export interface DeviceProfile {
  id: string;
  description: string;
  arch: Arch;
  cores: number;
  memoryBytes: number;
  capabilities: string[];
  /** the node type a device of this kind usually has */
  defaultType: TopologyNodeType;
  /** mean seconds per workload; a missing entry means the device cannot run it (– in §4) */
  exec: Partial<Record<Workload, number>>;
  /**
   * execution time relative to the xeon cpu VM, the geometric mean over the CPU workloads of
   * §4 that both have; scales a function's `referenceSeconds` (seconds on a xeon cpu VM).
   */
  slowdown: number;
}

type Row = [rpi3: number | null, rpi4: number | null, rockpi: number | null, coral: number | null, nano: number | null, tx2: number | null, nx: number | null, nuc: number | null, xeonCpu: number | null, xeonGpu: number | null];
const COLUMNS = ['rpi3', 'rpi4', 'rockpi', 'coral', 'nano', 'tx2', 'nx', 'nuc', 'xeon-cpu', 'xeon-gpu'] as const;

// docs/reference.md §4, per-device execution times (faas-sim traces, mean seconds); null = "–".
const EXEC_TABLE: Record<Workload, Row> = {
  'resnet-inference-cpu': [5.095, 2.908, 1.378, 2.185, 0.928, 0.745, 0.509, 0.157, 0.17, 0.17],
  'resnet-inference-gpu': [null, null, null, null, 0.729, 0.395, 0.388, null, null, 0.128],
  'mobilenet-inference-tflite': [2.073, 1.283, 0.515, 0.665, 0.446, 0.328, 0.332, 0.28, 0.283, 0.283],
  // measured on the Coral dev board only; which nodes run on an Edge TPU, and the time of a Coral USB
  // stick on another host (its CPU tflite time × 0.548 / 0.665, an assumption of docs/reference.md
  // §10), is the rule of workloadSeconds in cluster/planning/exec-model.ts — read exec through it
  'mobilenet-inference-tpu': [null, null, null, 0.548, null, null, null, null, null, null],
  'speech-inference-tflite': [16.56, 6.749, 3.816, 7.214, 3.886, 3.44, 2.684, 1.063, 1.078, 1.078],
  'resnet-preprocessing': [30.48, 19.5, 7.647, 10.51, 7.952, 6.387, 6.081, 2.526, 2.664, 2.664],
  'resnet-training-gpu': [null, null, null, null, 847.2, 228.1, 142.0, null, null, 32.13],
  'resnet-training-cpu': [null, null, null, null, null, null, null, 197.4, null, null],
};

const CPU_WORKLOADS: Workload[] = ['resnet-inference-cpu', 'mobilenet-inference-tflite', 'speech-inference-tflite', 'resnet-preprocessing'];

function execColumn(col: (typeof COLUMNS)[number]): Partial<Record<Workload, number>> {
  const i = COLUMNS.indexOf(col);
  const out: Partial<Record<Workload, number>> = {};
  for (const w of WORKLOADS) {
    const v = EXEC_TABLE[w][i];
    if (v !== null) out[w] = v;
  }
  return out;
}

function slowdownOf(exec: Partial<Record<Workload, number>>): number {
  const ref = execColumn('xeon-cpu');
  let logSum = 0;
  let k = 0;
  for (const w of CPU_WORKLOADS) {
    const a = exec[w];
    const b = ref[w];
    if (a !== undefined && b !== undefined) {
      logSum += Math.log(a / b);
      k++;
    }
  }
  return k ? Math.exp(logSum / k) : 1;
}

function profile(p: Omit<DeviceProfile, 'slowdown'>): DeviceProfile {
  return { ...p, slowdown: slowdownOf(p.exec) };
}

// Device specs: docs/reference.md §4 ("Device specs"), cloudlet: §5, capacities in cores and bytes.
export const DEVICES: Record<string, DeviceProfile> = {
  rpi3: profile({ id: 'rpi3', description: 'Raspberry Pi 3 (4 cores, 976 MiB, arm32)', arch: 'arm', cores: 4, memoryBytes: 976 * MiB, capabilities: [], defaultType: 'edge', exec: execColumn('rpi3') }),
  rpi4: profile({ id: 'rpi4', description: 'Raspberry Pi 4 (4 cores, 1 GiB, arm32)', arch: 'arm', cores: 4, memoryBytes: 1 * GiB, capabilities: [], defaultType: 'edge', exec: execColumn('rpi4') }),
  rockpi: profile({ id: 'rockpi', description: 'ROCK Pi (6 cores, 4 GiB, aarch64)', arch: 'arm64', cores: 6, memoryBytes: 4 * GiB, capabilities: [], defaultType: 'edge', exec: execColumn('rockpi') }),
  coral: profile({ id: 'coral', description: 'Coral Dev Board (4 cores, 1 GiB, aarch64, Edge TPU)', arch: 'arm64', cores: 4, memoryBytes: 1 * GiB, capabilities: ['tpu'], defaultType: 'edge', exec: execColumn('coral') }),
  nano: profile({ id: 'nano', description: 'Jetson Nano (4 cores, ~3.9 GiB, aarch64, Maxwell GPU)', arch: 'arm64', cores: 4, memoryBytes: Math.round(3.9 * GiB), capabilities: ['gpu', 'cuda'], defaultType: 'edge', exec: execColumn('nano') }),
  tx2: profile({ id: 'tx2', description: 'Jetson TX2 (4 cores, ~7.7 GiB, aarch64, Pascal GPU)', arch: 'arm64', cores: 4, memoryBytes: Math.round(7.7 * GiB), capabilities: ['gpu', 'cuda'], defaultType: 'edge', exec: execColumn('tx2') }),
  nx: profile({ id: 'nx', description: 'Jetson Xavier NX (6 cores, ~7.7 GiB, aarch64, Volta GPU)', arch: 'arm64', cores: 6, memoryBytes: Math.round(7.7 * GiB), capabilities: ['gpu', 'cuda'], defaultType: 'edge', exec: execColumn('nx') }),
  nuc: profile({ id: 'nuc', description: 'Intel NUC (4 cores, 16 GiB, x86)', arch: 'amd64', cores: 4, memoryBytes: 16 * GiB, capabilities: [], defaultType: 'edge', exec: execColumn('nuc') }),
  'xeon-cpu': profile({ id: 'xeon-cpu', description: 'Xeon cloud VM (4 cores, ~7.8 GiB, x86)', arch: 'amd64', cores: 4, memoryBytes: Math.round(7.8 * GiB), capabilities: [], defaultType: 'cloud', exec: execColumn('xeon-cpu') }),
  'xeon-gpu': profile({ id: 'xeon-gpu', description: 'Xeon cloud VM with a Turing GPU (4 cores, ~7.8 GiB, x86, 6 GB GPU)', arch: 'amd64', cores: 4, memoryBytes: Math.round(7.8 * GiB), capabilities: ['gpu', 'cuda'], defaultType: 'cloud', exec: execColumn('xeon-gpu') }),
  // docs/reference.md §5: cloudlet servers 88 cores, 188 GB. No §4 trace: assumed as fast as the xeon VM.
  cloudlet: profile({ id: 'cloudlet', description: 'Cloudlet server (88 cores, 188 GB, x86)', arch: 'amd64', cores: 88, memoryBytes: 188 * 1000 * MB, capabilities: [], defaultType: 'edge', exec: { ...execColumn('xeon-cpu') } }),
  // Not in the references: a typical developer laptop (8 cores, 16 GiB, x86), assumed as fast as the NUC (§4).
  laptop: profile({ id: 'laptop', description: "The user's laptop (8 cores, 16 GiB, x86; assumed NUC-class)", arch: 'amd64', cores: 8, memoryBytes: 16 * GiB, capabilities: [], defaultType: 'user_device', exec: execColumn('nuc') }),
};

export const DEVICE_IDS = Object.keys(DEVICES);

/** Container images of the Skippy ML workflow, bytes per arch (docs/reference.md §2). */
export const ML_WORKFLOW_IMAGES = {
  preprocess: { name: 'alexrashed/ml-wf-1-pre', size: { arm: 465830200, arm64: 540391110, amd64: 533323136 } },
  train: { name: 'alexrashed/ml-wf-2-train', size: { arm: 519336111, arm64: 594174340, amd64: 550683347 } },
  serve: { name: 'alexrashed/ml-wf-3-serve', size: { arm: 511888808, arm64: 590989596, amd64: 589680790 } },
} as const;
