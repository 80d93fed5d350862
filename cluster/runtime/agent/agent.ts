/**
 * The node agent: one program for every backend (a child process, or the entry point of a
 * container; cluster/runtime/build.ts bundles this file). It serves the controller over HTTP
 * (server.ts), keeps the node's artifact store and function bundles (store.ts), and runs
 * invocations in worker processes (pool.ts, invoke.ts): a cold start forks one, warm ones are
 * reused, idle ones retire. This file wires them together and owns the process: its settings
 * (config.ts), its signals, its registration.
 *
 *   node agent.cjs --node edge-1 --cluster <id> --store <dir> [--host 127.0.0.1] [--port 0]
 *                  [--secret-stdin] …
 *
 * It serves only its cluster's controller: every request must carry the cluster's secret, which
 * it reads before it listens — a line on stdin (--secret-stdin: the process backend) or
 * EDGEAI_AGENT_SECRET (a container's environment), removed from its environment once read
 * (secret.ts says why each). Without one it does not start.
 *
 * On start it prints one line `EDGEAI_AGENT_READY {"port":…,"pid":…}` (its registration) and
 * writes the same to <store>/agent.json, which is how a restarted controller re-adopts it.
 *
 * Workers run function code confined (confine.ts): Node's permission model, a whitelisted
 * environment, a scratch folder in the store as cwd, a heap limit from the node's memory; at most
 * --max-node-workers of them live at once. Every invocation has a budget from its arrival (its
 * deadline, else a timeout) and ends when the controller's request closes; a worker that does not
 * load within --load-timeout-ms is killed and named. Workers are forked into the agent's
 * process group, so a backend that kills the group takes them along even after the agent died.
 */
import { Evaluator } from './evaluator';
import { loadavg } from 'node:os';
import { parseConfig } from './config';
import { Confinement } from './confine';
import { Runner } from './invoke';
import { Pool } from './pool';
import type { Health } from './protocol';
import { MIN_SECRET_LENGTH, SECRET_ENV } from './secret';
import { createAgentServer } from './server';
import { NodeStore } from './store';
import { TfliteService } from './tflite-service';
import { StickWatch } from './sticks';

const cfg = parseConfig();

/** The first line on stdin, once stdin closes or the line ends (10 s at most). */
function firstLineOfStdin(): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const done = () => {
      clearTimeout(timer);
      process.stdin.removeAllListeners('data');
      process.stdin.destroy();
      resolve(text.split('\n')[0].trim());
    };
    const timer = setTimeout(done, 10_000);
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (d: string) => {
      text += d;
      if (text.includes('\n') || text.length > 4096) done();
    });
    process.stdin.once('end', done);
    process.stdin.once('error', done);
  });
}

/** The cluster's secret, from stdin (--secret-stdin) or the environment; the agent exits without one. */
async function clusterSecret(): Promise<string> {
  const fromEnv = process.env[SECRET_ENV];
  // nothing the agent starts inherits it (its workers get a whitelisted environment anyway)
  delete process.env[SECRET_ENV];
  const secret = cfg.secretStdin ? await firstLineOfStdin() : (fromEnv ?? '').trim();
  if (secret.length < MIN_SECRET_LENGTH) {
    console.error(`edgeai agent ${cfg.node}: no cluster secret (${cfg.secretStdin ? 'a line on stdin' : SECRET_ENV}, at least ${MIN_SECRET_LENGTH} characters): an agent serves only its cluster's controller, and does not start without one`);
    process.exit(2);
  }
  return secret;
}

const store = new NodeStore(cfg.store);
const confine = new Confinement(cfg, store);
const pool = new Pool(cfg, store, confine);
const evaluator = new Evaluator(cfg.node, store, confine, cfg.loadTimeoutMs);
// TensorFlow Lite models run in the agent's runner process, for its confined workers (tflite-service.ts)
const tflite = new TfliteService({ node: cfg.node, store, launch: { file: cfg.tfliteRunner }, ...(cfg.sysfsRoot ? { sysfsRoot: cfg.sysfsRoot } : {}), ...(cfg.libraryDirs ? { libraryDirs: cfg.libraryDirs } : {}) });
const runner = new Runner(cfg, pool, store, confine, evaluator, tflite);
// the node's USB sticks, watched once the controller asks (it asks the nodes it attached sticks to)
const sticks = new StickWatch({ ...(cfg.sysfsRoot ? { sysfsRoot: cfg.sysfsRoot } : {}), readiness: () => tflite.readiness() });
const startedAt = new Date();

function health(opts: { sticks?: boolean } = {}): Health {
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  const workers = pool.health();
  return {
    node: cfg.node,
    cluster: cfg.cluster,
    pid: process.pid,
    startedAt: startedAt.toISOString(),
    uptimeMs: Date.now() - startedAt.getTime(),
    cpu: { userMs: cpu.user / 1000, systemMs: cpu.system / 1000, load1: loadavg()[0] },
    memory: { rssBytes: mem.rss, heapBytes: mem.heapUsed, workersRssBytes: workers.workersRssBytes },
    functions: workers.functions,
    blobs: store.countBlobs(),
    limits: {
      memoryBytes: cfg.memoryBytes,
      workerHeapBytes: cfg.workerHeapMb * 1024 * 1024,
      maxNodeWorkers: cfg.maxNodeWorkers,
      maxFunctionWorkers: cfg.maxWorkers,
      invokeTimeoutMs: cfg.invokeTimeoutMs,
      loadTimeoutMs: cfg.loadTimeoutMs,
      isolation: confine.confined ? 'permission' : 'none',
    },
    ...(opts.sticks || sticks.watching ? { accelerators: sticks.report() } : {}),
  };
}

function shutdown(): void {
  pool.killAll();
  evaluator.kill();
  tflite.close();
  sticks.close();
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
// however the agent ends (a crash included), its workers end with it
process.on('exit', () => (pool.killAll(), evaluator.kill(), tflite.close()));

// retire idle workers
setInterval(() => pool.retireIdle(), Math.min(30_000, Math.max(200, cfg.idleMs / 4))).unref();

void clusterSecret().then((secret) => {
  const server = createAgentServer({ cfg, secret, store, pool, runner, health, shutdown });
  server.listen(cfg.port, cfg.host, () => {
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    const reg = { node: cfg.node, cluster: cfg.cluster, port, pid: process.pid, startedAt: startedAt.toISOString() };
    store.register(reg);
    console.log(`EDGEAI_AGENT_READY ${JSON.stringify(reg)}`);
  });
});
