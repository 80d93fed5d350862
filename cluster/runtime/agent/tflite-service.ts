/**
 * The node's TensorFlow Lite models, for its workers (issue 14). A worker runs confined and
 * cannot load native addons (Node 20's permission model), so a function's `model.run(…)` goes
 * worker → agent (IPC) → the agent's TensorFlow Lite runner (tflite-host.ts) and back. The agent
 * opens each model from its own blob store by the invocation's input hash — a worker names only a
 * model the invocation gave it — and decides where it runs:
 * - the Edge TPU is wanted when the function asks for `capability: 'tpu'` or the model was
 *   compiled for it; then the host's readiness is checked first (accelerators/runtimes.ts: the
 *   stick in sysfs, its device node, libedgetpu.so.1) and the model opens on the Edge TPU when
 *   ready, else on the CPU with the reason (`cpu (fallback: …)`);
 * - otherwise on the CPU.
 * What each invocation's models ran on is recorded here, by the agent, for the run record.
 * A stick that disappears while a model uses it fails the call with the reason (`accelerator-gone`).
 */
import { readFileSync } from 'node:fs';
import { StudioError } from '../../common/errors';
import { compiledForEdgeTpu } from '../../registry/tflite';
import { edgeTpuReadiness, ncs2Readiness, OPENVINO_NCS2_HINT, type Readiness } from '../../accelerators/runtimes';
import { discoverAccelerators } from '../../accelerators/discover';
import { watchAccelerators, type StopWatching } from '../../accelerators/watch';
import type { NdArray } from '../../sdk/data';
import { TfliteHost, type OpenedModel, type RunnerLaunch } from './tflite-host';
import type { InvocationInput } from './protocol';
import type { NodeStore } from './store';

export interface TfliteServiceOptions {
  node: string;
  store: NodeStore;
  launch: RunnerLaunch;
  /** the sysfs root the Edge TPU is looked for under (tests: a fake tree); default /sys */
  sysfsRoot?: string;
  /** where libedgetpu.so.1 is looked for (tests: a fake folder); default the library search path */
  libraryDirs?: string[];
  /** how often the sticks are scanned while an Edge TPU model is loaded (default 500 ms) */
  watchIntervalMs?: number;
  /** the runner (tests: a stand-in that says where a model runs without native code) */
  host?: Pick<TfliteHost, 'open' | 'close'>;
}

/** One invocation's use of the runner: its handles, and where its models ran. */
export class TfliteSession {
  readonly handles = new Map<number, { model: OpenedModel; urn: string; sha256: string }>();
  /** urn → where it runs, in the order the models were opened */
  readonly ranOn = new Map<string, string>();
  /** the stick its Edge TPU model ran on left during the invocation */
  gone: (Error & { hint?: string }) | undefined;
  /** the calls under way: a stick that leaves fails them at once */
  readonly pending = new Set<(e: Error) => void>();

  usesEdgeTpu(): boolean {
    return [...this.handles.values()].some((h) => h.model.runsOn === 'edgetpu');
  }

  /** What the run record says: one place for every model, or `<urn>: <where>; …`. */
  summary(): string | undefined {
    const places = [...new Set(this.ranOn.values())];
    if (!places.length) return undefined;
    if (places.length === 1) return places[0];
    return [...this.ranOn].map(([urn, where]) => `${urn}: ${where}`).join('; ');
  }
}

export class TfliteService {
  private host: Pick<TfliteHost, 'open' | 'close'> | undefined;
  private nextHandle = 1;
  /** opened models by sha256 + where (a model stays loaded for the next invocation) */
  private readonly cache = new Map<string, Promise<OpenedModel>>();
  private readonly sessions = new Set<TfliteSession>();
  private stopWatching: StopWatching | undefined;

  constructor(private readonly opts: TfliteServiceOptions) {}

  /** One invocation's session: what it opened, where that runs; end() it when the invocation is done. */
  begin(): TfliteSession {
    const s = new TfliteSession();
    this.sessions.add(s);
    return s;
  }

  end(s: TfliteSession): void {
    this.sessions.delete(s);
  }

  /**
   * While an Edge TPU model is loaded, the sticks are watched (accelerators/watch.ts): a Coral
   * that is detached fails every invocation using one at once (accelerator-gone), and the runner
   * that drove it is stopped (its delegate holds a device that is gone); the next open starts afresh.
   */
  private watch(): void {
    if (this.stopWatching) return;
    this.stopWatching = watchAccelerators({ ...(this.opts.sysfsRoot ? { sysfsRoot: this.opts.sysfsRoot } : {}), intervalMs: this.opts.watchIntervalMs ?? 500, detachAfterScans: 2 }, (e) => {
      if (e.type !== 'detached' || e.accelerator.kind !== 'coral') return;
      if (discoverAccelerators(this.opts.sysfsRoot ? { sysfsRoot: this.opts.sysfsRoot } : {}).some((a) => a.kind === 'coral')) return;
      this.stickGone();
    });
  }

  private stickGone(): StudioError {
    const err = new StudioError('accelerator-gone', `the Coral USB Accelerator of node ${this.opts.node} is gone (unplugged while a model ran on it)`, 'plug the stick in again; the function is placed again where a tpu is');
    for (const k of [...this.cache.keys()]) if (!k.endsWith('|cpu') && !k.includes('|fallback:')) this.cache.delete(k);
    let hit = false;
    for (const s of this.sessions) {
      if (!s.usesEdgeTpu()) continue;
      hit = true;
      s.gone = err;
      for (const fail of [...s.pending]) fail(err);
    }
    if (hit || this.cache.size === 0) {
      this.host?.close();
      this.host = undefined;
      this.stopWatching?.();
      this.stopWatching = undefined;
    }
    return err;
  }

  /** The node's Edge TPU check, as a model wanting the Edge TPU meets it here (agent/sticks.ts reports it too). */
  readiness(): Readiness {
    return edgeTpuReadiness({ ...(this.opts.sysfsRoot ? { sysfsRoot: this.opts.sysfsRoot } : {}), ...(this.opts.libraryDirs ? { libraryDirs: this.opts.libraryDirs } : {}) });
  }

  /** Opens the invocation's model input `sha256` for a worker; what it answers is what the worker may use. */
  async open(session: TfliteSession, inputs: readonly InvocationInput[], sha256: string, capability: readonly string[] | undefined): Promise<{ handle: number; model: OpenedModel }> {
    const input = inputs.find((i) => i.kind === 'model' && i.artifact.sha256 === sha256);
    if (!input) throw new StudioError('tflite-not-an-input', `the worker asked for model ${sha256.slice(0, 12)}, which is not an input of this invocation on ${this.opts.node}`, 'a function runs only the models its @consumes.model gave it');
    const a = input.artifact;
    if (a.format !== 'tflite') throw new StudioError('tflite-not-tflite', `${a.urn} version ${a.version} is a ${a.format} model, not TensorFlow Lite`, 'use model.estimate(…) for TensorFlow.js models');
    const path = this.opts.store.blobs.pathOf(sha256);
    const compiled = compiledForEdgeTpu(readFileSync(path));
    const wanted = (capability ?? []).includes('tpu') || compiled;
    // the delegate would run a model not compiled for the Edge TPU on the CPU all the same: say so instead of 'edgetpu'
    const vpu = (capability ?? []).includes('vpu');
    const readiness: Readiness | undefined = !wanted
      ? vpu
        ? { ready: false, runtime: 'openvino', reason: `an Intel NCS2 runs no models in this studio (its OpenVINO 2022.3 runtime has no Node binding here): ${(() => { const r = ncs2Readiness(this.opts.sysfsRoot ? { sysfsRoot: this.opts.sysfsRoot } : {}); return r.ready ? r.detail : r.reason; })()}`, hint: OPENVINO_NCS2_HINT }
        : undefined
      : !compiled
        ? { ready: false, runtime: 'edgetpu', reason: `${a.urn} is not compiled for the Edge TPU (it has no edgetpu-custom-op)`, hint: 'compile it with edgetpu_compiler (Coral\'s apt repository) and publish that model' }
        : this.readiness();
    const key = `${sha256}|${readiness ? (readiness.ready ? readiness.library : `fallback:${readiness.reason}`) : 'cpu'}`;
    const where = `${a.urn} version ${a.version} on ${this.opts.node}`;
    const model = await this.openCached(key, () => this.hostOf().open(path, where, readiness ? { edgeTpu: readiness } : {}));
    const handle = this.nextHandle++;
    session.handles.set(handle, { model, urn: a.urn, sha256 });
    session.ranOn.set(a.urn, model.runsOn);
    if (model.runsOn === 'edgetpu') this.watch();
    return { handle, model };
  }

  private async openCached(key: string, open: () => Promise<OpenedModel>): Promise<OpenedModel> {
    let p = this.cache.get(key);
    // loaded in a runner that has stopped since (another model crashed it): load it again
    if (p && !(await p.then((m) => m.loaded(), () => false))) {
      if (this.cache.get(key) === p) this.cache.delete(key);
      p = undefined;
    }
    if (!p) {
      p = open();
      this.cache.set(key, p);
      p.catch(() => this.cache.delete(key));
    }
    return p;
  }

  /** Runs a model a worker opened in this invocation. */
  async run(session: TfliteSession, handle: number, inputs: NdArray[] | Record<string, NdArray>): Promise<Record<string, NdArray>> {
    const h = session.handles.get(handle);
    if (!h) throw new StudioError('tflite-no-model', `no TensorFlow Lite model ${handle} is open in this invocation on ${this.opts.node}`);
    if (session.gone) throw session.gone;
    // a stick pulled between two calls: no need to wait for the watcher
    if (h.model.runsOn === 'edgetpu' && !discoverAccelerators(this.opts.sysfsRoot ? { sysfsRoot: this.opts.sysfsRoot } : {}).some((a) => a.kind === 'coral')) throw this.stickGone();
    let fail: (e: Error) => void = () => undefined;
    const gone = new Promise<never>((_, reject) => (fail = reject));
    session.pending.add(fail);
    try {
      return await Promise.race([h.model.run(inputs), gone]);
    } catch (e) {
      // the runner died since (another model crashed it): this model is gone from the cache too
      for (const [k, p] of this.cache) if (k.startsWith(`${h.sha256}|`)) void p.then((m) => m === h.model && this.cache.delete(k), () => undefined);
      throw session.gone ?? e;
    } finally {
      session.pending.delete(fail);
    }
  }

  private hostOf(): Pick<TfliteHost, 'open' | 'close'> {
    return (this.host ??= this.opts.host ?? new TfliteHost(this.opts.launch));
  }

  close(): void {
    this.stopWatching?.();
    this.stopWatching = undefined;
    this.host?.close();
  }
}
