/** `edgeai data add|import|show`: put data sets into a project's registry and look at them. */
import { readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArtifactRef } from '../../spec/artifact';
import { WorkflowSchema } from '../../spec/workflow';
import { openRegistryOfProject } from '../../registry/cli-support';
import { artifactLine } from '../../registry/describe';
import { RegistryError } from '../../registry/errors';
import { importDataSource, importFile } from '../../registry/import';
import { openData } from '../../registry/data';
import { formatZodIssues } from '../../registry/registry';
import { parseCommandArgs, UserError, type Command } from '../command';

const usage = 'data add <project> <file> --urn <urn> [--tags a,b] | data import <project> | data show <project> <urn[@version]>';

const help = `subcommands:
  add <project> <file> --urn <urn> [--tags a,b] [--type <t>] [--format csv|jsonl|json|npy|mnist] [--node <node>]
        import a file (format from its extension unless --format); importing the same bytes
        under the same urn again is a no-op
  import <project>
        import every data source of the project's workflow.json (files and loaders such as mnist)
  show <project> <urn[@version]> [--rows 5]
        columns, shapes and the first rows of a data set
options:
  --json  machine-readable output`;

const options = {
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
  summary: 'import data files and workflow.json data sources into the registry; preview data',
  help,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, options, usage);
    const [sub, project, ...rest] = positionals;
    const subs = ['add', 'import', 'show'];
    if (!sub || !subs.includes(sub)) throw new UserError(`${sub ? `unknown subcommand '${sub}'` : 'missing subcommand'}; use one of ${subs.join(', ')}\nusage: edgeai ${usage}`);
    if (!project) throw new UserError(`data ${sub}: name the project folder first, e.g. edgeai data ${sub} samples/mnist …`);
    try {
      switch (sub) {
        case 'add': {
          if (rest.length !== 1) throw new UserError(`data add takes one file after the project\nusage: edgeai data add <project> <file> --urn <urn> [--tags a,b]`);
          if (!values.urn) throw new UserError('data add needs --urn, e.g. --urn iris:data');
          const reg = openRegistryOfProject(project, 'write')!;
          try {
            const tags = (values.tags ?? '')
              .split(',')
              .map((t) => t.trim())
              .filter(Boolean);
            const r = importFile(reg, resolve(rest[0]), { urn: values.urn, tags, type: values.type, format: values.format, locations: values.node ? [{ node: values.node }] : [] });
            if (values.json) io.out(JSON.stringify(r, null, 2));
            else io.out(`${r.added ? 'added' : 'unchanged (same content already stored)'}  ${artifactLine(r.artifact)}`);
          } finally {
            reg.close();
          }
          return 0;
        }
        case 'import': {
          if (rest.length) throw new UserError('data import takes only the project folder');
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
          const reg = openRegistryOfProject(project, 'write')!;
          try {
            const results = wf.data.dataSources.map((ds) => importDataSource(reg, project, ds));
            if (values.json) io.out(JSON.stringify(results, null, 2));
            else if (!results.length) io.out(`${wfPath} declares no data sources`);
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
          const reg = openRegistryOfProject(project, 'read');
          if (!reg) throw new UserError(`no artifact '${rest[0]}': the project has no registry yet; import data first`);
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
    } catch (e) {
      if (e instanceof RegistryError) throw new UserError(e.message);
      throw e;
    }
  },
};

function truncate(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}
