/**
 * `edgeai export kubernetes <project> [--topology <file|scenario>] [--kubeconfig f] [--context c]
 *  [--namespace n] [--cluster name] [--image ref] [--privileged-usb] [--controller [--controller-image ref]] -o <dir>`
 *
 * Writes the project's cluster as plain Kubernetes YAML (runtime/backends/kubernetes/export.ts):
 * <dir>/edgeai.yaml (Namespace, the agent Secret to fill in, one agent Pod per node) and
 * <dir>/label-nodes.sh (the node labels). The topology is the project's (topology.json, the
 * workflow's target, else local), a named one, or — with --kubeconfig or --context — the mapped
 * nodes of a live cluster. Every object is validated against the Kubernetes schemas first.
 * --controller: the headless controller Deployment (kubernetes/controller.ts) with the project's
 * files in a ConfigMap, instead of the Secret and the agent pods (it creates those itself). When
 * the images are this checkout's own (no --image, no --controller-image) and Docker answers, the
 * controller image edgeai-controller:<tag> is built too (offline: kubernetes/controller-image.ts);
 * without Docker the export says so and how to build it elsewhere.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { loadProject } from '../../project/index';
import { chooseTopology } from '../../app/topology';
import { inspectKubernetes } from '../../app/cluster';
import { parseCommandArgs, UserError, type Command } from '../command';
import { COMMANDS } from './meta';
import { controllerImageOf } from '../../runtime/backends/kubernetes/controller-image';

const usage = COMMANDS.export.usage;

export const command: Command = {
  usage,
  summary: COMMANDS.export.summary,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      { topology: { type: 'string' }, kubeconfig: { type: 'string' }, context: { type: 'string' }, namespace: { type: 'string', default: 'edgeai' }, cluster: { type: 'string' }, image: { type: 'string' }, 'privileged-usb': { type: 'boolean' }, controller: { type: 'boolean' }, 'controller-image': { type: 'string' }, out: { type: 'string', short: 'o' } },
      usage,
    );
    const [target, dir] = positionals;
    if (target !== 'kubernetes') throw new UserError(`expected 'kubernetes' (the one export target)\nusage: edgeai ${usage}`);
    if (!dir) throw new UserError(`expected a project folder\nusage: edgeai ${usage}`);
    if (!values.out) throw new UserError(`expected -o <dir>: where the YAML goes\nusage: edgeai ${usage}`);
    if (values['controller-image'] && !values.controller) throw new UserError(`--controller-image goes with --controller\nusage: edgeai ${usage}`);
    const project = loadProject(dir);
    const fromCluster = values.kubeconfig !== undefined || values.context !== undefined;
    const { topology } = fromCluster
      ? { topology: (await inspectKubernetes({ ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}), ...(values.context ? { context: values.context } : {}), namespace: values.namespace! }, values.topology)).topology }
      : await chooseTopology(project, values.topology);
    const [{ exportKubernetes }, image] = await Promise.all([import('../../runtime/backends/kubernetes/export'), values.image ? Promise.resolve(values.image) : defaultImage()]);
    const controller = values.controller ? { image: values['controller-image'] ?? controllerImageOf(image), project: projectFiles(project.dir) } : undefined;
    const out = exportKubernetes({ cluster: values.cluster ?? project.workflow.name, namespace: values.namespace!, image, topology, ...(values['privileged-usb'] ? { privilegedUsb: true } : {}), ...(controller ? { controller } : {}) });
    const at = resolve(values.out);
    mkdirSync(at, { recursive: true });
    writeFileSync(join(at, 'edgeai.yaml'), out.yaml);
    writeFileSync(join(at, 'label-nodes.sh'), out.labels, { mode: 0o755 });
    io.out(`wrote ${out.objects.length} objects (${out.objects.map((o) => o.kind).filter((k, i, a) => a.indexOf(k) === i).map((k) => `${out.objects.filter((o) => o.kind === k).length} ${k}`).join(', ')}) for topology '${topology.name}' to ${join(values.out, 'edgeai.yaml')}, node labels to ${join(values.out, 'label-nodes.sh')}`);
    if (controller && !values.image && !values['controller-image']) io.out(await buildController(controller.image));
    if (controller) io.out(`next: load ${image} on every node and ${controller.image} where the controller runs (docs/kubernetes.md), sh ${join(values.out, 'label-nodes.sh')}, kubectl apply -f ${join(values.out, 'edgeai.yaml')}`);
    else io.out(`next: fill in the Secret, load ${image} on every node (docs/kubernetes.md), sh ${join(values.out, 'label-nodes.sh')}, kubectl apply -f ${join(values.out, 'edgeai.yaml')}`);
    return 0;
  },
};

/** The node image of this checkout's agent build, as the docker backend tags it (edgeai-node:<build hash>). */
async function defaultImage(): Promise<string> {
  const [{ buildAgent }, { imageTagFor }] = await Promise.all([import('../../runtime/build'), import('../../runtime/backends/docker-image')]);
  return imageTagFor(await buildAgent());
}

/** Builds this checkout's controller image when Docker answers; what happened, as one line. */
async function buildController(tag: string): Promise<string> {
  const { dockerAvailable } = await import('../../runtime/backends/docker');
  const avail = await dockerAvailable();
  if (!avail.ok) return `controller image ${tag} not built: ${avail.reason}. Run this export again where Docker runs to build it, then \`docker save ${tag} | sudo k3s ctr images import -\` on the node that runs the controller`;
  const [{ default: Docker }, { buildControllerImage }, { currentCliBundle }] = await Promise.all([import('dockerode'), import('../../runtime/backends/kubernetes/controller-image'), import('../bundle')]);
  const r = await buildControllerImage(new Docker(), tag, currentCliBundle);
  return `${r.built ? 'built' : 'found'} the controller image ${tag} (offline, from this checkout); load it with \`docker save ${tag} | sudo k3s ctr images import -\``;
}

/** The project's files the controller deploys: everything but dot-folders, node_modules and tests. */
function projectFiles(dir: string): Array<{ path: string; content: Buffer }> {
  const out: Array<{ path: string; content: Buffer }> = [];
  const walk = (at: string) => {
    for (const e of readdirSync(at, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const p = join(at, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && !/\.test\.[cm]?[jt]sx?$/.test(e.name)) out.push({ path: relative(dir, p).split(sep).join('/'), content: readFileSync(p) });
    }
  };
  walk(resolve(dir));
  return out;
}
