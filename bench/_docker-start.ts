/**
 * Node start time of the docker backend against a bare container start of the same image.
 *
 * Both are measured to the same end point — the agent answers GET /health on its 127.0.0.1
 * port — so the difference is what the backend adds per start (limits, labels, store volume,
 * read-only root filesystem, its own network, the readiness poll):
 * - bare: create + start of the node image with only its port published on 127.0.0.1 (what
 *   `docker run -d -p 127.0.0.1::7070 <image> --node … --port 7070` does), then poll /health;
 * - node: DockerBackend.start() (which returns once /health answers).
 * The image build (prepare) and the one-off network creation are done before timing (one
 * untimed warm-up of each). The two kinds alternate so load drifts hit both alike.
 *
 * Called by bench/runtime.ts; `npx tsx bench/_docker-start.ts [iterations]` prints the figures.
 */
import { pathToFileURL } from 'node:url';
import type Docker from 'dockerode';
import { buildAgent, type AgentBuild } from '../cluster/runtime/build';
import { DockerBackend, LABEL_CLUSTER, dockerAvailable, waitHealthy } from '../cluster/runtime/backends/docker';
import { AGENT_PORT, LABEL_MANAGED } from '../cluster/runtime/backends/docker-image';
import { SECRET_ENV, newSecret } from '../cluster/runtime/agent/secret';

/** the agents serve only requests that carry their cluster's secret */
const SECRET = newSecret();

async function bareStart(docker: Docker, image: string, cluster: string, node: string): Promise<{ ms: number; id: string }> {
  const t0 = performance.now();
  const c = await docker.createContainer({
    Image: image,
    Cmd: ['--node', node, '--cluster', cluster, '--store', '/store', '--host', '0.0.0.0', '--port', String(AGENT_PORT)],
    Env: [`${SECRET_ENV}=${SECRET}`],
    Labels: { [LABEL_MANAGED]: 'true', [LABEL_CLUSTER]: cluster },
  });
  await c.start();
  const info = await c.inspect();
  // reached like a node's container: at its address (here on Docker's default bridge)
  const host = Object.values(info.NetworkSettings.Networks ?? {}).find((n) => n.IPAddress)?.IPAddress ?? info.NetworkSettings.IPAddress;
  // the same readiness poll DockerBackend.start() uses
  if (!(await waitHealthy({ host, port: AGENT_PORT }, node, cluster, { timeoutMs: 20_000, secret: SECRET }))) throw new Error(`bare container ${node} did not answer within 20 s`);
  return { ms: performance.now() - t0, id: c.id };
}

export async function measureNodeStart(iterations: number, opts: { build?: AgentBuild; socketPath?: string } = {}): Promise<{ bareMs: number[]; nodeMs: number[] }> {
  const avail = await dockerAvailable(opts.socketPath);
  if (!avail.ok) throw new Error(avail.reason);
  const build = opts.build ?? (await buildAgent());
  const backend = new DockerBackend({ socketPath: opts.socketPath });
  await backend.prepare(build, () => {});
  const image = backend.imageTag(build);
  const cluster = `bench-${process.pid}-${Date.now().toString(36)}`;
  const docker = backend.docker;
  const launch = (name: string) => ({ cluster, name, storeDir: '/unused', cpuMillis: 1000, memoryBytes: 512 * 1024 * 1024, labels: { bench: 'docker-start' }, network: 'bench', secret: SECRET });
  const bareMs: number[] = [];
  const nodeMs: number[] = [];
  try {
    // warm-up (untimed): the network, the page cache of the image
    const w = await bareStart(docker, image, cluster, 'warm-bare');
    await docker.getContainer(w.id).remove({ force: true });
    await backend.stop(await backend.start(launch('warm-node'), build));
    for (let i = 0; i < iterations; i++) {
      const runBare = async () => {
        const b = await bareStart(docker, image, cluster, `bare-${i}`);
        bareMs.push(b.ms);
        await docker.getContainer(b.id).remove({ force: true });
      };
      const runNode = async () => {
        const t0 = performance.now();
        const h = await backend.start(launch(`node-${i}`), build);
        nodeMs.push(performance.now() - t0);
        await backend.kill(h);
      };
      if (i % 2 === 0) {
        await runBare();
        await runNode();
      } else {
        await runNode();
        await runBare();
      }
    }
  } finally {
    await backend.teardown(cluster);
  }
  return { bareMs, nodeMs };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const n = Number(process.argv[2] ?? 10);
  const r = await measureNodeStart(n);
  const fmt = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(' ');
  console.log(`bare docker start → /health (ms): ${fmt(r.bareMs)}  median ${median(r.bareMs).toFixed(0)}`);
  console.log(`DockerBackend.start → /health (ms): ${fmt(r.nodeMs)}  median ${median(r.nodeMs).toFixed(0)}`);
  console.log(`ratio of medians: ${(median(r.nodeMs) / median(r.bareMs)).toFixed(2)} (target ≤ 1.5)`);
}
