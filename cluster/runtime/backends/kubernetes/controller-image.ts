/**
 * The controller image the exported headless controller Deployment runs (controller.ts):
 * `edgeai-controller:<tag of the node image>`, built offline as the node image is built when no
 * base image can be pulled (docker-image.ts): a root filesystem written here as a tar stream and
 * imported with the engine's image import (`docker import`). Nothing is pulled.
 *
 * What it holds:
 * - the local Node.js binary (process.execPath) and the shared libraries it links (`ldd`);
 * - /bin/sh, find and cp (the Deployment's script uses them) with their libraries, from this host;
 * - /app: the CLI bundle (dist/cli, `npm run build:cli`; made again in a temporary folder when the
 *   sources are newer), the platform's sources under cluster/ (tests left out: the CLI finds its
 *   root by cluster/sdk/index.ts, and function bundles take the SDK from there), package.json,
 *   and node_modules with the packages the CLI uses at run time and everything they depend on
 *   (source maps, type declarations and docs left out), plus the libraries their native addons
 *   link (better-sqlite3);
 * - /usr/local/bin/edgeai (runs the bundle), /etc stubs, and the folders the Deployment mounts
 *   over (/project-src, /project, /state, /tmp).
 *
 * The image carries `edgeai.managed=true` and `edgeai.controller-inputs=<hash>` over the paths,
 * sizes and times of what went in: a build finds an image of the same tag and inputs and does
 * nothing; different inputs replace it. Like the offline node image, it runs on this machine's
 * architecture only.
 */
import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, posix, relative, sep } from 'node:path';
import type Docker from 'dockerode';
import { followProgress, LABEL_MANAGED, linkedLibraries, NODE_UID, tarStream, type TarEntry } from '../docker-image';
import { platformRoot } from '../../../sources';

export const CONTROLLER_REPO = 'edgeai-controller';
export const LABEL_CONTROLLER_INPUTS = 'edgeai.controller-inputs';

/**
 * The packages the CLI loads at run time for `cluster up --backend kubernetes`, `deploy` and
 * `gateway` (what esbuild leaves external in its bundle and the code reaches), each with its
 * dependencies: the kubeconfig and API client, the TypeScript parser, function bundling (esbuild
 * and its binary), the state database, the registry's TensorFlow.js and loaders, validation.
 */
export const CONTROLLER_PACKAGES = ['@kubernetes/client-node', 'typescript', 'esbuild', 'better-sqlite3', 'zod', 'kubernetes-models', 'ws', '@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', 'mnist', 'jpeg-js'];

/** The controller image next to a node image: edgeai-node:<tag> → edgeai-controller:<tag>. */
export function controllerImageOf(nodeImage: string): string {
  const at = nodeImage.lastIndexOf(':');
  const tag = at > nodeImage.lastIndexOf('/') ? nodeImage.slice(at + 1) : 'latest';
  return `${CONTROLLER_REPO}:${tag}`;
}

/** Every package in `roots`' dependency closure (dependencies and installed optional ones), as folders under node_modules. */
export function packageClosure(root: string, roots: string[] = CONTROLLER_PACKAGES): string[] {
  const seen = new Set<string>();
  const queue = [...roots];
  while (queue.length) {
    const name = queue.shift()!;
    if (seen.has(name)) continue;
    const pj = join(root, 'node_modules', name, 'package.json');
    if (!existsSync(pj)) {
      if (roots.includes(name)) throw new Error(`the controller image needs the package ${name}, which is not installed in ${join(root, 'node_modules')}`);
      continue; // an optional dependency for another platform
    }
    seen.add(name);
    // its own dependencies, and those of the packages nested in its node_modules (copied with it;
    // what they need and do not nest comes from the top level)
    const deps = (dir: string): void => {
      const j = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };
      for (const d of Object.keys({ ...j.dependencies, ...j.optionalDependencies })) if (!existsSync(join(dir, 'node_modules', d, 'package.json'))) queue.push(d);
      const nested = join(dir, 'node_modules');
      if (!existsSync(nested)) return;
      for (const n of readdirSync(nested)) {
        const names = n.startsWith('@') ? readdirSync(join(nested, n)).map((m) => `${n}/${m}`) : [n];
        for (const m of names) if (existsSync(join(nested, m, 'package.json'))) deps(join(nested, m));
      }
    };
    deps(join(root, 'node_modules', name));
  }
  return [...seen].sort();
}

const SKIP_FILE = /(\.map|\.d\.ts|\.d\.mts|\.d\.cts|\.md|\.markdown)$/i;

/** The files under `dir` (symlinks and .bin left out), with their modes. */
function filesUnder(dir: string, skip: (rel: string, isDir: boolean) => boolean = () => false): Array<{ rel: string; path: string; mode: number }> {
  const out: Array<{ rel: string; path: string; mode: number }> = [];
  const walk = (at: string) => {
    for (const name of readdirSync(at).sort()) {
      const p = join(at, name);
      const st = lstatSync(p);
      const rel = relative(dir, p).split(sep).join('/');
      if (st.isSymbolicLink()) continue;
      if (st.isDirectory()) {
        if (name === '.bin' || skip(rel, true)) continue;
        walk(p);
      } else if (st.isFile() && !skip(rel, false)) out.push({ rel, path: p, mode: st.mode & 0o777 });
    }
  };
  walk(dir);
  return out;
}

export interface ControllerImageInputs {
  /** the repository root (default: this checkout's) */
  root?: string;
  /** the folder of a CLI bundle that is current (default dist/cli; built into a temporary folder when stale) */
  cliDir: string;
  nodeBinary?: string;
}

/** Every entry of the controller's root filesystem. */
export function controllerRootfs(inputs: ControllerImageInputs): TarEntry[] {
  const root = inputs.root ?? platformRoot(import.meta.url);
  const files: TarEntry[] = [];
  const dirs = new Set<string>();
  const addDir = (d: string) => {
    for (let p = d; p !== '/' && p !== '.'; p = posix.dirname(p)) dirs.add(p);
  };
  const seen = new Set<string>();
  const addFile = (imagePath: string, source: string | Buffer, mode: number) => {
    if (seen.has(imagePath)) return;
    seen.add(imagePath);
    addDir(posix.dirname(imagePath));
    files.push({ path: imagePath, type: 'file', mode, source });
  };
  const addBinary = (imagePath: string, hostPath: string) => {
    const real = realpathSync(hostPath);
    addFile(imagePath, real, 0o755);
    for (const lib of linkedLibraries(real)) addFile(lib.imagePath, lib.hostPath, 0o755);
  };
  addBinary('/usr/local/bin/node', inputs.nodeBinary ?? process.execPath);
  for (const [at, names] of [
    ['/bin/sh', ['/bin/sh', '/usr/bin/sh']],
    ['/usr/bin/find', ['/usr/bin/find', '/bin/find']],
    ['/bin/cp', ['/bin/cp', '/usr/bin/cp']],
  ] as const) {
    const host = names.find((n) => existsSync(n));
    if (!host) throw new Error(`the controller image needs ${names[0]} from this machine (its Deployment runs a shell script with find and cp), and there is none`);
    addBinary(at, host);
  }
  addFile('/usr/local/bin/edgeai', Buffer.from('#!/bin/sh\nexec /usr/local/bin/node /app/dist/cli/edgeai.mjs "$@"\n'), 0o755);
  // the CLI bundle and the platform's sources
  for (const f of filesUnder(inputs.cliDir)) addFile(`/app/dist/cli/${f.rel}`, f.path, 0o644);
  for (const f of filesUnder(join(root, 'cluster'), (rel, isDir) => (isDir ? rel === 'node_modules' || rel.endsWith('/node_modules') : /\.test\.tsx?$/.test(rel)))) addFile(`/app/cluster/${f.rel}`, f.path, 0o644);
  addFile('/app/package.json', join(root, 'package.json'), 0o644);
  // the packages, and the libraries their addons link that Node.js does not
  for (const pkg of packageClosure(root)) {
    const dir = join(root, 'node_modules', pkg);
    for (const f of filesUnder(dir, (rel, isDir) => !isDir && SKIP_FILE.test(rel))) {
      addFile(`/app/node_modules/${pkg}/${f.rel}`, f.path, f.mode & 0o111 ? 0o755 : 0o644);
      if (f.rel.endsWith('.node') && !/(^|\/)test_/.test(posix.basename(f.rel))) for (const lib of linkedLibraries(f.path)) if (!lib.hostPath.includes(`${sep}node_modules${sep}`)) addFile(lib.imagePath, lib.hostPath, 0o755);
    }
  }
  addFile('/etc/passwd', Buffer.from('root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n'), 0o644);
  addFile('/etc/group', Buffer.from('root:x:0:\nnogroup:x:65534:\n'), 0o644);
  addFile('/etc/hosts', Buffer.from('127.0.0.1 localhost\n'), 0o644);
  addFile('/etc/hostname', Buffer.from('edgeai-controller\n'), 0o644);
  addFile('/etc/resolv.conf', Buffer.from(''), 0o644);
  for (const d of ['/tmp', '/state', '/project', '/project-src', '/root', '/proc', '/sys', '/dev', '/var/run/secrets/kubernetes.io/serviceaccount']) addDir(d);
  // what the Deployment mounts emptyDirs over is writable by anyone, as kubelet makes an emptyDir
  // (an engine that mounts a tmpfs there, as a test does, copies the folder's mode)
  const open = new Set(['/tmp', '/state', '/project']);
  const dirEntries: TarEntry[] = [...dirs].sort().map((d) => ({ path: d, type: 'dir', mode: open.has(d) ? 0o1777 : 0o755 }));
  return [...dirEntries, ...files];
}

/**
 * A hash of what goes into the image: the same inputs, the same image. Files are taken by size and
 * modification time, but those under `byContent` (a CLI bundle made afresh in a temporary folder)
 * by their bytes (its V8 code cache left out: it is never the same twice).
 */
export function inputsHash(entries: TarEntry[], byContent: string[] = []): string {
  const h = createHash('sha256');
  for (const e of entries) {
    h.update(`${e.type} ${e.path} ${e.mode} ${e.owner ?? 0}`);
    if (typeof e.source === 'string') {
      const src = e.source;
      // a V8 code cache differs from one bundling to the next: not an input that makes another image
      if (src.endsWith('.v8cache')) h.update(' code cache');
      else if (byContent.some((d) => src.startsWith(d + sep))) h.update(' ').update(readFileSync(src));
      else {
        const st = statSync(src);
        h.update(` ${st.size} ${st.mtimeMs}`);
      }
    } else if (e.source) h.update(' ').update(e.source);
    h.update('\n');
  }
  return h.digest('hex').slice(0, 24);
}

/** Dockerfile instructions of the imported root filesystem. */
export function controllerImageChanges(inputs: string, labels: Record<string, string> = {}): string[] {
  return [
    'ENV PATH=/usr/local/bin:/usr/bin:/bin',
    'ENV NODE_ENV=production',
    'ENV HOME=/tmp',
    'WORKDIR /',
    `USER ${NODE_UID}`,
    `LABEL ${[`${LABEL_MANAGED}=true`, `${LABEL_CONTROLLER_INPUTS}=${inputs}`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)].join(' ')}`,
    'ENTRYPOINT ["/usr/local/bin/edgeai"]',
  ];
}

/** A CLI bundle's folder for the image, and what to do once it is in (remove a temporary one). */
export type CliBundle = () => Promise<{ dir: string; done: () => void }>;

/**
 * Builds `tag` (edgeai-controller:<tag>) offline unless an image of that tag with the same inputs
 * is there. Returns whether it built. Throws what the engine said.
 */
export async function buildControllerImage(docker: Docker, tag: string, cliBundle: CliBundle, progress: (msg: string) => void = () => undefined, opts: { nodeBinary?: string; labels?: Record<string, string> } = {}): Promise<{ built: boolean; inputs: string }> {
  // the CLI's bundle comes from the front end that builds it (cli/bundle.ts currentCliBundle): the runtime does not reach up into the CLI
  const cli = await cliBundle();
  try {
    const entries = controllerRootfs({ cliDir: cli.dir, ...(opts.nodeBinary ? { nodeBinary: opts.nodeBinary } : {}) });
    const inputs = inputsHash(entries, [cli.dir]);
    const existing = await docker
      .getImage(tag)
      .inspect()
      .catch(() => undefined);
    if (existing?.Config?.Labels?.[LABEL_CONTROLLER_INPUTS] === inputs) return { built: false, inputs };
    progress(`building ${tag} offline (${entries.filter((e) => e.type === 'file').length} files: Node.js, the CLI bundle, the sources, the packages it loads)`);
    const [repo, version] = tag.split(':') as [string, string];
    const stream = await docker.importImage(tarStream(entries) as unknown as NodeJS.ReadableStream, { repo, tag: version, changes: controllerImageChanges(inputs, opts.labels) } as object);
    await followProgress(docker, stream);
    return { built: true, inputs };
  } finally {
    cli.done();
  }
}
