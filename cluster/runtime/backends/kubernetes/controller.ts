/**
 * The headless controller of `edgeai export kubernetes --controller`: the workflow run inside the
 * cluster without the studio. A Deployment (one replica, Recreate) whose container runs the CLI as
 * the controller does on a laptop — `cluster up --backend kubernetes --kubeconfig in-cluster` (the
 * pod's service account, api.ts), `deploy /project`, then `gateway` (http triggers; schedule
 * triggers run in that process) — with the project in a ConfigMap, and the RBAC for exactly the
 * endpoints the backend uses (nodes get/list/watch and namespaces cluster-wide; pods, pods/proxy and
 * secrets in the namespace).
 *
 * The controller creates the agent Secret and pods itself at every start (an earlier run's pods
 * are replaced), so the export then holds none of them. Its own objects carry
 * `edgeai.io/controller-of`, not the cluster's label: a `cluster down` (which deletes by that label)
 * never deletes the controller, nor the namespace it lives in.
 *
 * The image is built offline by controller-image.ts (`edgeai export kubernetes --controller` builds
 * it when Docker answers); the Docker test runs it as kubelet would run this Deployment's container,
 * against the test API server. No real kubelet has run it.
 */
import { dnsLabel, LABEL_COMPONENT, LABEL_MANAGED_BY, labelValue, MANAGED_BY } from './manifests';
import { StudioError } from '../../../common/errors';

/** The node image the controller's agent pods run (kubernetes.ts reads it: the default of its `image`). */
export const NODE_IMAGE_ENV = 'EDGEAI_NODE_IMAGE';

export const LABEL_CONTROLLER_OF = 'edgeai.io/controller-of';
/** a ConfigMap holds at most 1 MiB; what is left for the project after the object's own fields */
export const MAX_PROJECT_BYTES = 900 * 1024;
export const GATEWAY_PORT = 8080;

export interface ProjectFile {
  /** relative to the project folder, with '/' */
  path: string;
  content: Buffer;
}

export interface ControllerRequest {
  cluster: string;
  namespace: string;
  image: string;
  /** the node image the agent pods run (the controller's EDGEAI_NODE_IMAGE: it builds no agent itself) */
  nodeImage: string;
  project: ProjectFile[];
  privilegedUsb?: boolean;
}

export const controllerNameOf = (cluster: string) => dnsLabel('edgeai', cluster, 'controller');

function labels(cluster: string): Record<string, string> {
  return { [LABEL_MANAGED_BY]: MANAGED_BY, [LABEL_COMPONENT]: 'controller', [LABEL_CONTROLLER_OF]: labelValue(cluster) };
}

/** The project as one ConfigMap: keys f0, f1, … (a key cannot hold '/'), mounted back at their paths. */
function projectConfigMap(req: ControllerRequest, name: string): { object: Record<string, unknown>; items: Array<{ key: string; path: string }> } {
  const total = req.project.reduce((n, f) => n + f.content.length, 0);
  if (total > MAX_PROJECT_BYTES) {
    const big = [...req.project].sort((a, b) => b.content.length - a.content.length).slice(0, 3).map((f) => `${f.path} ${Math.ceil(f.content.length / 1024)} KiB`);
    throw new StudioError('project-too-large', `the project is ${Math.ceil(total / 1024)} KiB; a ConfigMap holds at most ${MAX_PROJECT_BYTES / 1024} KiB of it (largest: ${big.join(', ')})`, 'leave large data out of the project folder (import it into the registry with `edgeai data add`), or export without --controller and run the controller outside the cluster');
  }
  const data: Record<string, string> = {};
  const binaryData: Record<string, string> = {};
  const items: Array<{ key: string; path: string }> = [];
  [...req.project]
    .sort((a, b) => a.path.localeCompare(b.path))
    .forEach((f, i) => {
      const key = `f${i}`;
      const text = f.content.toString('utf8');
      if (Buffer.from(text, 'utf8').equals(f.content) && !text.includes('\u0000')) data[key] = text;
      else binaryData[key] = f.content.toString('base64');
      items.push({ key, path: f.path });
    });
  const object: Record<string, unknown> = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: req.namespace, labels: labels(req.cluster), annotations: { 'edgeai.io/files': items.map((x) => `${x.key}=${x.path}`).join(' ') } },
    data,
    ...(Object.keys(binaryData).length ? { binaryData } : {}),
  };
  return { object, items };
}

/** ServiceAccount, the RBAC the backend needs, the project ConfigMap and the Deployment, in apply order. */
export function controllerObjects(req: ControllerRequest): Array<Record<string, unknown>> {
  const name = controllerNameOf(req.cluster);
  const ns = req.namespace;
  const meta = (extra: Record<string, unknown> = {}) => ({ name, labels: labels(req.cluster), ...extra });
  const subject = [{ kind: 'ServiceAccount', name, namespace: ns }];
  const { object: configMap, items } = projectConfigMap(req, dnsLabel('edgeai', req.cluster, 'project'));
  const edgeai = (...args: string[]) => ['edgeai', ...args, '--home', '/state', '--cluster', req.cluster].join(' ');
  // every start is a fresh controller: the state of an earlier run is gone, and `up` replaces that
  // run's pods; the glob leaves out the ConfigMap volume's own ..data links
  const script = [
    'set -e',
    'find /state -mindepth 1 -delete',
    'cp -RL /project-src/* /project/',
    edgeai('cluster', 'up', '--backend', 'kubernetes', '--kubeconfig', 'in-cluster', '--namespace', ns, ...(req.privilegedUsb ? ['--privileged-usb'] : [])),
    edgeai('deploy', '/project'),
    `exec ${edgeai('gateway', '--port', String(GATEWAY_PORT))}`,
  ].join('\n');
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta({ namespace: ns }), automountServiceAccountToken: true },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: meta(),
      rules: [
        { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'create', 'delete'] },
      ],
    },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: meta(), roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name }, subjects: subject },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: meta({ namespace: ns }),
      rules: [
        { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'create', 'delete'] },
        // the agent API through the proxy: GET and HEAD (get), POST (create), PUT (update)
        { apiGroups: [''], resources: ['pods/proxy'], verbs: ['get', 'create', 'update'] },
        { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'create', 'delete'] },
      ],
    },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: meta({ namespace: ns }), roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name }, subjects: subject },
    configMap,
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta({ namespace: ns, annotations: { 'edgeai.io/gateway': `http triggers on 127.0.0.1:${GATEWAY_PORT} in the pod: kubectl -n ${ns} port-forward deploy/${name} ${GATEWAY_PORT}` } }),
      spec: {
        replicas: 1,
        // never two controllers of one cluster
        strategy: { type: 'Recreate' },
        selector: { matchLabels: labels(req.cluster) },
        template: {
          metadata: { labels: labels(req.cluster) },
          spec: {
            serviceAccountName: name,
            automountServiceAccountToken: true,
            securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: { type: 'RuntimeDefault' } },
            containers: [
              {
                name: 'controller',
                image: req.image,
                imagePullPolicy: 'IfNotPresent',
                command: ['/bin/sh', '-c', script],
                env: [{ name: NODE_IMAGE_ENV, value: req.nodeImage }],
                resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } },
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
                volumeMounts: [
                  { name: 'project-src', mountPath: '/project-src', readOnly: true },
                  { name: 'project', mountPath: '/project' },
                  { name: 'state', mountPath: '/state' },
                  { name: 'tmp', mountPath: '/tmp' },
                ],
              },
            ],
            volumes: [
              { name: 'project-src', configMap: { name: (configMap.metadata as { name: string }).name, items } },
              { name: 'project', emptyDir: {} },
              { name: 'state', emptyDir: {} },
              { name: 'tmp', emptyDir: {} },
            ],
          },
        },
      },
    },
  ];
}
