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
import { readFileSync } from 'node:fs';
import { clusterRuns, optionsFromRuns, runsComparison, simulationRequest, type ClusterRuns, type ComparisonRow, type LoadRecord, type RecordedRun } from '../../app/simulation';
import type { SimulationReport } from '../../simulator/types';
import { CLUSTER_OPTIONS, openController } from '../runtime-support';
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
    '  --preset faas-sim    behave as faas-sim@9c6e1b3 on its urban-sensing scenario: its network as its model sees it',
    '                    (registry on the internet, no latency, its link speeds), its shuffled node order, its fitted',
    '                    execution and startup times, its per-function idler (preprocess and train scale to zero',
    '                    300 s after their last completed run), one replica per function, workers started at once,',
    '                    models fetched once per replica, outputs to a bucket drawn per deployment, image tags drawn',
    '                    as its Pareto sampler; with --workload faas-sim, 10 deployments per cell added every 255 s',
    '                    (docs/reference.md §3, cluster/simulator/preset.ts)',
    '  --exec-from-runs  take execution times (per function and node: execution + the platform\'s overhead), cold-start',
    '                    times and arrival times from the recorded runs of the workflow deployed on the cluster (each',
    '                    replayed arrival runs for its own run\'s time)',
    '                    (--cluster c); its topology, one replica per function with up to 4 workers each started on',
    '                    demand (the node agent\'s); with --compare-runs, only the runs of that load',
    '  --compare-runs <record>  print the simulation beside the real runs of an `edgeai load --record <record>`:',
    '                    p50 and p95 latency and cold starts per function, bytes per link',
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
        'exec-from-runs': { type: 'boolean' },
        'compare-runs': { type: 'string' },
        ...CLUSTER_OPTIONS,
        json: { type: 'boolean' },
      },
      usage,
    );
    const faasSim = values.workload === 'faas-sim';
    if (values.workload !== undefined && !faasSim) throw new UserError(`--workload ${values.workload}: the only built-in workload is faas-sim`);
    if (values.preset !== undefined && values.preset !== 'faas-sim') throw new UserError(`--preset ${values.preset}: the only preset is faas-sim`);
    if (positionals.length !== 1 && !(faasSim && positionals.length === 0)) throw new UserError(`expected one project folder\nusage: edgeai ${usage}`);
    const project: Project | undefined = positionals.length ? loadProject(positionals[0]) : undefined;
    const record = values['compare-runs'] !== undefined ? readLoadRecord(values['compare-runs']) : undefined;
    if (record && !values['exec-from-runs']) throw new UserError('--compare-runs compares with the runs the profiles come from: give --exec-from-runs too');
    const fromRuns = values['exec-from-runs'] ? await recordedRuns(values, io, project, record) : undefined;
    const { topology } = fromRuns && values.topology === undefined ? { topology: fromRuns.topology } : await chooseTopology(faasSim ? undefined : project, values.topology);
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
      duration: values.duration ?? (fromRuns ? `${fromRuns.durationS}s` : '1h'),
      rates: parseRates(values.rate),
      workloads: Object.fromEntries(execItems(values.exec)),
      ...(workers !== undefined ? { workers } : {}),
      ...(values.service !== undefined ? { service: values.service } : {}),
      ...(values['cold-starts'] === 'off' ? { coldStarts: false } : {}),
      ...(Object.keys(starts).length ? { starts } : {}),
      ...(minReplicas !== undefined || maxReplicas !== undefined ? { replicas: { ...(minReplicas !== undefined ? { min: minReplicas } : {}), ...(maxReplicas !== undefined ? { max: maxReplicas } : {}) } } : {}),
    });
    let options = values.preset === 'faas-sim' ? { ...request.options, preset: 'faas-sim' as const } : request.options;
    if (fromRuns) options = optionsFromRuns(options, request.profiles[0], fromRuns);
    const reports = compareSchedulers(options, request.profiles);
    if (record && fromRuns) {
      const text = comparisonWithRuns(fromRuns.runs, reports[0], record);
      if (values.json) io.out(JSON.stringify({ report: reports[0], comparison: text.rows, links: text.links }, null, 2));
      else for (const l of text.lines) io.out(l);
      return 0;
    }
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

function readLoadRecord(file: string): LoadRecord {
  let r: LoadRecord;
  try {
    r = JSON.parse(readFileSync(file, 'utf8')) as LoadRecord;
  } catch (e) {
    throw new UserError(`--compare-runs ${file}: not a load record (${(e as Error).message})`, 'write one with edgeai load <workflow>/<function> --rate R --duration D --record <file>');
  }
  if (typeof r.startedAt !== 'string' || typeof r.durationS !== 'number' || typeof r.links !== 'object') throw new UserError(`--compare-runs ${file}: not a load record (no startedAt, durationS or links)`, 'write one with edgeai load … --record <file>');
  return r;
}

/** The runs of the project's workflow on the running cluster (those of the load, with a record), and the cluster's topology. */
async function recordedRuns(values: { cluster?: string; home?: string }, io: Parameters<Command['run']>[1], project: Project | undefined, record: LoadRecord | undefined): Promise<ClusterRuns> {
  if (!project) throw new UserError('--exec-from-runs needs the project whose deployed runs it reads');
  const c = await openController(values, io, true);
  try {
    return clusterRuns(c, project.workflow.name, record, '--exec-from-runs');
  } finally {
    c.close();
  }
}

/** The table of `simulate --compare-runs`: per function real vs simulated p50, p95 and cold starts, then bytes per link. */
export function comparisonWithRuns(runs: RecordedRun[], report: SimulationReport, record: LoadRecord): { lines: string[]; rows: ComparisonRow[]; links: Array<{ link: string; real: number; sim: number }> } {
  const { rows, links } = runsComparison(runs, report, record.links);
  const ms = (s: number) => (Number.isFinite(s) ? `${(s * 1000).toFixed(1)} ms` : '–');
  const pct = (sim: number, real: number) => (real > 0 && Number.isFinite(sim) ? `${sim >= real ? '+' : ''}${(((sim - real) / real) * 100).toFixed(1)}%` : '–');
  const lines = [`${report.workflow}/${record.function}: the simulation (${report.profile}, measured profiles, the runs' arrival times) beside the real runs of the load from ${record.startedAt} (${record.sent} requests at ${record.rate}/s over ${record.durationS} s)`];
  const table: string[][] = [['function', 'figure', 'real', 'simulated', 'difference']];
  for (const r of rows) {
    table.push([r.function, 'runs', String(r.real.runs), String(r.sim.runs), '']);
    table.push(['', 'p50 latency', ms(r.real.p50), ms(r.sim.p50), pct(r.sim.p50, r.real.p50)]);
    table.push(['', 'p95 latency', ms(r.real.p95), ms(r.sim.p95), pct(r.sim.p95, r.real.p95)]);
    table.push(['', 'cold starts', String(r.real.coldStarts), String(r.sim.coldStarts), r.real.coldStarts === r.sim.coldStarts ? 'equal' : 'differ']);
  }
  for (const l of links) table.push(['bytes', l.link, String(l.real), String(l.sim), l.real === l.sim ? 'equal' : 'differ']);
  const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
  for (const row of table) lines.push('  ' + row.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd());
  return { lines, rows, links };
}
