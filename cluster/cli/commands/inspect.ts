import { loadProject } from '../../project/project';
import { deriveGraph, type GraphNode } from '../../project/graph';
import { formatDiagnostic, hasErrors } from '../../preprocessor/diagnostic';
import type { FunctionSpec } from '../../spec/function';
import { parseCommandArgs, UserError, type Command } from '../command';
import { COMMANDS } from './meta';
import { placementProblems } from '../../app/preflight';

const { usage } = COMMANDS.inspect;

function selectorText(sel: Record<string, unknown>): string {
  return Object.entries(sel)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? `[${v.join(',')}]` : String(v)}`)
    .join(' ');
}

function describeFunction(f: FunctionSpec): string[] {
  const lines = [`λ ${f.id}  (${f.file}:${f.line}:${f.column}, ${f.className}.${f.method})`];
  for (const c of f.consumes) {
    const extra = c.kind === 'data' ? `${c.holdout !== undefined ? ` holdout=${c.holdout}` : ''}${c.batch !== undefined ? ` batch=${c.batch}` : ''}` : c.best ? ` best=${c.best}` : '';
    lines.push(`    consumes ${c.kind.padEnd(5)} ${selectorText(c.selector)}${extra}`);
  }
  for (const p of f.produces) lines.push(`    produces ${p.kind.padEnd(5)} ${p.urn}${p.type ? ` (${p.type})` : ''}${p.tags?.length ? ` tags=[${p.tags.join(',')}]` : ''}`);
  const pol = f.policies;
  if (pol.deadline) lines.push(`    policy   deadline ${pol.deadline.text}`);
  if (pol.fn) lines.push(`    policy   fn ${pol.fn.node ? `node=${pol.fn.node.join('|')}` : ''}${pol.fn.capability ? ` capability=${pol.fn.capability.join('+')}` : ''}`.trimEnd());
  if (pol.data) lines.push(`    policy   data network=${pol.data.network.join('|')}${pol.data.strict ? ' strict' : ''}`);
  for (const g of f.gates) lines.push(`    gate     ${g.kind} ${g.kind === 'bias' ? `${g.metric}(${g.attribute})` : g.metric} ${g.predicate}${g.kind === 'drift' && g.window ? ` window=${g.window}` : ''}`);
  return lines;
}

function nodeLabel(n: GraphNode | undefined, id: string): string {
  if (!n) return id;
  switch (n.kind) {
    case 'function':
      return `λ ${n.label}`;
    case 'data-source':
      return `[data] ${n.label}`;
    case 'model':
      return `[model] ${n.label}`;
    case 'data':
      return `[data] ${n.label}`;
    case 'trigger':
      return `⚡ ${n.label}`;
    case 'gate':
      return `⛨ ${n.label}`;
  }
}

export const command: Command = {
  usage,
  summary: COMMANDS.inspect.summary,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { json: { type: 'boolean' } }, usage);
    if (positionals.length !== 1) throw new UserError(`expected one project folder\nusage: edgeai ${usage}`);
    const project = loadProject(positionals[0]);
    const graph = deriveGraph(project);
    // the same list a deploy checks (app/preflight.ts), placements on the project's topology included
    const diagnostics = [...project.diagnostics, ...graph.warnings, ...placementProblems(project)];
    const failed = hasErrors(diagnostics);
    if (values.json) {
      io.out(
        JSON.stringify(
          {
            workflow: project.workflow.name,
            functions: project.functions.map((f) => ({ id: f.id, file: f.file, line: f.line, column: f.column, className: f.className, method: f.method, consumes: f.consumes, produces: f.produces, policies: f.policies, gates: f.gates, params: f.params })),
            graph: { nodes: graph.nodes, edges: graph.edges },
            diagnostics,
          },
          null,
          2,
        ),
      );
      return failed ? 1 : 0;
    }
    const w = project.workflow;
    io.out(`workflow ${w.name}: ${project.functions.length} function${project.functions.length === 1 ? '' : 's'}, ${w.dataSources.length} data source${w.dataSources.length === 1 ? '' : 's'}, ${w.triggers.length} trigger${w.triggers.length === 1 ? '' : 's'}`);
    io.out('');
    io.out('functions');
    for (const f of project.functions) for (const l of describeFunction(f)) io.out('  ' + l);
    io.out('');
    io.out('graph');
    const byId = new Map(graph.nodes.map((n) => [n.id, n]));
    const order: Record<string, number> = { triggers: 0, consumes: 1, produces: 2, guards: 3, fires: 4 };
    const edges = [...graph.edges].sort((a, b) => order[a.kind] - order[b.kind]);
    for (const e of edges) io.out(`  ${nodeLabel(byId.get(e.source), e.source)} —${e.kind}→ ${nodeLabel(byId.get(e.target), e.target)}`);
    io.out('');
    if (!diagnostics.length) io.out('diagnostics: none');
    else {
      const errors = diagnostics.filter((d) => d.severity === 'error').length;
      io.out(`diagnostics: ${errors} error${errors === 1 ? '' : 's'}, ${diagnostics.length - errors} warning${diagnostics.length - errors === 1 ? '' : 's'}`);
      for (const d of diagnostics) io.out('  ' + formatDiagnostic(d).replace(/\n/g, '\n  '));
    }
    return failed ? 1 : 0;
  },
};
