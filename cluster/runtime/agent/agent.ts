/**
 * The node agent: one program for every backend (a child process, or the entry point of a
 * container; cluster/runtime/build.ts bundles this file). It serves the controller over HTTP
 * (server.ts), keeps the node's artifact store and function bundles (store.ts), and runs
 * invocations in worker processes (pool.ts, invoke.ts): a cold start forks one, warm ones are
 * reused, idle ones retire. This file wires them together and owns the process: its settings
 * (config.ts), its signals, its registration.
 *
 *   node agent.cjs --node edge-1 --cluster <id> --store <dir> [--host 127.0.0.1] [--port 0] …
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
import { loadavg } from 'node:os';
import { parseConfig } from './config';
import { Confinement } from './confine';
import { Runner } from './invoke';
import { Pool } from './pool';
import type { Health } from './protocol';
import { createAgentServer } from './server';
import { NodeStore } from './store';

const cfg = parseConfig();
const store = new NodeStore(cfg.store);
const confine = new Confinement(cfg, store);
const pool = new Pool(cfg, store, confine);
const runner = new Runner(cfg, pool, store, confine);
const startedAt = new Date();

function health(): Health {
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
  };
}

const server = createAgentServer({ cfg, store, pool, runner, health, shutdown });

function shutdown(): void {
  pool.killAll();
  server.close();
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
// however the agent ends (a crash included), its workers end with it
process.on('exit', () => pool.killAll());

// retire idle workers
setInterval(() => pool.retireIdle(), Math.min(30_000, Math.max(200, cfg.idleMs / 4))).unref();

server.listen(cfg.port, cfg.host, () => {
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const reg = { node: cfg.node, cluster: cfg.cluster, port, pid: process.pid, startedAt: startedAt.toISOString() };
  store.register(reg);
  console.log(`EDGEAI_AGENT_READY ${JSON.stringify(reg)}`);
});
