/**
 * `edgeai schedule <project> [--topology <file|scenario>] [--profile …] [--explain] [--json]`
 *
 * Places every function of a project on a topology with a scheduler profile and prints where
 * each goes and why. Functions are placed producers first; an artifact a function produces is
 * located on the node it was placed on, so its consumers see it (data locality, strict data
 * networks). Data sources live on their `node`, or else on the topology's registry node (the
 * studio's store; in the `local` topology, the laptop).
 */
import { resolve } from 'node:path';
import { loadProject, type Project } from '../../project/index';
import { StudioError } from '../../spec/errors';
import { projectTopology } from '../../api/project-topology';
import { resolveTopologyArg, ScenarioError, TopologyError, type Topology } from '../../topology/index';
import {
  buildSnapshot,
  profileByName,
  ProfileError,
  requirementsFromSpec,
  schedule,
  type DataItem,
  type Explanation,
  type ScheduleResult,
} from '../../scheduler/index';
import { parseCommandArgs, UserError, type Command } from '../command';
import { consumesArtifact, dataSourceBytes, placementOrder, registryNode, type SimArtifact } from '../../simulator/workflow';

const usage = 'schedule <project> [--topology <file|scenario>] [--profile edge-ai|skippy|kube-default] [--explain] [--json]';

export interface ScheduleReport {
  project: string;
  topology: string;
  profile: string;
  placements: Array<{ function: string; node: string | null; score: number | null }>;
  explanations: Record<string, Explanation>;
  infeasible: Record<string, string>;
  warnings: string[];
}

/** what scheduling needs of an artifact: the simulator's artifact without its write target */
type Artifact = Pick<SimArtifact, 'urn' | 'kind' | 'type' | 'tags' | 'size' | 'locations'>;

export function scheduleProject(project: Project, topology: Topology, profileName: string, explain: boolean): ScheduleReport {
  const profile = profileByName(profileName);
  const snap = buildSnapshot(topology);
  const registry = registryNode(topology);
  const artifacts: Artifact[] = project.workflow.dataSources.map((ds) => ({
    urn: ds.urn,
    kind: 'data',
    ...(ds.type ? { type: ds.type } : {}),
    tags: ds.tags,
    size: dataSourceBytes(project.dir, ds),
    locations: ds.node ? [ds.node] : registry ? [registry] : [],
  }));
  const report: ScheduleReport = { project: project.workflow.name, topology: topology.name, profile: profile.name, placements: [], explanations: {}, infeasible: {}, warnings: [] };
  for (const f of placementOrder(project.functions)) {
    const inputs: DataItem[] = artifacts.filter((a) => consumesArtifact(f, a)).map((a) => ({ urn: a.urn, size: a.size, locations: a.locations }));
    const req = requirementsFromSpec(f, { inputs, bundlePrefix: project.workflow.name });
    const r: ScheduleResult = schedule(snap, profile, req, { explain });
    report.placements.push({ function: f.id, node: r.node, score: r.score });
    if (r.explanation) report.explanations[f.id] = r.explanation;
    if (r.infeasible) report.infeasible[f.id] = r.infeasible.message;
    report.warnings.push(...r.warnings.map((w) => `${f.id}: ${w}`));
    for (const p of f.produces) artifacts.push({ urn: p.urn, kind: p.kind, ...(p.type ? { type: p.type } : {}), ...(p.tags ? { tags: p.tags } : {}), size: 0, locations: r.node ? [r.node] : [] });
  }
  return report;
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
  summary: 'place every function of a project on a topology and say why',
  help: [
    'options:',
    '  --topology <t>  a topology.json file or a scenario: local, skippy-testbed, urban-sensing[:cells=N],',
    '                  industrial-iot[:sites=N], cloud-regions[:regions=N,vms=N]',
    "                  (default: the project's topology.json, else workflow.json target.topology, else local)",
    "  --profile <p>   edge-ai (default), skippy, skippy:<scenario> (tuned weights), kube-default[:<percent>]",
    '  --explain       per node: the filter that removed it, or each plugin\'s raw, normalised and weighted score',
    '  --json          {placements:[{function,node,score}], explanations:{…}, infeasible:{…}}',
    'exit code: 0 when every function has a node, 1 when one cannot be placed, 2 on a usage error.',
  ].join('\n'),
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      { topology: { type: 'string' }, profile: { type: 'string' }, explain: { type: 'boolean' }, json: { type: 'boolean' } },
      usage,
    );
    if (positionals.length !== 1) throw new UserError(`expected one project folder\nusage: edgeai ${usage}`);
    let project: Project;
    try {
      project = await loadProject(positionals[0]);
    } catch (e) {
      if (e instanceof StudioError) throw new UserError(e.message);
      throw e;
    }
    let topology: Topology;
    try {
      if (values.topology) topology = await resolveTopologyArg(values.topology.endsWith('.json') ? resolve(values.topology) : values.topology);
      else topology = (await projectTopology(project)).topology;
    } catch (e) {
      if (e instanceof TopologyError || e instanceof ScenarioError) throw new UserError(e.message);
      throw e;
    }
    const profileName = values.profile ?? project.workflow.target?.profile ?? 'edge-ai';
    let report: ScheduleReport;
    try {
      report = scheduleProject(project, topology, profileName, values.explain === true || values.json === true);
    } catch (e) {
      if (e instanceof ProfileError) throw new UserError(e.message);
      throw e;
    }
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
      for (const w of report.warnings) io.err(`warning: ${w}`);
    }
    if (errors.length) io.err(`${errors.length} error(s) in the project (functions with errors were left out); run edgeai inspect ${positionals[0]}`);
    return Object.keys(report.infeasible).length || errors.length ? 1 : 0;
  },
};
