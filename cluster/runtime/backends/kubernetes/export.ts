/**
 * `edgeai export kubernetes`: a project's cluster as plain Kubernetes objects — the namespace,
 * the agent Secret (a placeholder to fill in: a secret never goes into a file), one agent pod per
 * topology node (manifests.ts: the very objects `cluster up --backend kubernetes` creates), and
 * the node labels the topology needs as `kubectl label` commands. Every object is validated
 * against the official schemas (kubernetes-models) before it is written.
 *
 * With `controller`, the headless controller instead (controller.ts): a Deployment that runs the
 * CLI in the cluster with its service account and creates the Secret and the agent pods itself,
 * so the export then holds neither.
 */
import { dumpYaml } from '@kubernetes/client-node';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Secret } from 'kubernetes-models/v1/Secret';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { DEVICES } from '../../../topology/catalog';
import type { Topology } from '../../../topology/model';
import { LABEL_CAPABILITY_PREFIX, LABEL_DEVICE, LABEL_DOWNLINK, LABEL_LATENCY, LABEL_NETWORK, LABEL_NETWORK_KIND, LABEL_TYPE, LABEL_UPLINK } from '../../../topology/kubernetes';
import { StudioError } from '../../../common/errors';
import { agentPod, LABEL_CLUSTER, namespaceObject, secretObject } from './manifests';
import { controllerObjects, type ProjectFile } from './controller';

export interface ExportRequest {
  /** the edgeai cluster name the objects are labelled with */
  cluster: string;
  namespace: string;
  image: string;
  topology: Topology;
  privilegedUsb?: boolean;
  /** the headless controller (its image, the project's files) instead of the Secret and agent pods */
  controller?: { image: string; project: ProjectFile[] };
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
    else if (kind === 'ConfigMap') new ConfigMap(o as never).validate();
    else if (kind === 'ServiceAccount') new ServiceAccount(o as never).validate();
    else if (kind === 'Deployment') new Deployment(o as never).validate();
    else if (kind === 'ClusterRole') new ClusterRole(o as never).validate();
    else if (kind === 'ClusterRoleBinding') new ClusterRoleBinding(o as never).validate();
    else if (kind === 'Role') new Role(o as never).validate();
    else if (kind === 'RoleBinding') new RoleBinding(o as never).validate();
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
  if (req.controller) return withController(req, req.controller);
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
  const header = `# Edge AI Studio: cluster '${req.cluster}' on topology '${req.topology.name}' (${req.topology.nodes.length} nodes), namespace ${req.namespace}.\n# Fill in the Secret, load the node image on every node (docs/kubernetes.md), label the nodes (label-nodes.sh), then: kubectl apply -f edgeai.yaml\n`;
  return written(req, objects, header);
}

function withController(req: ExportRequest, c: NonNullable<ExportRequest['controller']>): Exported {
  // the namespace without the cluster's label: a `cluster down` deletes what carries it, and the controller lives here
  const ns = namespaceObject(req.namespace, req.cluster) as { metadata: { labels: Record<string, string> } };
  delete ns.metadata.labels[LABEL_CLUSTER];
  const objects = [ns as Record<string, unknown>, ...controllerObjects({ cluster: req.cluster, namespace: req.namespace, image: c.image, nodeImage: req.image, project: c.project, ...(req.privilegedUsb ? { privilegedUsb: true } : {}) })];
  const header = `# Edge AI Studio: the headless controller of cluster '${req.cluster}' (workflow in the ConfigMap), namespace ${req.namespace}; it maps the cluster's Ready nodes and starts one agent pod on each itself.\n# Load the node image on every node and the controller image where it runs (docs/kubernetes.md), label the nodes (label-nodes.sh), then: kubectl apply -f edgeai.yaml\n`;
  return written(req, objects, header);
}

function written(req: ExportRequest, objects: Array<Record<string, unknown>>, header: string): Exported {
  for (const o of objects) validateObject(o);
  const yaml = header + objects.map((o) => '---\n' + dumpYaml(o, { lineWidth: -1, noRefs: true, sortKeys: false } as never)).join('');
  const lines = ['#!/bin/sh', `# the node labels topology '${req.topology.name}' needs (edgeai cluster inspect --backend kubernetes reads them back)`, 'set -e'];
  for (const n of req.topology.nodes) lines.push(`kubectl label node ${n.name} --overwrite ${Object.entries(nodeLabels(req.topology, n.name)).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  return { yaml, labels: lines.join('\n') + '\n', objects };
}
