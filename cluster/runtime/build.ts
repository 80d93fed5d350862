/**
 * Builds the node agent and its worker into a self-contained folder (two CommonJS bundles
 * plus TensorFlow.js' .wasm files) that runs with nothing but Node.js: the process backend runs
 * it as child processes, the docker backend copies it into the node image.
 */
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { platformRoot } from '../sources';

export const REPO_ROOT = platformRoot(import.meta.url);
const here = join(REPO_ROOT, 'cluster', 'runtime');
const require = createRequire(import.meta.url);

export interface AgentBuild {
  dir: string;
  agent: string;
  worker: string;
  /** the TensorFlow Lite runner (agent/tflite-runner.ts); the agent finds it beside itself */
  tfliteRunner?: string;
  /** sha256 over the built files: identifies this build (image tags use it) */
  hash: string;
}

let building: Promise<AgentBuild> | undefined;

/** Builds once per process into `dir` (default dist/agent). */
export function buildAgent(dir = join(REPO_ROOT, 'dist', 'agent')): Promise<AgentBuild> {
  if (!building) {
    building = doBuild(dir);
    building.catch(() => {
      building = undefined;
    });
  }
  return building;
}

async function doBuild(dir: string): Promise<AgentBuild> {
  mkdirSync(dir, { recursive: true });
  const common = { bundle: true, platform: 'node' as const, target: 'node20', format: 'cjs' as const, logLevel: 'silent' as const, legalComments: 'none' as const };
  await Promise.all([
    build({ ...common, entryPoints: [join(here, 'agent', 'agent.ts')], outfile: join(dir, 'agent.cjs') }),
    build({ ...common, entryPoints: [join(here, 'agent', 'worker.ts')], outfile: join(dir, 'worker.cjs') }),
    // TensorFlow Lite models run here, for the workers (agent/tflite-host.ts); its addon is required at run time from node_modules
    build({ ...common, entryPoints: [join(here, 'agent', 'tflite-runner.ts')], outfile: join(dir, 'tflite-runner.cjs') }),
  ]);
  const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  for (const f of readdirSync(wasmDir)) if (f.endsWith('.wasm')) copyFileSync(join(wasmDir, f), join(dir, f));
  const h = createHash('sha256');
  for (const f of readdirSync(dir).sort()) if (f.endsWith('.cjs') || f.endsWith('.wasm')) h.update(f).update(readFileSync(join(dir, f)));
  const hash = h.digest('hex');
  writeFileSync(join(dir, 'build.json'), JSON.stringify({ hash, built: new Date().toISOString() }));
  return { dir, agent: join(dir, 'agent.cjs'), worker: join(dir, 'worker.cjs'), tfliteRunner: join(dir, 'tflite-runner.cjs'), hash };
}

export function agentBuildExists(dir = join(REPO_ROOT, 'dist', 'agent')): boolean {
  return existsSync(join(dir, 'agent.cjs')) && existsSync(join(dir, 'worker.cjs')) && existsSync(join(dir, 'tflite-runner.cjs'));
}
