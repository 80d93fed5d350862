/**
 * The execution-time model's accelerator rule (issue 14, item 7), against the figures of
 * docs/reference.md §4: mobilenet on the Coral dev board is 0.665 s with tflite on its CPU and
 * 0.548 s on its Edge TPU; a Coral USB stick on another host runs the host's CPU time × 0.548 /
 * 0.665 (the project's assumption, §10). The scheduler's snapshot reads the same rule.
 */
import { describe, expect, it } from 'vitest';
import { DEVICES } from '../topology/catalog';
import { localCluster } from '../topology/scenarios';
import { buildSnapshot } from '../scheduler/snapshot';
import { EDGE_TPU_RATIO, edgeTpuDescription, missingEdgeTpu, runsOnEdgeTpu, workloadSeconds } from './exec-model';

const node = (device: string, capabilities: string[] = []) => ({ device, capabilities });

describe('execution time per accelerator (docs/reference.md §4, §10)', () => {
  it('the Coral dev board: 0.665 s on its CPU, 0.548 s on its Edge TPU — the measured figures', () => {
    expect(workloadSeconds(node('coral', []), 'mobilenet-inference-tflite')).toBe(0.665);
    expect(workloadSeconds(node('coral', ['tpu']), 'mobilenet-inference-tflite')).toBe(0.548);
    expect(workloadSeconds(node('coral', ['tpu']), 'mobilenet-inference-tpu')).toBe(0.548);
    expect(EDGE_TPU_RATIO).toBeCloseTo(0.548 / 0.665, 12);
  });

  it('a Coral USB stick on another host: its CPU tflite time × 0.548 / 0.665; without the stick, the CPU time of §4', () => {
    for (const [device, cpu] of [['nuc', 0.28], ['rpi4', 1.283], ['rpi3', 2.073], ['xeon-cpu', 0.283], ['laptop', 0.28]] as const) {
      expect(workloadSeconds(node(device), 'mobilenet-inference-tflite'), device).toBe(cpu);
      expect(workloadSeconds(node(device, ['tpu']), 'mobilenet-inference-tflite'), device).toBeCloseTo((cpu * 0.548) / 0.665, 12);
      expect(workloadSeconds(node(device, ['tpu']), 'mobilenet-inference-tpu'), device).toBeCloseTo((cpu * 0.548) / 0.665, 12);
    }
    // the NUC: 0.280 s → 0.231 s
    expect(workloadSeconds(node('nuc', ['tpu']), 'mobilenet-inference-tflite')).toBeCloseTo(0.2307, 4);
  });

  it('an Edge TPU model runs only where there is an Edge TPU, and says so', () => {
    expect(workloadSeconds(node('nuc'), 'mobilenet-inference-tpu')).toBe(Infinity);
    expect(workloadSeconds(node('coral', []), 'mobilenet-inference-tpu')).toBe(Infinity);
    expect(missingEdgeTpu(node('nuc'), 'mobilenet-inference-tpu')).toMatch(/^no Edge TPU \(capability tpu\) for workload mobilenet-inference-tpu: attach a Coral stick/);
    expect(missingEdgeTpu(node('nuc', ['tpu']), 'mobilenet-inference-tpu')).toBeUndefined();
    expect(missingEdgeTpu(node('nano'), 'resnet-training-cpu')).toBeUndefined();
  });

  it('the TPU changes nothing else: other workloads, a vpu (no figure in §4), an unknown device', () => {
    for (const w of ['resnet-inference-cpu', 'speech-inference-tflite', 'resnet-preprocessing'] as const) {
      expect(workloadSeconds(node('nuc', ['tpu']), w), w).toBe(DEVICES.nuc.exec[w]);
      expect(runsOnEdgeTpu(node('nuc', ['tpu']), w)).toBe(false);
    }
    expect(workloadSeconds(node('nuc', ['vpu']), 'mobilenet-inference-tflite')).toBe(0.28);
    expect(workloadSeconds(node('rpi3', ['tpu']), 'resnet-training-gpu')).toBe(Infinity);
    expect(workloadSeconds(node('no-such-device', ['tpu']), 'mobilenet-inference-tflite')).toBe(Infinity);
  });

  it('the scheduler reads the same rule: the snapshot of a topology with a stick on edge-1', () => {
    const t = localCluster();
    const withStick = { ...t, nodes: t.nodes.map((n) => (n.name === 'edge-1' ? { ...n, capabilities: ['tpu'] } : n)) };
    const plain = buildSnapshot(t).execSeconds('mobilenet-inference-tflite');
    const stick = buildSnapshot(withStick).execSeconds('mobilenet-inference-tflite');
    const at = (name: string) => t.nodes.findIndex((n) => n.name === name);
    expect(plain[at('edge-1')]).toBe(0.28);
    expect(stick[at('edge-1')]).toBeCloseTo((0.28 * 0.548) / 0.665, 12);
    for (const n of ['laptop', 'edge-2', 'cloud-1']) expect(stick[at(n)], n).toBe(plain[at(n)]);
    for (const n of withStick.nodes) expect(buildSnapshot(withStick).execSeconds('mobilenet-inference-tpu')[at(n.name)], n.name).toBe(workloadSeconds(n, 'mobilenet-inference-tpu'));
  });

  it('says which figure it used: measured on the dev board, the stated ratio elsewhere', () => {
    expect(edgeTpuDescription({ name: 'board', ...node('coral', ['tpu']) }, 'mobilenet-inference-tflite')).toBe('board (coral) runs mobilenet-inference-tflite on its Edge TPU: 0.548 s, against 0.665 s on its CPU (measured, docs/reference.md §4)');
    expect(edgeTpuDescription({ name: 'edge-1', ...node('nuc', ['tpu']) }, 'mobilenet-inference-tflite')).toMatch(/^edge-1 \(nuc\) runs mobilenet-inference-tflite on its Edge TPU: 0\.231 s, against 0\.280 s on its CPU \(no §4 figure for a Coral stick on a nuc: its CPU time × 0\.824.*docs\/reference\.md §10\)$/);
    expect(edgeTpuDescription({ name: 'edge-1', ...node('nuc') }, 'mobilenet-inference-tflite')).toBeUndefined();
  });
});
