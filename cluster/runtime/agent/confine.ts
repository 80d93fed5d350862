/**
 * How function code is confined on a node: the worker runtime copied into the node's store, the
 * launch of a worker under Node's permission model with a whitelisted environment, and the
 * outputs a worker stages in its scratch folder, checked before they enter the blob store.
 */
import { copyFileSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { sha256Hex } from '../../registry/blobs';
import type { AgentConfig } from './config';
import { ProducedSchema, type Produced } from './protocol';
import type { NodeStore } from './store';

/** A path as the permission model sees it (symlinks resolved: /tmp on macOS is /private/tmp). */
export function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

export interface WorkerLaunch {
  worker: string;
  execArgv: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export class Confinement {
  private runtime: { worker: string; wasmDir: string } | undefined;

  constructor(
    private readonly cfg: AgentConfig,
    private readonly store: NodeStore,
  ) {}

  /** Whether workers run under the permission model (a Node without it runs them unconfined). */
  get confined(): boolean {
    return !!this.cfg.permissionFlag;
  }

  /**
   * The worker build (worker.cjs and TensorFlow.js' .wasm files), copied once into the node's store
   * (runtime/), so that everything a worker may read lies under one folder. Node 20's permission
   * model has a flaw there: with allowed paths that part at the file system's root (the agent build
   * in the project, the store in the cluster's home) a worker may list / itself (measured).
   */
  workerRuntime(): { worker: string; wasmDir: string } {
    if (this.runtime) return this.runtime;
    const dir = join(real(this.store.dir), 'runtime');
    try {
      mkdirSync(dir, { recursive: true });
      const wasmDir = real(this.cfg.wasmDir);
      const wasm = readdirSync(wasmDir).filter((f) => f.endsWith('.wasm'));
      for (const f of wasm) copyFileSync(join(wasmDir, f), join(dir, f));
      copyFileSync(this.cfg.worker, join(dir, 'worker.cjs'));
      this.runtime = { worker: join(dir, 'worker.cjs'), wasmDir: dir + '/' };
    } catch (e) {
      // no build to copy (an agent started without its worker): the fork says what is missing
      console.error(`edgeai agent ${this.cfg.node}: cannot install the worker runtime in ${dir}: ${(e as Error).message}`);
      return { worker: this.cfg.worker, wasmDir: this.cfg.wasmDir };
    }
    return this.runtime;
  }

  /**
   * How a worker starts: Node's permission model confines it to reading the worker runtime, its own
   * bundle, the node's blobs and its scratch folder — all inside the node's store — and to writing
   * only that scratch folder (its cwd and TMPDIR); it may not start processes or worker threads,
   * load native addons or open the inspector (Node 20 has no network permission). Its environment
   * is a whitelist, not the agent's: nothing of the shell that started the cluster (its secrets,
   * NODE_OPTIONS, PATH) reaches function code. Its heap is its share of the node's memory.
   */
  workerLaunch(bundle: string | undefined, scratch: string): WorkerLaunch {
    const { cfg } = this;
    const store = real(this.store.dir);
    const rt = this.workerRuntime();
    let wasm: string[] = [];
    try {
      wasm = readdirSync(rt.wasmDir).filter((f) => f.endsWith('.wasm')).map((f) => join(rt.wasmDir, f));
    } catch {
      /* no wasm files: TensorFlow.js says so when the worker loads */
    }
    // each path once: Node 20 aborts on an --allow-fs-read given twice (measured)
    // (the evaluator, evaluator.ts, runs no bundle: it reads none)
    const read = [...new Set([rt.worker, ...wasm, ...(bundle ? [real(this.store.bundlePath(bundle))] : []), join(store, 'blobs'), scratch])];
    const execArgv = [
      ...(cfg.permissionFlag ? [cfg.permissionFlag, ...read.map((p) => `--allow-fs-read=${p}`), `--allow-fs-write=${scratch}`] : []),
      ...(process.allowedNodeEnvironmentFlags.has('--disable-warning') ? ['--disable-warning=ExperimentalWarning'] : []),
      ...(cfg.workerHeapMb ? [`--max-old-space-size=${cfg.workerHeapMb}`] : []),
    ];
    const env: NodeJS.ProcessEnv = { EDGEAI_NODE: cfg.node, EDGEAI_TFJS_WASM_DIR: rt.wasmDir, TMPDIR: scratch };
    // the clock and the language of the machine, so dates and text read as they do elsewhere
    for (const k of ['TZ', 'LANG', 'LC_ALL']) if (process.env[k]) env[k] = process.env[k];
    return { worker: rt.worker, execArgv, env, cwd: scratch };
  }

  /**
   * Commits what a worker staged (scratch/staged-<sha256>) into the blob store, after checking that
   * it is a plain file of the size and hash the worker claims; undefined when all are in, else why not.
   */
  commitStaged(scratch: string, produced: Produced[]): string | undefined {
    // the worker runs function code: what it says is checked like anything else that crosses a process boundary
    const parsed = z.array(ProducedSchema).safeParse(produced);
    if (!parsed.success) return `what it produced is not the protocol's: ${parsed.error.issues[0]?.message}`;
    const { blobs } = this.store;
    for (const p of parsed.data) {
      const staged = join(scratch, `staged-${p.sha256}`);
      if (blobs.has(p.sha256, p.size)) continue;
      try {
        const st = lstatSync(staged);
        if (!st.isFile() || st.nlink !== 1) return `${p.urn}: its staged bytes are not a plain file`;
        if (st.size !== p.size) return `${p.urn}: ${st.size} bytes staged, ${p.size} claimed`;
        const bytes = readFileSync(staged);
        if (sha256Hex(bytes) !== p.sha256) return `${p.urn}: the staged bytes do not hash to the sha256 claimed`;
        blobs.write(bytes, p.sha256);
      } catch (e) {
        return `${p.urn}: its bytes were not staged (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
      }
    }
    return undefined;
  }

  /** Removes what a worker staged for its last invocation (committed or not). */
  clearStaged(scratch: string): void {
    try {
      for (const f of readdirSync(scratch)) if (f.startsWith('staged-')) unlinkSync(join(scratch, f));
    } catch {
      /* gone with its worker */
    }
  }
}
