/**
 * `edgeai schedule <project> [--topology <file|scenario>] [--profile …] [--explain] [--json]`
 *
 * Places every function of a project on a topology with a scheduler profile and prints where
 * each goes and why. Functions are placed producers first; an artifact a function produces is
 * located on the node it was placed on, so its consumers see it (data locality, strict data
 * networks). Data sources live on their `node`, or else on the topology's registry node (the
 * studio's store; in the `local` topology, the laptop).
 */
import { loadProject, type Project } from '../../project/index';
import { chooseTopology } from '../../app/topology';
import { planProject } from '../../app/plan';
import type { Topology } from '../../topology/index';
import type { Explanation } from '../../scheduler/index';
import { parseWorkloads } from '../../planning/exec-model';
import type { Plan } from '../../planning/plan';
import { parseCommandArgs, UserError, type Command } from '../command';
import { COMMANDS } from './meta';

const { usage } = COMMANDS.schedule;

/** `edgeai schedule --json`: the plan, as scripts read it. */
export interface ScheduleReport {
  project: string;
  topology: string;
  profile: string;
  placements: Array<{ function: string; node: string | null; score: number | null }>;
  explanations: Record<string, Explanation>;
  infeasible: Record<string, string>;
  warnings: string[];
}

export function scheduleReport(project: Project, plan: Plan): ScheduleReport {
  return {
    project: project.workflow.name,
    topology: plan.topology,
    profile: plan.profile,
    placements: plan.placements.map((p) => ({ function: p.function, node: p.node, score: p.score })),
    explanations: plan.explanations,
    infeasible: Object.fromEntries(Object.entries(plan.infeasible).map(([f, i]) => [f, i.message])),
    warnings: plan.warnings,
  };
}

/** The plan of a project as `edgeai schedule` makes it (tests call this). */
export function scheduleProject(project: Project, topology: Topology, profileName: string, explain: boolean): ScheduleReport {
  return scheduleReport(project, planProject(project, topology, profileName, { explain }));
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(2);
}

function explanationText(e: Explanation): string[] {
  const lines: string[] = [];
  for (const n of e.nodes) {
    if (n.status === 'filtered') lines.push(`      ✗ ${n.node.padEnd(22)} ${n.filter}: ${n.reason}`);
    else if (n.status === 'not-examined') lines.push(`      · ${n.node.padEnd(22)} ${n.reason}`);
    else {
      const parts = (n.scores ?? []).map((s) => `${s.plugin} ${fmt(s.raw)}→${fmt(s.normalised)}×${fmt(s.weight)}`);
      lines.push(`      ${n.status === 'chosen' ? '★' : '✓'} ${n.node.padEnd(22)} total ${fmt(n.total ?? 0).padStart(6)}  ${parts.join('  ')}`);
    }
  }
  return lines;
}

export const command: Command = {
  usage,
  summary: COMMANDS.schedule.summary,
  help: [
    'options:',
    '  --topology <t>  a topology.json file or a scenario: local, skippy-testbed, urban-sensing[:cells=N],',
    '                  industrial-iot[:sites=N], cloud-regions[:regions=N,vms=N]',
    "                  (default: the project's topology.json, else workflow.json target.topology, else local)",
    "  --profile <p>   edge-ai (default), skippy, skippy:<scenario> (tuned weights), kube-default[:<percent>]",
    '  --exec fn=w     execution-time profile of a function for the deadline estimate (docs/reference.md §4), as',
    '                  `edgeai simulate --exec`; otherwise a small function (50 ms on a Xeon VM, scaled per device)',
    '  --explain       per node: the filter that removed it, or each plugin\'s raw, normalised and weighted score',
    '  --json          {placements:[{function,node,score}], explanations:{…}, infeasible:{…}}',
    'exit code: 0 when every function has a node, 1 when one cannot be placed, 2 on a usage error.',
  ].join('\n'),
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      { topology: { type: 'string' }, profile: { type: 'string' }, exec: { type: 'string', multiple: true }, explain: { type: 'boolean' }, json: { type: 'boolean' } },
      usage,
    );
    if (positionals.length !== 1) throw new UserError(`expected one project folder\nusage: edgeai ${usage}`);
    const project = loadProject(positionals[0]);
    const { topology } = await chooseTopology(project, values.topology);
    const profileName = values.profile ?? project.workflow.target?.profile ?? 'edge-ai';
    const exec = { workloads: parseWorkloads(execItems(values.exec), new Set(project.functions.map((f) => f.id))) };
    const plan = planProject(project, topology, profileName, { explain: values.explain === true || values.json === true, exec });
    const report = scheduleReport(project, plan);
    const errors = project.diagnostics.filter((d) => d.severity === 'error');
    if (values.json) {
      io.out(JSON.stringify(report, null, 2));
    } else {
      io.out(`${report.project} on ${report.topology} (${topology.nodes.length} nodes), profile ${report.profile}`);
      for (const p of report.placements) {
        if (p.node) io.out(`  λ ${p.function.padEnd(20)} → ${p.node} (score ${fmt(p.score ?? 0)})`);
        else io.out(`  λ ${p.function.padEnd(20)} ✗ ${report.infeasible[p.function]}`);
        if (values.explain && report.explanations[p.function]) for (const l of explanationText(report.explanations[p.function])) io.out(l);
      }
      for (const w of report.warnings) io.out(`  warning: ${w}`);
    }
    if (errors.length) io.err(`${errors.length} error(s) in the project (functions with errors were left out); run edgeai inspect ${positionals[0]}`);
    return Object.keys(report.infeasible).length || errors.length ? 1 : 0;
  },
};

/** `--exec fn=workload` items (repeatable), as `edgeai simulate` takes them. */
export function execItems(list: string[] | undefined): Array<[string, string]> {
  return (list ?? []).map((item) => {
    const i = item.indexOf('=');
    if (i <= 0) throw new UserError(`--exec ${item}: write function=workload, e.g. --exec inference=mobilenet-inference-tflite`);
    return [item.slice(0, i), item.slice(i + 1)];
  });
}
