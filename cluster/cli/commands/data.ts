/**
 * `edgeai data add|import|show`: put data sets into a registry and look at them. The registry is
 * the cluster's when it runs (app/registry.ts): `data add` then publishes into the registry the
 * controller reads, and the cluster's data triggers fire — by the running studio or `edgeai
 * gateway` when one fires the cluster's triggers, else by this command, which waits for the runs.
 */
import { readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArtifactRef } from '../../spec/artifact';
import { WorkflowSchema, type DataSource } from '../../spec/workflow';
import { describeTarget, openTarget, registryTarget, type RegistryTarget } from '../../app/registry';
import { artifactLine } from '../../registry/describe';
import { importBytes, importDataSource, readDataFile } from '../../registry/import';
import { openData } from '../../registry/data';
import { formatZodIssues } from '../../registry/registry';
import type { Controller } from '../../runtime/controller';
import { openCluster } from '../../app/cluster';
import { errorRecord } from '../../common/errors';
import { parseCommandArgs, UserError, type CliIO, type Command } from '../command';
import { COMMANDS } from './meta';

const { usage } = COMMANDS.data;

const help = `subcommands:
  add <project> <file> --urn <urn> [--tags a,b] [--type <t>] [--format csv|jsonl|json|npy|mnist] [--node <node>]
        import a file (format from its extension unless --format); importing the same bytes
        under the same urn again is a no-op. Into a running cluster it is published like a
        new camera frame: with --node the bytes go onto that node (the data lives there), and
        the cluster's data triggers fire
  import <project>
        import every data source of the project's workflow.json (files and loaders such as mnist)
  show <project> <urn[@version]> [--rows 5]
        columns, shapes and the first rows of a data set
options:
  --store cluster|project  the cluster's registry, or the project's own scratch store
                           (<project>/.edgeai/registry); default: the cluster's when it runs,
                           else the project's
  --cluster <name>         the cluster (default: $EDGEAI_CLUSTER, else local); --home <dir> its home
  --json                   machine-readable output`;

const options = {
  store: { type: 'string' },
  cluster: { type: 'string' },
  home: { type: 'string' },
  urn: { type: 'string' },
  tags: { type: 'string' },
  type: { type: 'string' },
  format: { type: 'string' },
  node: { type: 'string' },
  rows: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export const command: Command = {
  usage,
  summary: COMMANDS.data.summary,
  help,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, options, usage);
    const [sub, project, ...rest] = positionals;
    const subs = ['add', 'import', 'show'];
    if (!sub || !subs.includes(sub)) throw new UserError(`${sub ? `unknown subcommand '${sub}'` : 'missing subcommand'}; use one of ${subs.join(', ')}\nusage: edgeai ${usage}`);
    if (!project) throw new UserError(`data ${sub}: name the project folder first, e.g. edgeai data ${sub} samples/mnist …`);
    const target = registryTarget(values, project);
    if (!values.json) io.err(describeTarget(target));
    switch (sub) {
      case 'add': {
        if (rest.length !== 1) throw new UserError(`data add takes one file after the project\nusage: edgeai data add <project> <file> --urn <urn> [--tags a,b]`);
        if (!values.urn) throw new UserError('data add needs --urn, e.g. --urn iris:data');
        const tags = (values.tags ?? '')
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean);
        const data = readDataFile(resolve(rest[0]), { ...(values.format ? { format: values.format } : {}) });
        const meta = { urn: values.urn, tags, ...(values.type ? { type: values.type } : {}) };
        if (target.kind === 'cluster' && target.up) return addToCluster(target, data, meta, values.node, !!values.json, io);
        if (values.node) throw new UserError(`--node ${values.node}: data lives on a node only in a running cluster; start it (\`edgeai cluster up\`) or leave --node out`);
        const reg = openTarget(target, 'write')!;
        try {
          const r = importBytes(reg, data.bytes, { ...meta, format: data.format, source: data.source });
          if (values.json) io.out(JSON.stringify(r, null, 2));
          else io.out(`${r.added ? 'added' : 'unchanged (same content already stored)'}  ${artifactLine(r.artifact)}`);
        } finally {
          reg.close();
        }
        return 0;
      }
      case 'import': {
        if (rest.length) throw new UserError('data import takes only the project folder');
        const sources = dataSourcesOf(project);
        if (target.kind === 'cluster' && target.up) {
          const c = await openCluster({ cluster: target.cluster, ...(target.home ? { home: target.home } : {}), triggers: 'off' });
          try {
            const results = [];
            for (const ds of sources) results.push({ urn: ds.urn, artifact: await c.placeDataSource(project, ds) });
            if (values.json) io.out(JSON.stringify(results, null, 2));
            else for (const r of results) io.out(`placed     ${artifactLine(r.artifact)}`);
          } finally {
            c.close();
          }
          return 0;
        }
        const located = sources.filter((ds) => ds.node);
        if (located.length) throw new UserError(`data source ${located[0].urn} lives on node ${located[0].node}: it can be imported only into a running cluster (\`edgeai cluster up\`, or deploy the project)`);
        const reg = openTarget(target, 'write')!;
        try {
          const results = sources.map((ds) => importDataSource(reg, project, ds));
          if (values.json) io.out(JSON.stringify(results, null, 2));
          else if (!results.length) io.out(`${join(resolve(project), 'workflow.json')} declares no data sources`);
          else for (const r of results) io.out(`${r.added ? 'added    ' : 'unchanged'}  ${artifactLine(r.artifact)}`);
        } finally {
          reg.close();
        }
        return 0;
      }
      case 'show': {
        if (rest.length !== 1) throw new UserError('data show takes one artifact after the project: <urn> or <urn@version>');
        const ref = parseArtifactRef(rest[0]);
        if ('error' in ref) throw new UserError(ref.error);
        const n = values.rows === undefined ? 5 : Number(values.rows);
        if (!Number.isInteger(n) || n < 0) throw new UserError(`--rows must be a whole number, got '${values.rows}'`);
        const reg = openTarget(target, 'read');
        if (!reg) throw new UserError(`no artifact '${rest[0]}': the registry is empty; import data first`);
        try {
          const d = openData(reg, ref.urn, ref.version);
          const cols = d.columns.map((c) => {
            try {
              return { name: c, shape: d.column(c).shape.slice(1), dtype: d.column(c).dtype };
            } catch {
              return { name: c, shape: [], dtype: 'text' };
            }
          });
          const preview = d.slice(0, n).rows();
          if (values.json) io.out(JSON.stringify({ urn: d.urn, version: d.version, format: d.format, length: d.length, columns: cols, rows: preview }, null, 2));
          else {
            io.out(`${d.urn}@${d.version}  ${d.format}  ${d.length} rows`);
            for (const c of cols) io.out(`  ${c.name.padEnd(16)} ${c.dtype}${c.shape.length ? ` [${c.shape.join(', ')}]` : ''}`);
            for (const r of preview) io.out('  ' + truncate(JSON.stringify(r), 160));
          }
        } finally {
          reg.close();
        }
        return 0;
      }
    }
    return 2;
  },
};

function dataSourcesOf(project: string): DataSource[] {
  const wfPath = join(resolve(project), 'workflow.json');
  if (!existsSync(wfPath)) throw new UserError(`${wfPath} does not exist; is '${project}' a workflow project?`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(wfPath, 'utf8'));
  } catch (e) {
    throw new UserError(`${wfPath} is not valid JSON: ${(e as Error).message}`);
  }
  const wf = WorkflowSchema.safeParse(raw);
  if (!wf.success) throw new UserError(`${wfPath}: ${formatZodIssues(wf.error)}`);
  return wf.data.dataSources;
}

/** Publishes into a running cluster; its data triggers fire (here, when no running controller fires them). */
async function addToCluster(target: Extract<RegistryTarget, { kind: 'cluster' }>, data: Parameters<Controller['publishData']>[0], meta: Parameters<Controller['publishData']>[1], node: string | undefined, json: boolean, io: CliIO): Promise<number> {
  const c = await openCluster({ cluster: target.cluster, ...(target.home ? { home: target.home } : {}), triggers: 'off' });
  try {
    const r = await c.publishData(data, meta, node);
    const owner = c.triggerOwner();
    const fired = owner || !r.added ? [] : c.fireTriggers(true);
    const runs: Array<{ trigger: string; function: string; run?: string; status: string; error?: string }> = [];
    for (const f of fired) {
      const a = (await f.done) as { run?: string } | Error;
      runs.push({ trigger: f.trigger, function: `${f.workflow}/${f.function}`, ...(a instanceof Error ? { status: 'failed', error: errorRecord(a).message } : { run: a.run, status: 'ok' }) });
    }
    if (json) io.out(JSON.stringify({ ...r, triggered: runs, ...(owner ? { triggersBy: Number(owner) } : {}) }, null, 2));
    else {
      io.out(`${r.added ? 'published' : 'unchanged (same content already stored)'}  ${artifactLine(r.artifact)}`);
      if (owner && r.added) io.out(`  the running controller (pid ${owner}: the studio or \`edgeai gateway\`) fires the cluster's data triggers`);
      for (const x of runs) io.out(`  trigger ${x.trigger} started ${x.function}: ${x.status}${x.run ? ` (run ${x.run.slice(0, 8)})` : ''}${x.error ? `: ${x.error}` : ''}`);
      if (r.added && !owner && !runs.length) io.out('  no data trigger of a deployed workflow waits for it');
    }
    return runs.some((x) => x.status !== 'ok') ? 1 : 0;
  } finally {
    c.close();
  }
}

function truncate(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}
