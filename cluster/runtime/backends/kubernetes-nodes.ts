/** A Node object as a k3s cluster lists it, for the test API server (tests only). */
import type { KubeNode } from '../../topology/kubernetes';

export function fakeNode(name: string, arch: 'amd64' | 'arm64' | 'arm', labels: Record<string, string> = {}, allocatable: Record<string, string> = { cpu: '4', memory: '8029184Ki', pods: '110' }): KubeNode {
  return {
    metadata: { name, labels: { 'kubernetes.io/arch': arch, 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', ...labels } },
    spec: {},
    status: {
      capacity: allocatable,
      allocatable,
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }],
      nodeInfo: { architecture: arch, kubeletVersion: 'v1.30.6+k3s1', osImage: 'Debian GNU/Linux 12 (bookworm)' },
    },
  };
}
