/**
 * `edgeai export kubernetes`: a project's cluster as plain Kubernetes objects — the namespace,
 * the agent Secret (a placeholder to fill in: a secret never goes into a file), one agent pod per
 * topology node (manifests.ts: the very objects `cluster up --backend kubernetes` creates), and
 * the node labels the topology needs as `kubectl label` commands. Every object is validated
 * against the official schemas (kubernetes-models) before it is written.
 *
 * Not exported: a controller. The controller is this program (edgeai, the studio), which reaches
 * the agents through the API server with a kubeconfig (docs/kubernetes.md); a headless controller
 * Deployment would need the CLI in an image and in-cluster credentials, not built yet.
 */
import { dumpYaml } from '@kubernetes/client-node';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Secret } from 'kubernetes-models/v1/Secret';
import { DEVICES } from '../../../topology/catalog';
import type { Topology } from '../../../topology/model';
import { LABEL_CAPABILITY_PREFIX, LABEL_DEVICE, LABEL_DOWNLINK, LABEL_LATENCY, LABEL_NETWORK, LABEL_NETWORK_KIND, LABEL_TYPE, LABEL_UPLINK } from '../../../topology/kubernetes';
import { StudioError } from '../../../common/errors';
import { agentPod, namespaceObject, secretObject } from './manifests';

export interface ExportRequest {
  /** the edgeai cluster name the objects are labelled with */
  cluster: string;
  namespace: string;
  image: string;
  topology: Topology;
  privilegedUsb?: boolean;
}

export interface Exported {
  /** multi-document YAML */
  yaml: string;
  /** a shell script: the node labels the topology needs */
  labels: string;
  objects: Array<Record<string, unknown>>;
}

/** Validates an object with kubernetes-models; a failure names the object and what is wrong. */
export function validateObject(o: Record<string, unknown>): void {
  const kind = o.kind;
  const meta = o.metadata as { name?: string } | undefined;
  try {
    if (kind === 'Namespace') new Namespace(o as never).validate();
    else if (kind === 'Secret') new Secret(o as never).validate();
    else if (kind === 'Pod') new Pod(o as never).validate();
    else throw new Error(`no schema for kind ${String(kind)}`);
  } catch (e) {
    throw new StudioError('invalid-manifest', `${String(kind)} ${meta?.name ?? '?'} does not validate against the Kubernetes schema: ${(e as Error).message}`, 'this is a bug of the export: please report it');
  }
}

/** The labels a node needs so `cluster inspect --backend kubernetes` maps it back to the same node. */
export function nodeLabels(t: Topology, node: string): Record<string, string> {
  const n = t.nodes.find((x) => x.name === node)!;
  const labels: Record<string, string> = { [LABEL_DEVICE]: n.device, [LABEL_TYPE]: n.type, [LABEL_NETWORK]: n.network };
  const net = t.networks.find((x) => x.name === n.network);
  if (net) labels[LABEL_NETWORK_KIND] = net.kind;
  for (const c of n.capabilities) if (!DEVICES[n.device]?.capabilities.includes(c)) labels[`${LABEL_CAPABILITY_PREFIX}${c}`] = 'true';
  const up = t.links.find((l) => !l.implied && l.from === n.network);
  if (up) Object.assign(labels, { [LABEL_UPLINK]: String(up.upMbps), [LABEL_DOWNLINK]: String(up.downMbps), [LABEL_LATENCY]: String(up.latencyMs) });
  return labels;
}

export function exportKubernetes(req: ExportRequest): Exported {
  const objects: Array<Record<string, unknown>> = [namespaceObject(req.namespace, req.cluster), secretObject(req.namespace, req.cluster, undefined)];
  for (const n of req.topology.nodes) {
    objects.push(
      agentPod(
        {
          cluster: req.cluster,
          name: n.name,
          cpuMillis: n.cpuMillis,
          memoryBytes: n.memoryBytes,
          labels: { ...n.labels },
          network: n.network,
          usb: n.capabilities.includes('tpu') || n.capabilities.includes('vpu'),
        },
        { namespace: req.namespace, image: req.image, ...(req.privilegedUsb ? { privilegedUsb: true } : {}) },
      ),
    );
  }
  for (const o of objects) validateObject(o);
  const header = `# Edge AI Studio: cluster '${req.cluster}' on topology '${req.topology.name}' (${req.topology.nodes.length} nodes), namespace ${req.namespace}.\n# Fill in the Secret, load the node image on every node (docs/kubernetes.md), label the nodes (label-nodes.sh), then: kubectl apply -f edgeai.yaml\n`;
  const yaml = header + objects.map((o) => '---\n' + dumpYaml(o, { lineWidth: -1, noRefs: true, sortKeys: false } as never)).join('');
  const lines = ['#!/bin/sh', `# the node labels topology '${req.topology.name}' needs (edgeai cluster inspect --backend kubernetes reads them back)`, 'set -e'];
  for (const n of req.topology.nodes) lines.push(`kubectl label node ${n.name} --overwrite ${Object.entries(nodeLabels(req.topology, n.name)).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  return { yaml, labels: lines.join('\n') + '\n', objects };
}
