/**
 * faas-sim@9c6e1b3's execution- and startup-time oracles, used under the `faas-sim` preset
 * (preset.ts, docs/reference.md §3): the FGCS code does not use the per-device means of §4 but
 * distributions fitted to its own traces of the three ML workflow images, per host type
 * (`faassim/oracle/data/distributions.py`, read by `faassim/oracle/oracle.py`):
 *
 * - FittedExecutionTimeOracle: an execution is drawn from scipy's lognorm(s, loc, scale)
 *   (x = loc + scale · e^(s·Z)), redrawn until it lies in [min, max] (srds BoundRejectionSampler);
 * - HackedFittedStartupTimeOracle: a worker start is drawn the same way from the
 *   (host type, image, image present) distribution; when the image was missing, the time of a
 *   download at 100 Mbit/s (size / 1.25e7 B/s) is taken off (at least 0), because the pull itself
 *   is simulated as a flow before it.
 *
 * The host type is faas-sim's node-name suffix: `cloud` (xeon-cpu VMs), `tegra` (tx2), `pi` (rpi3),
 * `nuc`; the image key is the image name without its tag. A (host type, image) pair faas-sim has
 * no distribution for (e.g. any other device) falls back to the simulator's own model.
 */
import { Rng } from './engine';

/** [min, max, s, loc, scale] of a bounded lognorm (faas-sim distributions.py, verbatim). */
type Fit = readonly [number, number, number, number, number];

const PRE = 'alexrashed/ml-wf-1-pre';
const TRAIN = 'alexrashed/ml-wf-2-train';
const SERVE = 'alexrashed/ml-wf-3-serve';

/** execution_time_distributions: (host type, image) → fit */
const EXECUTION: Record<string, Fit> = {
  [`cloud ${PRE}`]: [0.584, 1.142, 0.31449780857108944, 0.36909628354997315, 0.41583220283981315],
  [`tegra ${PRE}`]: [0.434, 0.491, 0.4040891723912467, 0.42388853817361616, 0.026861281861394234],
  [`pi ${PRE}`]: [23.89, 108.743, 0.20506023311489027, -20.283277542855338, 73.25412435048207],
  [`nuc ${PRE}`]: [0.101, 0.105, 23.561803013427763, 0.10099999999999998, 0.00012383535141814733],
  [`cloud ${TRAIN}`]: [156.256, 166.702, 0.0955189827829152, 140.38073254297746, 20.5799433435967],
  [`tegra ${TRAIN}`]: [17.641, 20.333, 0.07553515034079655, 12.501696816822736, 6.339535271582099],
  [`nuc ${TRAIN}`]: [31.327, 42.355, 0.08117635531817702, 4.01869140845729, 32.19443389130219],
  [`cloud ${SERVE}`]: [0.542, 11.505, 2.148861851180003, 0.5402853007866957, 1.422846600303037],
  [`tegra ${SERVE}`]: [0.48, 10.882, 4.521620371690464, 0.4799999929591894, 5.3308588402679185],
  [`pi ${SERVE}`]: [1.203, 14.579, 0.0011447901398451941, -2722.59408910652, 2733.773971903728],
  [`nuc ${SERVE}`]: [0.144, 10.261, 3.0008797752241914, 0.14399171198249225, 0.0833885862659985],
};

/** startup_time_distributions (fitted on the 100 Mbit/s preset): (host type, image, present) → fit */
const STARTUP: Record<string, Fit> = {
  [`cloud ${PRE} true`]: [4.845974683761597, 8.010702610015871, 0.0037449457378122934, -184.7438193180742, 191.23179742021864],
  [`tegra ${PRE} true`]: [1.4631223678588867, 2.677159309387207, 0.002512746872799938, -105.01241065619348, 107.174808474558],
  [`pi ${PRE} true`]: [2.5531022548675537, 30.92630386352539, 0.8377300856682666, 1.9047810452600982, 5.02386592606429],
  [`nuc ${PRE} true`]: [1.4307518005371094, 2.55591344833374, 0.0010473161054870804, -220.55445796259818, 222.70478363394423],
  [`cloud ${TRAIN} true`]: [4.694065570831299, 8.718086004257202, 0.005819346589794688, -128.07418871497953, 135.10321855444715],
  [`tegra ${TRAIN} true`]: [1.4736998081207275, 2.805474281311035, 0.0043443267299934, -64.65543175628802, 66.81621184023626],
  [`pi ${TRAIN} true`]: [2.518429517745972, 41.4433479309082, 0.9050857042528122, 1.9348219443423567, 5.316676365244197],
  [`nuc ${TRAIN} true`]: [1.4586496353149414, 2.555532693862915, 0.001681706956053075, -144.2795731356258, 146.42393882044934],
  [`cloud ${SERVE} true`]: [5.1318864822387695, 8.278877973556519, 0.0027484186792601697, -165.77166614636923, 172.71014758735464],
  [`tegra ${SERVE} true`]: [1.5105795860290527, 2.8387768268585205, 0.00897732092441757, -27.91705469284816, 30.07755167658162],
  [`pi ${SERVE} true`]: [2.4959282875061035, 24.689355611801147, 0.7194917986461948, 1.7939233642283035, 3.69032959681382],
  [`nuc ${SERVE} true`]: [1.438429594039917, 3.182549238204956, 0.002914306587106721, -93.2468082577646, 95.48311762857361],
  [`cloud ${PRE} false`]: [97.12672901153564, 824.8937194347383, 4.859615995909446, 97.12672901147204, 1.14796454650864],
  [`tegra ${PRE} false`]: [58.74252128601074, 750.2965703010559, 4.039162429062674, 58.742520450944646, 10.172277144411156],
  [`pi ${PRE} false`]: [673.4305050373077, 1628.758401632309, 6.447150531564345, 673.4305050373076, 1.4302943416705516],
  [`nuc ${PRE} false`]: [21.203427076339718, 762.7251296043396, 3.088813855827093, 21.203353546686493, 1.2407368468763815],
  [`cloud ${TRAIN} false`]: [97.64930057525636, 815.3668050765991, 1.9077194079252626, 97.33879731144327, 98.36218082195288],
  [`tegra ${TRAIN} false`]: [59.60635018348694, 787.383499622345, 1.6586371453566358, 57.85331573109663, 131.8688446326562],
  [`pi ${TRAIN} false`]: [775.337126493454, 1921.5559482574465, 5.265736296171748, 775.3371264934526, 1.552558429806739],
  [`nuc ${TRAIN} false`]: [21.228580951690677, 762.246561050415, 2.3800082435142587, 21.1771924016278, 158.16980950244087],
  [`cloud ${SERVE} false`]: [103.02121186256409, 835.4177339076996, 4.03394744724086, 103.02121157275369, 3.386806662755468],
  [`tegra ${SERVE} false`]: [60.83073115348816, 796.7554597854614, 1.3468144640330468, 52.974382739563765, 163.116500342865],
  [`pi ${SERVE} false`]: [833.7670969963074, 1974.2024960517886, 6.243612659761245, 833.7670969963071, 1.488051925178726],
  [`nuc ${SERVE} false`]: [22.16527533531189, 794.675945520401, 2.4095393620098946, 22.08610367498848, 80.78142071894206],
};

/** faas-sim's host type of one of our devices (its node names end in _cloud, _tegra, _pi, _nuc). */
const HOST_TYPE: Record<string, string> = { 'xeon-cpu': 'cloud', tx2: 'tegra', rpi3: 'pi', nuc: 'nuc' };

/** HackedFittedStartupTimeOracle's assumed download rate: 100 Mbit/s in bytes/s */
const STARTUP_DOWNLOAD_BPS = 1.25e7;
/** draws before a fit's bounds are given up on (the value is then clamped); far above what any fit needs */
const MAX_DRAWS = 10_000;

/** The image key faas-sim's oracles look up: the name without its tag. */
function imageKey(name: string): string {
  const slash = name.lastIndexOf('/');
  const colon = name.indexOf(':', slash + 1);
  return colon < 0 ? name : name.slice(0, colon);
}

/** x = loc + scale · e^(s·z), the first z given, redrawn from `rng` until within [min, max]. */
function bounded(fit: Fit, z: number, rng: Rng): number {
  const [lo, hi, s, loc, scale] = fit;
  let x = loc + scale * Math.exp(s * z);
  for (let i = 0; (x < lo || x > hi) && i < MAX_DRAWS; i++) x = loc + scale * Math.exp(s * rng.normal());
  return Math.min(hi, Math.max(lo, x));
}

export interface OracleImage {
  name: string;
  /** bytes on the node's architecture */
  bytes: number;
  /** it had to be pulled for this replica */
  pulled: boolean;
}

/** The two oracles of one run, with their own seeded streams (per function, so profiles compared see the same draws). */
export class FaasSimOracles {
  private readonly streams = new Map<string, Rng>();
  /** per function: its execution stream (the hot path's lookup without building the key) */
  private readonly execStreams = new Map<string, Rng>();
  /** per device and image name: the execution fit (null: none) */
  private readonly execFits = new Map<string, Map<string, Fit | null>>();

  constructor(private readonly seed: number) {}

  private rng(kind: string, fn: string): Rng {
    const k = `${kind}:${fn}`;
    let r = this.streams.get(k);
    if (!r) {
      r = Rng.stream(this.seed, `faas-sim ${k}`);
      this.streams.set(k, r);
    }
    return r;
  }

  private execRng(fn: string): Rng {
    let r = this.execStreams.get(fn);
    if (!r) {
      r = this.rng('exec', fn);
      this.execStreams.set(fn, r);
    }
    return r;
  }

  private execFit(host: string, name: string): Fit | undefined {
    let byName = this.execFits.get(host);
    if (!byName) {
      byName = new Map();
      this.execFits.set(host, byName);
    }
    let fit = byName.get(name);
    if (fit === undefined) {
      fit = EXECUTION[`${host} ${imageKey(name)}`] ?? null;
      byName.set(name, fit);
    }
    return fit ?? undefined;
  }

  /** An execution of `fn` (its images) on a device, from the invocation's normal z; undefined when faas-sim has no fit. */
  execution(fn: string, images: readonly { name: string }[], device: string, z: number): number | undefined {
    const host = HOST_TYPE[device];
    if (!host || !images.length) return undefined;
    let t = 0;
    for (let i = 0; i < images.length; i++) {
      const fit = this.execFit(host, images[i].name);
      if (!fit) return undefined;
      const rng = this.execRng(fn);
      t += bounded(fit, i === 0 ? z : rng.normal(), rng);
    }
    return t;
  }

  /** A worker start of `fn` on a device; undefined when faas-sim has no fit. */
  startup(fn: string, images: readonly OracleImage[], device: string): number | undefined {
    const host = HOST_TYPE[device];
    if (!host || !images.length) return undefined;
    const rng = this.rng('startup', fn);
    let t = 0;
    for (const im of images) {
      const fit = STARTUP[`${host} ${imageKey(im.name)} ${!im.pulled}`];
      if (!fit) return undefined;
      let x = bounded(fit, rng.normal(), rng);
      if (im.pulled) x = Math.max(0, x - im.bytes / STARTUP_DOWNLOAD_BPS);
      t += x;
    }
    return t;
  }
}
