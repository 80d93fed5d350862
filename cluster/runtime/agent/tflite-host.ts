/**
 * Runs TensorFlow Lite models in a runner process (tflite-runner.ts) and says where each one
 * runs (issue 14): `edgetpu` when the host's Edge TPU is ready (accelerators/runtimes.ts checked
 * it: a Coral stick, libedgetpu.so.1), else `cpu`, or `cpu (fallback: <reason>)` when the Edge
 * TPU was wanted and cannot be used. A runner that dies — the delegate segfaults when its
 * preconditions lied — fails what it was doing with a `tflite-crashed` error naming the signal
 * and the model, takes its loaded models with it, and the next call starts a fresh runner: the
 * host (the agent) never goes down with it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { StudioError } from '../../common/errors';
import type { NdArray } from '../../sdk/data';
import type { TfliteModelInfo } from '../../registry/tflite';
import { fallbackRunsOn, type Readiness } from '../../accelerators/runtimes';
import type { FromRunner, ToRunner } from './tflite-runner';

export interface RunnerLaunch {
  /** the runner's entry: the built tflite-runner.cjs, or the .ts source with tsx in execArgv */
  file: string;
  execArgv?: string[];
}

export interface OpenedModel {
  info: TfliteModelInfo;
  /** where it runs, as every run records it: 'edgetpu', 'cpu' or 'cpu (fallback: <reason>)' */
  runsOn: string;
  run(inputs: NdArray[] | Record<string, NdArray>): Promise<Record<string, NdArray>>;
  /** false once the runner that loaded it has stopped (a crash, close()): open it again */
  loaded(): boolean;
}

type Pending = { resolve: (m: FromRunner) => void; reject: (e: Error) => void; what: string };

export class TfliteHost {
  private child: ChildProcess | undefined;
  private ready: Promise<void> | undefined;
  private pending = new Map<number, Pending>();
  private nextId = 1;
  /** the runner generation: models opened in a runner that died are gone */
  private generation = 0;

  constructor(private readonly launch: RunnerLaunch) {}

  /**
   * Opens the model in `file`. With `edgeTpu` (the host's readiness) and a model that should use
   * it: on the Edge TPU when ready, else on the CPU with the reason. `force` skips the readiness
   * check and loads with the delegate anyway (tests of the crash path only).
   */
  async open(file: string, where: string, opts: { edgeTpu?: Readiness; force?: { edgeTpuLibrary: string } } = {}): Promise<OpenedModel> {
    const library = opts.force?.edgeTpuLibrary ?? (opts.edgeTpu?.ready ? opts.edgeTpu.library : undefined);
    const fallback = opts.edgeTpu && !opts.edgeTpu.ready && !opts.force ? opts.edgeTpu.reason : undefined;
    const what = `loading ${where}${library ? ` with the Edge TPU delegate (${library})` : ' on the CPU'}`;
    const r = await this.call({ type: 'open', id: 0, file, where, ...(library ? { edgeTpuLibrary: library } : {}) }, what);
    if (r.type !== 'opened') throw new Error(`tflite runner: unexpected answer ${r.type}`);
    const generation = this.generation;
    const model = r.model;
    return {
      info: r.info,
      runsOn: fallback ? fallbackRunsOn(fallback) : r.runsOn,
      loaded: () => generation === this.generation && this.child !== undefined,
      run: async (inputs) => {
        if (generation !== this.generation) throw new StudioError('tflite-crashed', `${where} is no longer loaded: its TensorFlow Lite runner stopped`, 'load the model again');
        const out = await this.call({ type: 'run', id: 0, model, inputs }, `running ${where}`);
        if (out.type !== 'ran') throw new Error(`tflite runner: unexpected answer ${out.type}`);
        return out.outputs;
      },
    };
  }

  /** Stops the runner (the models loaded in it are gone). */
  close(): void {
    this.child?.kill('SIGKILL');
  }

  private start(): Promise<void> {
    if (this.ready) return this.ready;
    const child = fork(this.launch.file, [], { execArgv: this.launch.execArgv ?? [], serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    this.child = child;
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-2000)));
    child.on('error', () => undefined); // a send to a runner that just died: its exit reports it
    this.ready = new Promise<void>((resolve, reject) => {
      child.on('message', (m: FromRunner) => {
        if (m.type === 'ready') return resolve();
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.type === 'error') p.reject(new StudioError(m.code, m.message, m.hint));
        else p.resolve(m);
      });
      child.on('exit', (code, signal) => {
        if (this.child === child) {
          this.child = undefined;
          this.ready = undefined;
          this.generation++;
        }
        const how = signal ? `crashed (${signal})` : `exited with code ${code}`;
        reject(new StudioError('tflite-crashed', `the TensorFlow Lite runner ${how} before it was ready${stderr.trim() ? `: ${stderr.trim().split('\n').pop()}` : ''}`));
        for (const [id, p] of this.pending) {
          this.pending.delete(id);
          p.reject(
            new StudioError(
              'tflite-crashed',
              `the TensorFlow Lite runtime ${how} while ${p.what}; nothing else was affected and the next model loads in a fresh runner`,
              signal === 'SIGSEGV' && /Edge TPU/.test(p.what) ? 'the Edge TPU delegate crashes when libedgetpu.so.1 cannot drive a stick: check `edgeai accelerators`' : undefined,
            ),
          );
        }
      });
    });
    return this.ready;
  }

  private async call(m: ToRunner, what: string): Promise<FromRunner> {
    await this.start();
    const id = this.nextId++;
    return new Promise<FromRunner>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, what });
      this.child!.send({ ...m, id });
    });
  }
}
