/**
 * The node image of the docker backend. Two ways to make it, both ending in an image tagged by
 * the agent build's hash (so a second prepare() finds it and does nothing):
 *
 * - from a base image (node:20-slim) when one is present or can be pulled: a container of the
 *   base gets the agent build folder copied to /app and is committed with the agent as entry
 *   point (no builder needed);
 * - offline, when no base image can be pulled: a root filesystem holding the local Node.js
 *   binary (process.execPath), the shared libraries it links (as `ldd` lists them) and the agent
 *   build folder in /app, written as a tar stream here in Node and imported with the engine's
 *   image import (`docker import`), with the agent as entry point.
 *
 * The tar writer is a small ustar writer (regular files, folders, symlinks) so the build needs nothing but
 * Node.js and the Docker socket.
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, posix, relative, sep } from 'node:path';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { AgentBuild } from '../build';

/** The port the agent listens on inside every container (0.0.0.0:7070). */
export const AGENT_PORT = 7070;
export const IMAGE_REPO = 'edgeai-node';
/** Labels on everything the docker backend creates. */
export const LABEL_MANAGED = 'edgeai.managed';
export const LABEL_BUILD = 'edgeai.build';

/**
 * The version of how the image is made from an agent build: a change here (a folder's owner, an
 * instruction) must not reuse an image an earlier version made from the same build.
 * 2: /store belongs to the node user (agents run as nobody).
 * 3: /app/node_modules/tfjs-tflite-node (the TensorFlow Lite runner's addon and libraries, issue 14).
 * 4: /app/node_modules/coral-tflite-delegate (the Edge TPU readiness check wants it installed).
 */
const IMAGE_RECIPE = '4';
/** Agents run as this user (nobody); it owns /store and nothing else. */
export const NODE_UID = 65534;

export function imageTagFor(build: AgentBuild): string {
  const tflite = tflitePackageFiles().map((f) => `${f.imagePath}:${statSync(f.hostPath).size}`).join('\n');
  return `${IMAGE_REPO}:${createHash('sha256').update(`${IMAGE_RECIPE}\n${build.hash}\n${tflite}`).digest('hex').slice(0, 24)}`;
}

/**
 * What the agent's TensorFlow Lite runner needs of tfjs-tflite-node inside the image, under
 * /app/node_modules (where the runner's require finds it from /app/tflite-runner.cjs): its
 * package.json, its N-API addon and the TensorFlow Lite C libraries the addon links (by its
 * RUNPATH, $ORIGIN/../../cc_deps/<platform>). Empty when the optional package is not installed or
 * its addon was not built here: the runner in the image then says that TensorFlow Lite models
 * cannot run, as it does on such a host. Paths relative to /app.
 */
export function tflitePackageFiles(): Array<{ imagePath: string; hostPath: string }> {
  let dir: string;
  try {
    // a CommonJS bundle (the CLI's) has require; an ES module makes one
    const req = typeof require === 'function' ? require : createRequire(import.meta.url);
    dir = dirname(req.resolve('tfjs-tflite-node/package.json'));
  } catch {
    return [];
  }
  const addon = join(dir, 'build', 'Release', 'node_tflite_binding.node');
  if (!existsSync(addon) || process.platform !== 'linux') return [];
  const files = [join(dir, 'package.json'), addon];
  const deps = join(dir, 'cc_deps', process.arch === 'arm64' ? 'linux_arm64' : 'linux_amd64');
  if (existsSync(deps)) for (const f of readdirSync(deps).sort()) if (/\.so(\.|$)/.test(f)) files.push(join(deps, f));
  const out = files.map((hostPath) => ({ imagePath: posix.join('node_modules', 'tfjs-tflite-node', relative(dir, hostPath).split(sep).join('/')), hostPath }));
  // coral-tflite-delegate: JavaScript only (the library is the host's libedgetpu.so.1, which the
  // docker backend binds into accelerator nodes); the readiness check asks for it
  try {
    const req = typeof require === 'function' ? require : createRequire(import.meta.url);
    const coral = dirname(req.resolve('coral-tflite-delegate/package.json'));
    for (const f of ['package.json', 'dist/index.js']) if (existsSync(join(coral, f))) out.push({ imagePath: posix.join('node_modules', 'coral-tflite-delegate', f), hostPath: join(coral, f) });
  } catch {
    /* not installed: the node's check says so, as on such a host */
  }
  return out;
}

/** The system libraries the TensorFlow Lite addon and its libraries link that Node.js does not (for the offline image). */
function tfliteSystemLibraries(): Array<{ imagePath: string; hostPath: string }> {
  const own = tflitePackageFiles().filter((f) => /\.(node|so)$/.test(f.hostPath));
  const out: Array<{ imagePath: string; hostPath: string }> = [];
  for (const f of own) {
    try {
      for (const lib of linkedLibraries(f.hostPath)) if (!lib.hostPath.includes(`${sep}node_modules${sep}`)) out.push(lib);
    } catch {
      /* a library ldd cannot read: the runner says what is missing when it loads */
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// a minimal ustar writer

export interface TarEntry {
  /** path inside the archive, absolute or relative; folders end without a slash */
  path: string;
  type: 'file' | 'dir' | 'symlink';
  mode: number;
  /** file: where its bytes are on the host (streamed), or the bytes themselves */
  source?: string | Buffer;
  linkTarget?: string;
  /** owner (uid = gid); default root */
  owner?: number;
}

function octal(n: number, width: number): string {
  // width - 1 digits and a NUL
  const s = n.toString(8);
  if (s.length > width - 1) throw new Error(`tar: ${n} does not fit ${width - 1} octal digits`);
  return s.padStart(width - 1, '0') + '\0';
}

function tarHeader(name: string, type: '0' | '5' | '2', size: number, mode: number, linkname = '', owner = 0): Buffer {
  const h = Buffer.alloc(512, 0);
  let prefix = '';
  let base = name;
  if (Buffer.byteLength(base) > 100) {
    const cut = name.lastIndexOf('/', 154);
    if (cut <= 0 || Buffer.byteLength(name.slice(cut + 1)) > 100) throw new Error(`tar: the path ${name} is too long`);
    prefix = name.slice(0, cut);
    base = name.slice(cut + 1);
  }
  if (Buffer.byteLength(linkname) > 100) throw new Error(`tar: the link target ${linkname} is too long`);
  h.write(base, 0, 100, 'utf8');
  h.write(octal(mode & 0o7777, 8), 100, 'ascii');
  h.write(octal(owner, 8), 108, 'ascii'); // uid
  h.write(octal(owner, 8), 116, 'ascii'); // gid
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(0, 12), 136, 'ascii'); // mtime: fixed, so the same inputs make the same layer
  h.write('        ', 148, 'ascii'); // checksum placeholder
  h.write(type, 156, 'ascii');
  h.write(linkname, 157, 100, 'utf8');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.write(owner === 0 ? 'root' : String(owner), 265, 'ascii');
  h.write(owner === 0 ? 'root' : String(owner), 297, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
  return h;
}

const ZEROS = Buffer.alloc(1024, 0);

/** A ustar archive of `entries`, streamed (large files are read in chunks). */
export function tarStream(entries: TarEntry[]): Readable {
  async function* gen(): AsyncGenerator<Buffer> {
    for (const e of entries) {
      const name = e.path.replace(/^\/+/, '');
      if (e.type === 'dir') {
        yield tarHeader(name.endsWith('/') ? name : name + '/', '5', 0, e.mode, '', e.owner);
      } else if (e.type === 'symlink') {
        yield tarHeader(name, '2', 0, e.mode, e.linkTarget ?? '');
      } else {
        const src = e.source;
        if (src === undefined) throw new Error(`tar: ${e.path} has no source`);
        if (Buffer.isBuffer(src)) {
          yield tarHeader(name, '0', src.length, e.mode);
          yield src;
          if (src.length % 512) yield ZEROS.subarray(0, 512 - (src.length % 512));
        } else {
          const size = statSync(src).size;
          yield tarHeader(name, '0', size, e.mode);
          let n = 0;
          for await (const chunk of createReadStream(src)) {
            const b = chunk as Buffer;
            const take = Math.min(b.length, size - n);
            if (take > 0) yield take === b.length ? b : b.subarray(0, take);
            n += take;
          }
          if (n !== size) throw new Error(`tar: ${src} changed while it was being read`);
          if (size % 512) yield ZEROS.subarray(0, 512 - (size % 512));
        }
      }
    }
    yield ZEROS;
  }
  return Readable.from(gen(), { objectMode: false });
}

// ---------------------------------------------------------------------------------------------
// the offline root filesystem

/** The shared libraries a binary links, as `ldd` lists them: [path inside the image, file on the host]. */
export function linkedLibraries(binary: string): Array<{ imagePath: string; hostPath: string }> {
  let out: string;
  try {
    out = execFileSync('ldd', [binary], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    const text = `${err.stdout ?? ''}${err.stderr ?? ''}`;
    if (/not a dynamic executable|statically linked/.test(text)) return [];
    if (err.code === 'ENOENT') throw new Error('building the node image offline needs `ldd` to find the libraries Node.js links: install it (libc-bin), or make node:20-slim available to Docker');
    throw new Error(`ldd ${binary} failed: ${text.trim() || err.message}`);
  }
  const libs: Array<{ imagePath: string; hostPath: string }> = [];
  for (const line of out.split('\n')) {
    // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)" or "/lib64/ld-linux-x86-64.so.2 (0x…)"
    const arrow = /=>\s*(\/\S+)/.exec(line);
    const bare = /^\s*(\/\S+)\s+\(/.exec(line);
    const p = arrow?.[1] ?? bare?.[1];
    if (!p) {
      if (/=>\s*not found/.test(line)) throw new Error(`${binary} links a library that is not found: ${line.trim()}`);
      continue;
    }
    libs.push({ imagePath: p, hostPath: realpathSync(p) });
  }
  return libs;
}

const NODE_IN_IMAGE = '/usr/local/bin/node';
/** The node's store: a named volume mounted here copies this folder's owner and mode on first use. */
const STORE_DIR: TarEntry = { path: '/store', type: 'dir', mode: 0o700, owner: NODE_UID };

/** Every entry of the offline root filesystem: folders, /etc stubs, node, its libraries, /app. */
export function offlineRootfs(build: AgentBuild, nodeBinary = process.execPath): TarEntry[] {
  const nodeReal = realpathSync(nodeBinary);
  const files: TarEntry[] = [];
  const dirs = new Set<string>();
  const addDir = (d: string) => {
    for (let p = d; p !== '/' && p !== '.'; p = posix.dirname(p)) dirs.add(p);
  };
  const addFile = (imagePath: string, source: string | Buffer, mode: number) => {
    addDir(posix.dirname(imagePath));
    files.push({ path: imagePath, type: 'file', mode, source });
  };
  addFile(NODE_IN_IMAGE, nodeReal, 0o755);
  const seen = new Set<string>();
  for (const lib of [...linkedLibraries(nodeReal), ...tfliteSystemLibraries()]) {
    if (seen.has(lib.imagePath)) continue;
    seen.add(lib.imagePath);
    addFile(lib.imagePath, lib.hostPath, 0o755);
  }
  for (const f of readdirSync(build.dir).sort()) {
    if (!/\.(cjs|wasm|json)$/.test(f)) continue;
    const p = join(build.dir, f);
    if (statSync(p).isFile()) addFile(`/app/${f}`, p, 0o644);
  }
  for (const f of tflitePackageFiles()) addFile(`/app/${f.imagePath}`, f.hostPath, 0o755);
  // stubs the engine bind-mounts over (hosts, hostname, resolv.conf) and a user database
  addFile('/etc/passwd', Buffer.from('root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n'), 0o644);
  addFile('/etc/group', Buffer.from('root:x:0:\nnogroup:x:65534:\n'), 0o644);
  addFile('/etc/hosts', Buffer.from('127.0.0.1 localhost\n'), 0o644);
  addFile('/etc/hostname', Buffer.from('edgeai-node\n'), 0o644);
  addFile('/etc/resolv.conf', Buffer.from(''), 0o644);
  for (const d of ['/store', '/tmp', '/root', '/proc', '/sys', '/dev']) addDir(d);
  const dirEntries: TarEntry[] = [...dirs].sort().map((d) => (d === '/store' ? STORE_DIR : { path: d, type: 'dir', mode: d === '/tmp' ? 0o1777 : 0o755 }));
  return [...dirEntries, ...files];
}

/** Dockerfile instructions that make the imported root filesystem run the agent. */
export function imageChanges(build: AgentBuild, node = NODE_IN_IMAGE): string[] {
  return [
    `ENV EDGEAI_TFJS_WASM_DIR=/app/`,
    `ENV EDGEAI_WORKER=/app/worker.cjs`,
    `ENV NODE_ENV=production`,
    `WORKDIR /app`,
    `EXPOSE ${AGENT_PORT}/tcp`,
    `LABEL ${LABEL_MANAGED}=true ${LABEL_BUILD}=${build.hash}`,
    `ENTRYPOINT ["${node}", "/app/agent.cjs"]`,
  ];
}

/** Reads a progress stream of the engine to its end; rejects on an error message in it. */
export function followProgress(docker: Docker, stream: NodeJS.ReadableStream, onEvent?: (e: { status?: string; stream?: string }) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null, out: Array<{ error?: string; errorDetail?: { message?: string } }>) => {
        if (err) return reject(err);
        const bad = (out ?? []).find((o) => o.error || o.errorDetail);
        if (bad) return reject(new Error(bad.errorDetail?.message ?? bad.error ?? 'unknown engine error'));
        resolve();
      },
      (e: { status?: string; stream?: string }) => onEvent?.(e),
    );
  });
}

/** Imports the offline root filesystem as `tag`. */
export async function importOfflineImage(docker: Docker, build: AgentBuild, tag: string, nodeBinary = process.execPath): Promise<void> {
  const [repo, version] = tag.split(':') as [string, string];
  const tar = tarStream(offlineRootfs(build, nodeBinary));
  const stream = await docker.importImage(tar as unknown as NodeJS.ReadableStream, { repo, tag: version, changes: imageChanges(build) } as object);
  await followProgress(docker, stream);
}

/**
 * Makes `tag` from a base image that is present in the engine (node:20-slim): a container of the
 * base (never started) gets the agent build copied to /app, and is committed with the agent as
 * entry point — three API calls, no builder (the classic builder takes a second per Dockerfile
 * step on a busy machine).
 */
export async function buildFromBase(docker: Docker, build: AgentBuild, base: string, tag: string): Promise<void> {
  const [repo, version] = tag.split(':') as [string, string];
  const entries: TarEntry[] = [{ path: 'app', type: 'dir', mode: 0o755 }, { ...STORE_DIR, path: 'store' }];
  for (const f of readdirSync(build.dir).sort()) {
    if (/\.(cjs|wasm|json)$/.test(f)) entries.push({ path: `app/${f}`, type: 'file', mode: 0o644, source: join(build.dir, f) });
  }
  const tflite = tflitePackageFiles();
  const dirs = new Set<string>();
  for (const f of tflite) for (let d = posix.dirname(`app/${f.imagePath}`); d !== 'app'; d = posix.dirname(d)) dirs.add(d);
  for (const d of [...dirs].sort()) entries.push({ path: d, type: 'dir', mode: 0o755 });
  for (const f of tflite) entries.push({ path: `app/${f.imagePath}`, type: 'file', mode: 0o755, source: f.hostPath });
  const c = await docker.createContainer({ Image: base, Entrypoint: ['node'], Cmd: [], Labels: { [LABEL_MANAGED]: 'true' } });
  try {
    await c.putArchive(tarStream(entries) as unknown as NodeJS.ReadableStream, { path: '/' });
    // CMD []: the base's CMD (["node"]) must not become arguments of the agent
    await c.commit({ repo, tag: version, changes: [...imageChanges(build, 'node'), 'CMD []'] } as object);
  } finally {
    await c.remove({ force: true }).catch(() => undefined);
  }
}
