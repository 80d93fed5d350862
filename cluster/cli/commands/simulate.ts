/**
 * `edgeai simulate <project> --topology <name|file> [--profile p[,p2…]] [--seed N] [--duration 1h]
 *  [--rate fn=per_s]… [--workload faas-sim] [--preset faas-sim] [--workers N] [--json]`
 *
 * Runs the discrete-event simulator (cluster/simulator) on the project and a topology with the
 * real scheduler, and prints latency per function, deadline misses, cold starts, bytes per link,
 * node utilisation and cloud cost; with several profiles, a side-by-side comparison on the same
 * seed.
 */
import { loadProject, type Project } from '../../project/index';
import { chooseTopology } from '../../app/topology';
import { simulationRequest } from '../../app/simulation';
import { compareSchedulers, comparisonText, reportText } from '../../simulator/index';
import { parseCommandArgs, UserError, type Command } from '../command';
import { execItems } from './schedule';
import { COMMANDS } from './meta';

const { usage } = COMMANDS.simulate;

function parseRates(list: string[] | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of list ?? []) {
    const m = /^([A-Za-z_$][\w$.-]*)=(\d+(?:\.\d+)?)$/.exec(item.trim());
    if (!m) throw new UserError(`--rate ${item}: write function=requests_per_second, e.g. --rate inference=5`);
    out[m[1]] = Number(m[2]);
  }
  return out;
}

function wholeNumber(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim())) throw new UserError(`${flag} ${text}: give a whole number`);
  return Number(text);
}

export const command: Command = {
  usage,
  summary: COMMANDS.simulate.summary,
  help: [
    'options:',
    '  --topology <t>    a topology.json file or a scenario: local, skippy-testbed, urban-sensing[:cells=N],',
    '                    industrial-iot[:sites=N], cloud-regions[:regions=N,vms=N]',
    "                    (default: the project's topology.json, else workflow.json target.topology, else local)",
    '  --profile <p,…>   scheduler profile(s): edge-ai (default), skippy, skippy:<scenario>, kube-default[:<percent>];',
    '                    several (comma-separated) are compared on the same seed and arrivals',
    '  --seed <N>        random seed (default 1); the same seed gives the same report',
    '  --duration <d>    simulated time with arrivals, e.g. 600s, 30m, 1h (default 1h); work in flight is drained',
    '  --rate fn=per_s   Poisson rate of a function\'s http trigger (1/s when not given), or of a function without a',
    '                    trigger (no arrivals when not given); repeatable',
    '  --exec fn=w       execution-time profile of a function (docs/reference.md §4), e.g. inference=mobilenet-inference-tflite;',
    '                    otherwise a small function (50 ms on a xeon VM, scaled per device)',
    '  --workers <N>     N workers per replica, execution × max(1, active/N) (default: 1 per replica)',
    '  --service <s>     execution-time distribution around each device\'s mean: lognormal (default, σ 0.2),',
    '                    lognormal:<σ>, exponential, deterministic',
    '  --replicas <n>    a fixed number of replicas per function (same as --min-replicas n --max-replicas n)',
    '  --min-replicas <n>, --max-replicas <n>  keep at least n (0: scale to zero, the default) / at most n (default 20)',
    '  --cold-starts off no cold starts: a replica is ready the moment it is placed (no image pull, no startup)',
    '  --start fn=<d>    the function\'s arrivals begin at d (e.g. 5m) instead of at 0 (repeatable)',
    '  --workload faas-sim  ignore the project: the faas-sim ML chain of docs/reference.md §3',
    '  --preset faas-sim    behave as faas-sim@9c6e1b3 on its urban-sensing scenario: registry on the internet, one',
    '                    replica per function (preprocess and train scale to zero), workers started at once, models',
    '                    fetched once per replica, outputs to their bucket; with --workload faas-sim, 10 deployments',
    '                    per cell added every 255 s (cluster/simulator/preset.ts)',
    '  --json            the full report(s) as JSON',
    'Schedule triggers fire every period (first after one period); data and model triggers fire when a function',
    'produces a matching artifact (a run a bias gate blocks publishes nothing); gate triggers fire when a gate fails',
    '(drift on a modelled metric, bias at a configured pass rate: options of the simulation, cluster/simulator/gates.ts).',
  ].join('\n'),
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        topology: { type: 'string' },
        profile: { type: 'string' },
        seed: { type: 'string' },
        duration: { type: 'string' },
        rate: { type: 'string', multiple: true },
        exec: { type: 'string', multiple: true },
        workers: { type: 'string' },
        service: { type: 'string' },
        replicas: { type: 'string' },
        'min-replicas': { type: 'string' },
        'max-replicas': { type: 'string' },
        'cold-starts': { type: 'string' },
        start: { type: 'string', multiple: true },
        workload: { type: 'string' },
        preset: { type: 'string' },
        json: { type: 'boolean' },
      },
      usage,
    );
    const faasSim = values.workload === 'faas-sim';
    if (values.workload !== undefined && !faasSim) throw new UserError(`--workload ${values.workload}: the only built-in workload is faas-sim`);
    if (values.preset !== undefined && values.preset !== 'faas-sim') throw new UserError(`--preset ${values.preset}: the only preset is faas-sim`);
    if (positionals.length !== 1 && !(faasSim && positionals.length === 0)) throw new UserError(`expected one project folder\nusage: edgeai ${usage}`);
    const project: Project | undefined = positionals.length ? loadProject(positionals[0]) : undefined;
    const { topology } = await chooseTopology(faasSim ? undefined : project, values.topology);
    const profiles = (values.profile ?? project?.workflow.target?.profile ?? 'edge-ai').split(',').map((p) => p.trim()).filter(Boolean);
    const workers = wholeNumber('--workers', values.workers);
    if (values['cold-starts'] !== undefined && !['on', 'off'].includes(values['cold-starts'])) throw new UserError(`--cold-starts ${values['cold-starts']}: give on or off`);
    const fixed = wholeNumber('--replicas', values.replicas);
    if (fixed !== undefined && (values['min-replicas'] !== undefined || values['max-replicas'] !== undefined)) throw new UserError('--replicas sets both bounds: give it, or --min-replicas / --max-replicas, not both');
    const minReplicas = fixed ?? wholeNumber('--min-replicas', values['min-replicas']);
    const maxReplicas = fixed ?? wholeNumber('--max-replicas', values['max-replicas']);
    const starts: Record<string, string> = {};
    for (const item of values.start ?? []) {
      const eq = item.indexOf('=');
      if (eq <= 0) throw new UserError(`--start ${item}: write fn=<duration>, e.g. inference=5m`);
      starts[item.slice(0, eq)] = item.slice(eq + 1);
    }
    const request = simulationRequest({
      ...(faasSim ? { workload: 'faas-sim' as const } : { project }),
      topology,
      profiles,
      seed: wholeNumber('--seed', values.seed) ?? 1,
      duration: values.duration ?? '1h',
      rates: parseRates(values.rate),
      workloads: Object.fromEntries(execItems(values.exec)),
      ...(workers !== undefined ? { workers } : {}),
      ...(values.service !== undefined ? { service: values.service } : {}),
      ...(values['cold-starts'] === 'off' ? { coldStarts: false } : {}),
      ...(Object.keys(starts).length ? { starts } : {}),
      ...(minReplicas !== undefined || maxReplicas !== undefined ? { replicas: { ...(minReplicas !== undefined ? { min: minReplicas } : {}), ...(maxReplicas !== undefined ? { max: maxReplicas } : {}) } } : {}),
    });
    const options = values.preset === 'faas-sim' ? { ...request.options, preset: 'faas-sim' as const } : request.options;
    const reports = compareSchedulers(options, request.profiles);
    if (values.json) io.out(JSON.stringify(reports.length === 1 ? reports[0] : { comparison: reports }, null, 2));
    else {
      reports.forEach((r, i) => {
        if (i) io.out('');
        for (const l of reportText(r, topology)) io.out(l);
      });
      if (reports.length > 1) {
        io.out('');
        for (const l of comparisonText(reports, topology)) io.out(l);
      }
    }
    const errors = project?.diagnostics.filter((d) => d.severity === 'error') ?? [];
    if (errors.length) io.err(`${errors.length} error(s) in the project (functions with errors were left out); run edgeai inspect ${positionals[0]}`);
    return errors.length ? 1 : 0;
  },
};
