/**
 * The objects the kubernetes backend creates and `edgeai export kubernetes` writes: the namespace,
 * the cluster's agent Secret and one agent Pod per node. One function per object, used by both, so
 * what is exported is what `cluster up` runs.
 *
 * One pod per node pinned by `spec.nodeName`, not a DaemonSet: every node gets its own device
 * profile's limits and its own arguments (its name), only the nodes the topology selects run an
 * agent, and placement is ours (like Skippy, our scheduler decides; nodeName binds without the
 * Kubernetes scheduler). A DaemonSet would need one DaemonSet per node anyway.
 *
 * Every object carries `app.kubernetes.io/managed-by: edgeai-studio` and `edgeai.io/cluster`:
 * `cluster down` deletes by those labels.
 */
import { createHash } from 'node:crypto';
import { sysfsTreeToMount, type NodeLaunch } from '../../backend';
import { SECRET_ENV } from '../../agent/secret';
import { USB_RESOURCE_LABEL } from '../../../topology/kubernetes';
import { AGENT_LOOPBACK_PORT, FRONT_PORT, FRONT_SOURCE } from './front';

export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'edgeai-studio';
export const LABEL_CLUSTER = 'edgeai.io/cluster';
export const LABEL_NODE = 'edgeai.io/node';
export const LABEL_COMPONENT = 'app.kubernetes.io/component';
export const ANNOTATION_NODE = 'edgeai.io/node-name';
export const ANNOTATION_CLUSTER = 'edgeai.io/cluster-name';
export const SECRET_KEY = 'secret';
/** the node image's Node.js (docker-image.ts builds it there, offline or from node:20-slim) */
export const NODE_IN_IMAGE = '/usr/local/bin/node';
/** the floors of docker.ts: below them the agent is OOM-killed or misses its start-up */
export const MIN_MEMORY_BYTES = 256 * 1024 * 1024;
export const MIN_CPU_MILLIS = 100;
export const USB_BUS = '/dev/bus/usb';

/** A DNS label (pod, secret names) from free-form parts: lower-case, [a-z0-9-], ≤ 63, a hash where it had to change. */
export function dnsLabel(...parts: string[]): string {
  const raw = parts.join('-');
  const clean = raw.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, '');
  if (clean === raw && clean.length <= 63) return clean;
  return `${clean.slice(0, 54).replace(/-+$/, '')}-${createHash('sha256').update(raw).digest('hex').slice(0, 8)}`;
}

/** A label value (≤ 63, alphanumeric at both ends, [-_.A-Za-z0-9] between); the full name goes in an annotation. */
export function labelValue(s: string): string {
  if (/^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/.test(s) && s.length <= 63) return s;
  return dnsLabel(s);
}

export const podNameOf = (cluster: string, node: string) => dnsLabel('edgeai', cluster, node);
export const secretNameOf = (cluster: string) => dnsLabel('edgeai', cluster, 'agent');

export function clusterLabels(cluster: string): Record<string, string> {
  return { [LABEL_MANAGED_BY]: MANAGED_BY, [LABEL_CLUSTER]: labelValue(cluster) };
}

/** The label selector of everything a cluster created. */
export function clusterSelector(cluster: string): string {
  return `${LABEL_MANAGED_BY}=${MANAGED_BY},${LABEL_CLUSTER}=${labelValue(cluster)}`;
}

export function namespaceObject(namespace: string, cluster: string): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: clusterLabels(cluster), annotations: { [ANNOTATION_CLUSTER]: cluster } } };
}

/** The cluster's agent secret; `secret` undefined: a placeholder the user fills in (export). */
export function secretObject(namespace: string, cluster: string, secret: string | undefined): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: secretNameOf(cluster), namespace, labels: { ...clusterLabels(cluster), [LABEL_COMPONENT]: 'agent-secret' }, annotations: { [ANNOTATION_CLUSTER]: cluster } },
    type: 'Opaque',
    ...(secret !== undefined ? { data: { [SECRET_KEY]: Buffer.from(secret).toString('base64') } } : { stringData: { [SECRET_KEY]: 'REPLACE-with-32-random-bytes-base64url (openssl rand -base64 32 | tr +/ -_ | tr -d =)' } }),
  };
}

export interface PodOptions {
  namespace: string;
  image: string;
  /** accelerator nodes without a device-plugin resource: privileged with the host's USB bus (opt-in) */
  privilegedUsb?: boolean;
}

/** How an accelerator node gets its stick: the device plugin's resource, the privileged opt-in, or not at all (said in an annotation). */
export function usbAccessOf(spec: Pick<NodeLaunch, 'usb' | 'labels'>, opts: Pick<PodOptions, 'privilegedUsb'>): { resource?: string; privileged?: true; none?: string } {
  if (!spec.usb) return {};
  const resource = spec.labels[USB_RESOURCE_LABEL];
  if (resource) return { resource };
  if (opts.privilegedUsb) return { privileged: true };
  return { none: 'no device-plugin resource on the node (squat.ai/coral) and --privileged-usb not given: the agent runs without the stick' };
}

/** The agent pod of one node (its Secret is referenced, never inlined). */
export function agentPod(spec: Omit<NodeLaunch, 'secret' | 'storeDir'>, opts: PodOptions): Record<string, unknown> {
  const memory = spec.memoryBytes > 0 ? Math.max(spec.memoryBytes, MIN_MEMORY_BYTES) : MIN_MEMORY_BYTES;
  const cpu = Math.max(spec.cpuMillis, MIN_CPU_MILLIS);
  const usb = usbAccessOf(spec, opts);
  const agentLimits: Record<string, string> = { cpu: `${cpu}m`, memory: String(memory), ...(usb.resource ? { [usb.resource]: '1' } : {}) };
  const security = {
    allowPrivilegeEscalation: !!usb.privileged,
    readOnlyRootFilesystem: true,
    ...(usb.privileged ? { privileged: true } : { capabilities: { drop: ['ALL'] } }),
  };
  const labels = { ...clusterLabels(spec.cluster), [LABEL_NODE]: labelValue(spec.name), [LABEL_COMPONENT]: 'node-agent' };
  // where its agent watches its sticks (backend.ts sysfsTreeToMount): a tree other than /sys from the node's host
  const tree = sysfsTreeToMount(spec);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: podNameOf(spec.cluster, spec.name),
      namespace: opts.namespace,
      labels,
      annotations: {
        [ANNOTATION_CLUSTER]: spec.cluster,
        [ANNOTATION_NODE]: spec.name,
        'edgeai.io/network': spec.network,
        ...(usb.none ? { 'edgeai.io/usb': usb.none } : usb.resource ? { 'edgeai.io/usb': `device plugin resource ${usb.resource}` } : usb.privileged ? { 'edgeai.io/usb': `privileged, ${USB_BUS} from the host (the sticks re-enumerate after firmware load)` } : {}),
      },
    },
    spec: {
      nodeName: spec.name,
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      terminationGracePeriodSeconds: 3,
      securityContext: usb.privileged ? { seccompProfile: { type: 'RuntimeDefault' } } : { runAsUser: 65534, runAsGroup: 65534, runAsNonRoot: true, fsGroup: 65534, seccompProfile: { type: 'RuntimeDefault' } },
      // KubeEdge taints its edge nodes; nodeName skips the scheduler but says so explicitly
      tolerations: [{ key: 'node-role.kubernetes.io/edge', operator: 'Exists', effect: 'NoSchedule' }],
      containers: [
        {
          name: 'agent',
          image: opts.image,
          imagePullPolicy: 'IfNotPresent',
          args: ['--node', spec.name, '--cluster', spec.cluster, '--store', '/store', '--host', '127.0.0.1', '--port', String(AGENT_LOOPBACK_PORT), '--memory-bytes', String(memory)],
          env: [{ name: SECRET_ENV, valueFrom: { secretKeyRef: { name: secretNameOf(spec.cluster), key: SECRET_KEY } } }, ...(tree ? [{ name: 'EDGEAI_SYSFS_ROOT', value: tree }] : [])],
          resources: { requests: { cpu: `${MIN_CPU_MILLIS}m`, memory: String(MIN_MEMORY_BYTES), ...(usb.resource ? { [usb.resource]: '1' } : {}) }, limits: agentLimits },
          securityContext: security,
          volumeMounts: [
            { name: 'store', mountPath: '/store' },
            { name: 'tmp', mountPath: '/tmp' },
            ...(usb.privileged ? [{ name: 'usb', mountPath: USB_BUS }] : []),
            ...(tree ? [{ name: 'sysfs', mountPath: tree, readOnly: true }] : []),
          ],
        },
        {
          name: 'front',
          image: opts.image,
          imagePullPolicy: 'IfNotPresent',
          command: [NODE_IN_IMAGE, '-e', FRONT_SOURCE],
          env: [
            { name: 'EDGEAI_FRONT_PORT', value: String(FRONT_PORT) },
            { name: 'EDGEAI_FRONT_UPSTREAM', value: `127.0.0.1:${AGENT_LOOPBACK_PORT}` },
          ],
          ports: [{ name: 'agent', containerPort: FRONT_PORT, protocol: 'TCP' }],
          readinessProbe: { tcpSocket: { port: FRONT_PORT }, periodSeconds: 2 },
          resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '200m', memory: '96Mi' } },
          securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
        },
      ],
      volumes: [
        { name: 'store', emptyDir: {} },
        { name: 'tmp', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
        ...(usb.privileged ? [{ name: 'usb', hostPath: { path: USB_BUS, type: 'Directory' } }] : []),
        ...(tree ? [{ name: 'sysfs', hostPath: { path: tree, type: 'Directory' } }] : []),
      ],
    },
  };
}
