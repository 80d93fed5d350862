/**
 * Integration tests of the docker backend against a real Docker engine (scripts/docker-setup.sh
 * starts one). Without Docker they are skipped with the reason printed — except when CI=true,
 * where a missing engine is a failure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { once } from 'node:events';
import type Docker from 'dockerode';
import { buildAgent, type AgentBuild } from '../build';
import type { NodeHandle, NodeLaunch } from '../backend';
import { DockerBackend, DockerUnavailableError, EDGETPU_LIBRARY_DIR, edgeTpuRuntimeMount, LABEL_CLUSTER, LABEL_EDGETPU_RUNTIME, MIN_CPU_MILLIS, MIN_MEMORY_BYTES, containerNameOf, cpuCapOf, dockerAvailable, networkNameOf, volumeNameOf } from './docker';
import { AGENT_PORT } from './docker-image';
import { bearer, newSecret } from '../agent/secret';
import { execIn, readFileIn } from '../testing/docker-exec';
import { tempDirs } from '../testing/temp';

/** the agent secret of the nodes these tests start (a controller keeps its cluster's in the cluster's directory) */
const SECRET = newSecret();
const auth = { authorization: bearer(SECRET) };

const avail = await dockerAvailable();
const CI = process.env.CI === 'true';
const run = avail.ok || CI;
if (!run) console.warn(`[docker.test] SKIPPED: ${avail.ok ? '' : avail.reason} (set CI=true to make this a failure)`);

describe('a container\'s CPU is its device\'s (cpuCapOf, no engine needed)', () => {
  it('cores over the device\'s slowdown against the xeon VM: a Raspberry Pi 3 gets 0.29 of a core, a Pi 4 0.52, a NUC 4; at least 0.1, at most the host', async () => {
    const { DEVICES } = await import('../../topology/catalog');
    const cap = (device: string, host = 64) => cpuCapOf({ cpuMillis: DEVICES[device].cores * 1000, slowdown: DEVICES[device].slowdown }, host);
    expect([cap('rpi3'), cap('rpi4'), cap('nuc'), cap('xeon-cpu')]).toEqual([285, 518, 4161, 4000]);
    expect(cap('cloudlet', 2)).toBe(2000); // never more than the host has
    expect(cpuCapOf({ cpuMillis: 500, slowdown: 14 }, 2)).toBe(MIN_CPU_MILLIS);
    expect(cpuCapOf({ cpuMillis: 0 }, 2)).toBe(0); // no limit asked
  });
});

/** a real shared library that links one no node image has, as libedgetpu.so.1 links libusb-1.0: OpenSSL's libssl links libcrypto */
const LIBSSL = ['/usr/lib/x86_64-linux-gnu/libssl.so.3', '/usr/lib/aarch64-linux-gnu/libssl.so.3'].find((p) => existsSync(p));

const tmp = tempDirs();

describe.skipIf(!LIBSSL)('the Edge TPU runtime an accelerator node gets (edgeTpuRuntimeMount, no engine needed)', () => {
  it('the real file behind libedgetpu.so.1 and the libraries it links that the image lacks, read-only in /opt/edgetpu/lib; none of libc\'s', () => {
    const libs = tmp('edgeai-libs-');
    symlinkSync(LIBSSL!, join(libs, 'libedgetpu.so.1'));
    const m = edgeTpuRuntimeMount([join(libs, 'missing'), libs]);
    expect(m.library).toBe(realpathSync(LIBSSL!));
    expect(m.mounts.map((x) => [x.Target, x.Source, x.ReadOnly])).toEqual([
      [`${EDGETPU_LIBRARY_DIR}/libedgetpu.so.1`, realpathSync(LIBSSL!), true],
      [`${EDGETPU_LIBRARY_DIR}/libcrypto.so.3`, realpathSync(LIBSSL!.replace('libssl', 'libcrypto')), true],
    ]);
    expect(edgeTpuRuntimeMount([join(libs, 'missing')])).toMatchObject({ mounts: [], missing: expect.stringMatching(/libedgetpu\.so\.1 is not in .*missing; Edge TPU models run on the node's CPU/) });
  });
});

describe('docker availability', () => {
  it('reports a missing engine as a value that says what to do', async () => {
    const r = await dockerAvailable('/nonexistent/docker.sock');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason).toMatch(/Docker is not running/);
      expect(r.reason).toMatch(/start dockerd/);
      expect(r.reason).toMatch(/--backend process/);
    }
  });

  it('prepare() rejects with DockerUnavailableError when there is no engine', async () => {
    const b = new DockerBackend({ socketPath: '/nonexistent/docker.sock' });
    const build: AgentBuild = { dir: '/nonexistent', agent: '/nonexistent/agent.cjs', worker: '/nonexistent/worker.cjs', hash: '0'.repeat(64) };
    const err = await b.prepare(build, () => {}).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DockerUnavailableError);
    expect((err as DockerUnavailableError).code).toBe('docker-unavailable');
    expect((err as Error).message).toMatch(/start dockerd or use --backend process/);
  });
});

/** Where the host reaches a node's agent: the container's address on the cluster's network. */
const at = (h: NodeHandle) => `http://${h.host}:${h.port}`;

async function healthOf(h: NodeHandle): Promise<{ node: string; cluster: string }> {
  const r = await fetch(`${at(h)}/health`, { signal: AbortSignal.timeout(2000), headers: auth });
  expect(r.status).toBe(200);
  return (await r.json()) as { node: string; cluster: string };
}

describe.skipIf(!run)('docker backend (real engine)', () => {
  const cluster = `t${process.pid}-${Date.now().toString(36)}`;
  const backend = new DockerBackend({ pullTimeoutMs: 3000 });
  const docker = backend.docker;
  const usbDir = mkdtempSync(join(tmpdir(), 'edgeai-usb-'));
  let build: AgentBuild;
  const handles = new Map<string, NodeHandle>();
  const progress: string[] = [];

  // a Raspberry Pi 4 (4 cores, 7.72× slower than the xeon VM, docs/reference.md §4)
  const edge: NodeLaunch = { cluster, name: 'edge-1', storeDir: '/unused', cpuMillis: 4000, slowdown: 7.72, memoryBytes: 128 * 1024 * 1024, labels: { 'edgeai.device': 'rpi4', zone: 'edge' }, network: 'lan', secret: SECRET };
  const edge2: NodeLaunch = { ...edge, name: 'edge-2' };
  const cloud: NodeLaunch = { cluster, name: 'cloud-1', storeDir: '/unused', cpuMillis: 64_000, memoryBytes: 1024 * 1024 * 1024, labels: { 'edgeai.device': 'cloud' }, network: 'wan', secret: SECRET };

  beforeAll(async () => {
    if (!avail.ok) throw new Error(`CI=true but Docker is not available: ${avail.reason}`);
    const real = await buildAgent();
    // a hash of its own, so this run really builds an image (and removes it afterwards)
    build = { ...real, hash: createHash('sha256').update(real.hash).update(cluster).digest('hex') };
  });

  afterAll(async () => {
    if (avail.ok) {
      try {
        await backend.teardown(cluster);
      } catch (e) {
        console.warn('[docker.test] teardown in afterAll:', (e as Error).message);
      }
      if (build) await docker.getImage(backend.imageTag(build)).remove({ force: true }).catch(() => undefined);
    }
    rmSync(usbDir, { recursive: true, force: true });
  });

  it('has a Docker engine', () => {
    expect(avail).toEqual({ ok: true });
  });

  it('prepare() builds the node image (offline when no base image can be pulled) and is a no-op the second time', async () => {
    await backend.prepare(build, (m) => progress.push(m));
    const text = progress.join('\n');
    expect(text).toMatch(/built edgeai-node:\S+ (offline|from node:20-slim)/);
    const img = await docker.getImage(backend.imageTag(build)).inspect();
    expect(img.Config.Labels?.['edgeai.build']).toBe(build.hash);
    expect([img.Config.Entrypoint ?? []].flat().join(' ')).toMatch(/node \/app\/agent\.cjs$/);

    const again: string[] = [];
    await new DockerBackend().prepare(build, (m) => again.push(m));
    expect(again.join('\n')).toMatch(/is present/);
    expect(again.join('\n')).not.toMatch(/built/);
  });

  it('builds from a base image when one is present (the node:20-slim path), without pulling', async () => {
    // this run's offline image stands in for node:20-slim: it has node on PATH
    const based: AgentBuild = { ...build, hash: createHash('sha256').update(build.hash).update('based').digest('hex') };
    const b = new DockerBackend({ baseImage: backend.imageTag(build), pullTimeoutMs: 1 });
    const msgs: string[] = [];
    try {
      await b.prepare(based, (m) => msgs.push(m));
      expect(msgs.join('\n')).toMatch(new RegExp(`built \\S+ from ${backend.imageTag(build)}`));
      expect(msgs.join('\n')).not.toMatch(/pulling|offline/);
      const h = await b.start({ ...edge, name: 'based-1' }, based);
      expect(await healthOf(h)).toMatchObject({ node: 'based-1', cluster });
      await b.stop(h);
    } finally {
      await docker.getImage(b.imageTag(based)).remove({ force: true }).catch(() => undefined);
    }
  });

  it('starts nodes on two networks; each agent answers /health at its address on its network', async () => {
    const [a, b, a2] = await Promise.all([backend.start(edge, build), backend.start(cloud, build), backend.start(edge2, build)]);
    handles.set('edge-1', a);
    handles.set('cloud-1', b);
    handles.set('edge-2', a2);
    expect(new Set([a.host, b.host, a2.host]).size).toBe(3);
    for (const h of [a, b, a2]) expect(h.port).toBe(AGENT_PORT);
    expect(await healthOf(a)).toMatchObject({ node: 'edge-1', cluster });
    expect(await healthOf(b)).toMatchObject({ node: 'cloud-1', cluster });
    // only to the cluster's secret (auth.int.test.ts tries every route)
    expect((await fetch(`${at(a)}/health`, { signal: AbortSignal.timeout(2000) })).status).toBe(401);

    const ca = await docker.getContainer(a.container!).inspect();
    const cb = await docker.getContainer(b.container!).inspect();
    expect(Object.keys(ca.NetworkSettings.Networks)).toEqual([networkNameOf(cluster, 'lan')]);
    expect(Object.keys(cb.NetworkSettings.Networks)).toEqual([networkNameOf(cluster, 'wan')]);
    const nets = await docker.listNetworks({ filters: { label: [`${LABEL_CLUSTER}=${cluster}`] } });
    expect(nets.map((n) => n.Name).sort()).toEqual([networkNameOf(cluster, 'lan'), networkNameOf(cluster, 'wan')].sort());
    // no egress, no traffic between containers
    for (const n of nets) expect([n.Name, n.Internal, n.Options?.['com.docker.network.bridge.enable_icc']]).toEqual([n.Name, true, 'false']);

    // the agent registered itself in its store volume
    const reg = JSON.parse((await readFileIn(docker.getContainer(a.container!), '/store/agent.json')).toString('utf8')) as { node: string; port: number };
    expect(reg).toMatchObject({ node: 'edge-1', port: AGENT_PORT });
  });

  it('runs containers as nobody, unprivileged, capability-free, read-only, with only the store volume, no published port, scaled limits and labels', async () => {
    for (const [spec, mem, cpus] of [
      [edge, MIN_MEMORY_BYTES, 0.518], // 4 cores / 7.72
      [cloud, 1024 * 1024 * 1024, availableParallelism()],
    ] as const) {
      const h = handles.get(spec.name)!;
      const info = await docker.getContainer(h.container!).inspect();
      expect(info.Name).toBe(`/${containerNameOf(cluster, spec.name)}`);
      const hc = info.HostConfig;
      expect(hc.Privileged).toBe(false);
      expect(hc.CapDrop).toEqual(['ALL']);
      expect(hc.CapAdd ?? []).toEqual([]);
      expect(hc.SecurityOpt).toContain('no-new-privileges');
      expect(hc.ReadonlyRootfs).toBe(true);
      expect(hc.Binds ?? []).toEqual([]);
      expect(hc.Devices ?? []).toEqual([]);
      expect(info.Mounts).toHaveLength(1);
      expect(info.Mounts[0]).toMatchObject({ Type: 'volume', Name: volumeNameOf(cluster, spec.name), Destination: '/store' });
      expect(hc.Memory).toBe(mem);
      expect(hc.NanoCpus).toBe(cpus * 1e9);
      expect(Object.values(info.NetworkSettings.Ports ?? {}).flat().filter(Boolean)).toEqual([]);
      expect(hc.PortBindings ?? {}).toEqual({});
      expect(info.Config.User).toBe('65534:65534');
      expect(hc.PidsLimit).toBe(512);
      expect(hc.Tmpfs).toEqual({ '/tmp': 'rw,noexec,nosuid,nodev,size=64m' });
      expect(info.Config.Labels).toMatchObject({ ...spec.labels, 'edgeai.cluster': cluster, 'edgeai.node': spec.name, 'edgeai.network': spec.network, 'edgeai.managed': 'true' });
      const vol = await docker.getVolume(volumeNameOf(cluster, spec.name)).inspect();
      expect(vol.Labels).toMatchObject({ 'edgeai.cluster': cluster, 'edgeai.node': spec.name });
    }
    // from inside: / is read-only, /tmp is writable, no effective capabilities
    const out = await execIn(docker.getContainer(handles.get('edge-1')!.container!), [
      '/usr/local/bin/node',
      '-e',
      `const fs=require('fs');const r={};try{fs.writeFileSync('/x','y');r.root='written'}catch(e){r.root=e.code}try{fs.writeFileSync('/tmp/x','y');r.tmp='written'}catch(e){r.tmp=e.code}try{fs.writeFileSync('/store/x','y');fs.unlinkSync('/store/x');r.store='written'}catch(e){r.store=e.code}r.uid=process.getuid();r.capEff=/CapEff:\\s*(\\w+)/.exec(fs.readFileSync('/proc/self/status','utf8'))[1];console.log(JSON.stringify(r))`,
    ]);
    expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual({ root: 'EROFS', tmp: 'written', store: 'written', uid: 65534, capEff: '0000000000000000' });
    // /tmp is noexec; the store volume is not (the stated limit: the local driver mounts it with default options)
    const mounts = await execIn(docker.getContainer(handles.get('edge-1')!.container!), ['/usr/local/bin/node', '-e', "process.stdout.write(require('fs').readFileSync('/proc/mounts','utf8'))"]);
    const optionsOf = (point: string) => mounts.split('\n').map((l) => l.split(' ')).find((f) => f[1] === point)?.[3]?.split(',') ?? [];
    expect(optionsOf('/tmp')).toContain('noexec');
    expect(optionsOf('/store').length).toBeGreaterThan(0);
    expect(optionsOf('/store')).not.toContain('noexec');
  });

  it('isolates the network: a container reaches no other node (same network or not) and nothing beyond its network', async () => {
    // something beyond the cluster's networks: a container on Docker's default bridge (labelled
    // with the cluster, so teardown removes it), serving on port 9000
    const image = backend.imageTag(build);
    const other = await docker.createContainer({
      Image: image,
      Entrypoint: ['/usr/local/bin/node', '-e', "require('net').createServer((s)=>s.end('reached')).listen(9000)"],
      Labels: { 'edgeai.managed': 'true', [LABEL_CLUSTER]: cluster },
      User: '65534:65534',
    });
    await other.start();
    const otherHost = (await other.inspect()).NetworkSettings.IPAddress;
    // where the host itself is on that bridge (its gateway)
    const gateway = ((await docker.getNetwork('bridge').inspect()) as { IPAM?: { Config?: Array<{ Gateway?: string }> } }).IPAM?.Config?.[0]?.Gateway;
    const probe = (host: string, port: number) =>
      `await new Promise((r)=>{const s=require('net').connect({host:${JSON.stringify(host)},port:${port}});const t=setTimeout(()=>(s.destroy(),r('timeout')),1500);s.once('connect',()=>(clearTimeout(t),s.destroy(),r('connected')));s.once('error',(e)=>(clearTimeout(t),r(e.code)))})`;
    const targets: Array<[string, string, number]> = [
      ['itself', '127.0.0.1', AGENT_PORT], // the control: the probe can connect
      ['edge-2 (same network)', handles.get('edge-2')!.host!, AGENT_PORT],
      ['cloud-1 (another network)', handles.get('cloud-1')!.host!, AGENT_PORT],
      ['a container beyond the cluster', otherHost, 9000],
    ];
    const script = `(async()=>{const r={};${targets.map(([k, h, p]) => `r[${JSON.stringify(k)}]=${probe(h, p)};`).join('')}console.log(JSON.stringify(r))})()`;
    const out = await execIn(docker.getContainer(handles.get('edge-1')!.container!), ['/usr/local/bin/node', '-e', script]);
    const got = JSON.parse(out.trim().split('\n').pop()!) as Record<string, string>;
    expect(got.itself).toBe('connected');
    for (const [k] of targets.slice(1)) expect([k, got[k]]).toEqual([k, 'timeout']);
    // the control from outside: that container does serve (another container on its bridge reaches it)
    const control = await execIn(other, ['/usr/local/bin/node', '-e', `(async()=>console.log(${probe(otherHost, 9000)}))()`]);
    expect(control.trim().split('\n').pop()).toBe('connected');
    // the host reaches every node
    for (const n of ['edge-1', 'edge-2', 'cloud-1']) expect(await healthOf(handles.get(n)!)).toMatchObject({ node: n });
    // what Internal does not stop (README, Security): the host's own addresses (INPUT, not FORWARD).
    // A service on this machine listening on every interface is reached from a node; one on
    // 127.0.0.1, as everything the platform runs, is not.
    const everywhere = createServer((sock) => sock.end()).listen(0, '0.0.0.0');
    const loopback = createServer((sock) => sock.end()).listen(0, '127.0.0.1');
    try {
      await Promise.all([once(everywhere, 'listening'), once(loopback, 'listening')]);
      const portOf = (srv: Server) => (srv.address() as AddressInfo).port;
      // the host on Docker's default bridge, and on each of the node's own networks
      const own = Object.values((await docker.getContainer(handles.get('edge-1')!.container!).inspect()).NetworkSettings.Networks);
      const ownGateways = await Promise.all(own.map(async (n) => ((await docker.getNetwork(n.NetworkID).inspect()) as { IPAM?: { Config?: Array<{ Gateway?: string }> } }).IPAM?.Config?.[0]?.Gateway));
      const hostAddrs = [gateway, ...ownGateways].filter((a): a is string => !!a);
      expect(hostAddrs.length).toBeGreaterThan(0);
      const hostProbe = `(async()=>{const r={};${hostAddrs.map((h) => `r[${JSON.stringify(`${h} all`)}]=${probe(h, portOf(everywhere))};r[${JSON.stringify(`${h} loopback`)}]=${probe(h, portOf(loopback))};`).join('')}console.log(JSON.stringify(r))})()`;
      const seen = JSON.parse((await execIn(docker.getContainer(handles.get('edge-1')!.container!), ['/usr/local/bin/node', '-e', hostProbe])).trim().split('\n').pop()!) as Record<string, string>;
      console.log(`[docker.test] from a node, the host's addresses ${hostAddrs.join(', ')}: ${JSON.stringify(seen)}`);
      expect(hostAddrs.some((h) => seen[`${h} all`] === 'connected')).toBe(true);
      for (const h of hostAddrs) expect([h, seen[`${h} loopback`]]).not.toEqual([h, 'connected']);
    } finally {
      everywhere.close();
      loopback.close();
    }
    await other.remove({ force: true });
  });

  it('runs an invocation in a worker inside the container (TensorFlow.js wasm, read-only root, the 256 MiB floor)', async () => {
    const h = handles.get('edge-1')!;
    const code = Buffer.from('export class Hello { sum() { const tf = globalThis.__EDGEAI_TF__; return { sum: tf.tensor1d([1, 2, 3]).sum().dataSync()[0], backend: tf.getBackend(), node: process.env.EDGEAI_NODE }; } }\n');
    const sha = createHash('sha256').update(code).digest('hex');
    expect((await fetch(`${at(h)}/bundles/${sha}`, { method: 'PUT', body: code, headers: auth })).status).toBe(200);
    const r = await fetch(`${at(h)}/invoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({ fn: { workflow: 'hello', id: 'sum', bundle: sha, className: 'Hello', method: 'sum', consumes: [], produces: [], gates: [] }, inputs: [], request: { id: 'r1', params: {} } }),
    });
    const body = (await r.json()) as { ok: boolean; output?: unknown; error?: unknown };
    expect(body).toMatchObject({ ok: true, output: { sum: 6, backend: 'wasm', node: 'edge-1' } });
  });

  it('gives accelerator nodes the USB bus (bind + device cgroup rule), still unprivileged', async () => {
    const usbBackend = new DockerBackend({ usbPath: usbDir });
    const tpu: NodeLaunch = { cluster, name: 'tpu-1', storeDir: '/unused', cpuMillis: 1000, memoryBytes: 512 * 1024 * 1024, labels: {}, network: 'lan', usb: true, secret: SECRET };
    const h = await usbBackend.start(tpu, build);
    expect(await healthOf(h)).toMatchObject({ node: 'tpu-1' });
    const info = await docker.getContainer(h.container!).inspect();
    expect(info.HostConfig.Privileged).toBe(false);
    expect(info.HostConfig.CapDrop).toEqual(['ALL']);
    expect(info.HostConfig.DeviceCgroupRules).toEqual(['c 189:* rmw']);
    expect(info.Mounts.map((m) => `${m.Type}:${m.Destination}`).sort()).toEqual(['bind:/dev/bus/usb', 'volume:/store']);
    expect(info.Mounts.find((m) => m.Type === 'bind')?.Source).toBe(usbDir);
    await usbBackend.kill(h);

    const noBus = new DockerBackend({ usbPath: join(usbDir, 'missing') });
    await expect(noBus.start({ ...tpu, name: 'tpu-2' }, build)).rejects.toThrow(/no USB bus/);
  });

  it('gives accelerator nodes the host\'s Edge TPU runtime as the readiness check finds it: the real file behind libedgetpu.so.1, read-only, on the container\'s library path; says so when there is none', async () => {
    // the host's runtime as installed: libedgetpu.so.1 -> libedgetpu.so.1.0, an ELF file (the
    // check reads the header only; nothing loads it here)
    const libs = join(usbDir, 'lib');
    mkdirSync(libs);
    const bytes = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.from(`a stand-in for libedgetpu ${cluster}`)]);
    writeFileSync(join(libs, 'libedgetpu.so.1.0'), bytes);
    symlinkSync('libedgetpu.so.1.0', join(libs, 'libedgetpu.so.1'));
    const msgs: string[] = [];
    const b = new DockerBackend({ usbPath: usbDir, libraryDirs: [join(usbDir, 'nothing-here'), libs] });
    await b.prepare(build, (m) => msgs.push(m));
    const tpu: NodeLaunch = { cluster, name: 'tpu-lib', storeDir: '/unused', cpuMillis: 1000, memoryBytes: 512 * 1024 * 1024, labels: {}, network: 'lan', usb: true, secret: SECRET };
    const [h, plain] = await Promise.all([b.start(tpu, build), b.start({ ...tpu, name: 'plain-lib', usb: false }, build)]);
    try {
      const info = await docker.getContainer(h.container!).inspect();
      const lib = info.Mounts.find((m) => m.Destination === `${EDGETPU_LIBRARY_DIR}/libedgetpu.so.1`);
      expect(lib).toMatchObject({ Type: 'bind', Source: join(libs, 'libedgetpu.so.1.0'), RW: false });
      expect(info.Config.Labels[LABEL_EDGETPU_RUNTIME]).toBe(join(libs, 'libedgetpu.so.1.0'));
      expect(msgs.join('\n')).toMatch(/node tpu-lib: the host's Edge TPU runtime \S+libedgetpu\.so\.1\.0 is mounted read-only/);
      const c = docker.getContainer(h.container!);
      expect(await readFileIn(c, `${EDGETPU_LIBRARY_DIR}/libedgetpu.so.1`)).toEqual(bytes);
      // from inside, as the node's agent looks: on LD_LIBRARY_PATH first, an ELF file, read-only;
      // and the delegate package the check asks for is in the image
      const seen = JSON.parse(
        (
          await execIn(c, [
            '/usr/local/bin/node',
            '-e',
            `const fs=require('fs');const d=(process.env.LD_LIBRARY_PATH||'').split(':')[0];const p=d+'/libedgetpu.so.1';const r={first:d,elf:fs.readFileSync(p).subarray(0,4).toString('latin1')};try{fs.writeFileSync(p,'x');r.write='written'}catch(e){r.write=e.code}try{require.resolve('coral-tflite-delegate',{paths:['/app']});r.delegate='installed'}catch(e){r.delegate=e.code}console.log(JSON.stringify(r))`,
          ])
        ).trim().split('\n').pop()!,
      ) as Record<string, string>;
      expect(seen).toEqual({ first: EDGETPU_LIBRARY_DIR, elf: '\x7fELF', write: 'EROFS', delegate: 'installed' });
      // a node without a stick gets none of it
      const pinfo = await docker.getContainer(plain.container!).inspect();
      expect(pinfo.Mounts.map((m) => m.Destination)).toEqual(['/store']);
      expect(pinfo.Config.Env.some((e) => e.startsWith('LD_LIBRARY_PATH='))).toBe(false);
    } finally {
      await Promise.all([b.kill(h), b.kill(plain)]);
    }

    // a real library that links one the image lacks (libssl -> libcrypto, as libedgetpu -> libusb):
    // the container's dynamic linker loads it with its dependency from the mounts
    if (LIBSSL) {
      const real = tmp('edgeai-libs-');
      symlinkSync(LIBSSL, join(real, 'libedgetpu.so.1'));
      const rb = new DockerBackend({ usbPath: usbDir, libraryDirs: [real] });
      await rb.prepare(build, () => {});
      const h3 = await rb.start({ ...tpu, name: 'tpu-real' }, build);
      try {
        const said = await execIn(docker.getContainer(h3.container!), ['/usr/local/bin/node', '-e', `try{process.dlopen({exports:{}},'${EDGETPU_LIBRARY_DIR}/libedgetpu.so.1');console.log('loaded')}catch(e){console.log(e.message)}`]);
        // dlopen succeeded; it is no Node addon, so Node says it did not register itself
        expect(said).toMatch(/did not self-register|loaded/);
        expect(said).not.toMatch(/cannot open shared object file/);
      } finally {
        await rb.kill(h3);
      }
    }

    // no library on the host: no mount, and the start says why and what to install
    const none: string[] = [];
    const bare = new DockerBackend({ usbPath: usbDir, libraryDirs: [join(usbDir, 'nothing-here')] });
    await bare.prepare(build, (m) => none.push(m));
    const h2 = await bare.start({ ...tpu, name: 'tpu-nolib' }, build);
    try {
      const info = await docker.getContainer(h2.container!).inspect();
      expect(info.Mounts.map((m) => m.Destination).sort()).toEqual(['/dev/bus/usb', '/store']);
      expect(info.Config.Labels[LABEL_EDGETPU_RUNTIME]).toBe('missing');
      expect(none.join('\n')).toMatch(/node tpu-nolib: the host's Edge TPU runtime is not mounted: libedgetpu\.so\.1 is not in \S+nothing-here; Edge TPU models run on the node's CPU \(install the Edge TPU runtime/);
    } finally {
      await bare.kill(h2);
    }
  });

  it('kill stops the agent; adopt (a fresh backend, as after a controller restart) finds the running node only', async () => {
    const a = handles.get('edge-1')!;
    // a blob in edge-1's store, to see that the volume outlives the container
    const bytes = Buffer.from('kept across a kill');
    const sha = createHash('sha256').update(bytes).digest('hex');
    const put = await fetch(`${at(a)}/blobs/${sha}`, { method: 'PUT', body: bytes, headers: auth });
    expect(put.status).toBe(200);

    await backend.kill(a);
    const after = await fetch(`${at(a)}/health`, { signal: AbortSignal.timeout(2000), headers: auth }).then(
      (r) => r.status,
      () => 'unreachable',
    );
    expect(after).toBe('unreachable');
    expect((await docker.getContainer(a.container!).inspect()).State.Running).toBe(false);

    const adopted = await new DockerBackend().adopt(cluster, ['edge-1', 'cloud-1', 'ghost'], () => '/unused', SECRET);
    expect(adopted).toEqual([{ name: 'cloud-1', host: handles.get('cloud-1')!.host, port: handles.get('cloud-1')!.port, container: handles.get('cloud-1')!.container, secret: SECRET }]);
    // a node list that does not name it adopts nothing; nor does another secret (another cluster's controller)
    expect(await new DockerBackend().adopt(cluster, ['edge-1'], () => '/unused', SECRET)).toEqual([]);
    expect(await new DockerBackend().adopt(cluster, ['cloud-1'], () => '/unused', newSecret())).toEqual([]);

    // starting the killed node again replaces its stopped container and keeps its store
    const again = await backend.start(edge, build);
    handles.set('edge-1', again);
    expect(again.container).not.toBe(a.container);
    expect(await healthOf(again)).toMatchObject({ node: 'edge-1' });
    expect((await fetch(`${at(again)}/blobs/${sha}`, { method: 'HEAD', headers: auth })).status).toBe(200);
  });

  it('stop removes the container and keeps the store volume', async () => {
    const b = handles.get('cloud-1')!;
    await backend.stop(b);
    await expect(docker.getContainer(b.container!).inspect()).rejects.toMatchObject({ statusCode: 404 });
    expect((await docker.getVolume(volumeNameOf(cluster, 'cloud-1')).inspect()).Name).toBe(volumeNameOf(cluster, 'cloud-1'));
  });

  it('teardown removes every container, network and volume labelled with the cluster', async () => {
    const label = { label: [`${LABEL_CLUSTER}=${cluster}`] };
    expect((await docker.listContainers({ all: true, filters: label })).length).toBeGreaterThan(0);
    await backend.teardown(cluster);
    expect(await docker.listContainers({ all: true, filters: label })).toEqual([]);
    expect(await docker.listNetworks({ filters: label })).toEqual([]);
    expect((await docker.listVolumes({ filters: label })).Volumes ?? []).toEqual([]);
    // and nothing named after the cluster is left either
    expect((await docker.listContainers({ all: true })).filter((c) => c.Names.some((n) => n.includes(cluster)))).toEqual([]);
    expect((await docker.listNetworks()).filter((n) => n.Name.includes(cluster))).toEqual([]);
    expect(((await docker.listVolumes()).Volumes ?? []).filter((v) => v.Name.includes(cluster))).toEqual([]);
    await backend.teardown(cluster); // idempotent
  });
});
