/** `edgeai artifacts list|show|lineage|gc|verify`: what a registry holds (the cluster's, or a project's own store: app/registry.ts). */
import { parseArtifactRef } from '../../spec/artifact';
import { parseDuration } from '../../spec/predicate';
import { describeTarget, openTarget, registryTarget } from '../../app/registry';
import { artifactDetails, artifactLine, humanBytes, lineageText } from '../../registry/describe';
import type { Registry } from '../../registry/registry';
import { parseCommandArgs, UserError, type CliIO, type Command } from '../command';
import { COMMANDS } from './meta';

const { usage } = COMMANDS.artifacts;

const help = `subcommands:
  list [--kind data|model] [--urn <pattern>] [--type <t>] [--tag <t>] [--latest]
                        every artifact, oldest first (urn globs such as 'mnist:*' work)
  show <urn[@version]>  one artifact's metadata (latest version when none is given)
  lineage <urn[@version]>
                        what it was made from and what was made from it
  gc [--grace 10m] [--dry-run]
                        remove blobs no artifact references and temp files older than --grace
  verify                re-hash every blob; exit 1 when one is missing or corrupt
options:
  --store cluster|project
                        the cluster's registry (what ran there: outputs, metrics, lineage), or the
                        project's own scratch store (<project>/.edgeai/registry); default: the
                        cluster's when it runs, else the project's
  --cluster <name>      the cluster (default: $EDGEAI_CLUSTER, else local); --home <dir> its home
  --project <dir>       the project folder (default: the current folder)
  --json                machine-readable output`;

const options = {
  project: { type: 'string' },
  store: { type: 'string' },
  cluster: { type: 'string' },
  home: { type: 'string' },
  json: { type: 'boolean' },
  kind: { type: 'string' },
  urn: { type: 'string' },
  type: { type: 'string' },
  tag: { type: 'string' },
  latest: { type: 'boolean' },
  grace: { type: 'string' },
  'dry-run': { type: 'boolean' },
} as const;

export const command: Command = {
  usage,
  summary: COMMANDS.artifacts.summary,
  help,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, options, usage);
    const [sub, ...rest] = positionals;
    const project = values.project ?? process.cwd();
    const json = values.json === true;
    const subs = ['list', 'show', 'lineage', 'gc', 'verify'];
    if (!sub || !subs.includes(sub)) throw new UserError(`${sub ? `unknown subcommand '${sub}'` : 'missing subcommand'}; use one of ${subs.join(', ')}\nusage: edgeai ${usage}`);
    const target = registryTarget(values, project, values.project !== undefined);
    if (!json) io.err(describeTarget(target));
    const reg = openTarget(target, sub === 'gc' ? 'write' : 'read');
    try {
      return run(sub, rest, values, reg, io, json);
    } finally {
      reg?.close();
    }
  },
};

type Values = { [K in keyof typeof options]?: (typeof options)[K]['type'] extends 'boolean' ? boolean : string };

function ref(rest: string[], sub: string): { urn: string; version?: number } {
  if (rest.length !== 1) throw new UserError(`artifacts ${sub} takes one artifact: <urn> or <urn@version>, e.g. mnist:data@1`);
  const r = parseArtifactRef(rest[0]);
  if ('error' in r) throw new UserError(r.error);
  return r;
}

function run(sub: string, rest: string[], values: Values, reg: Registry | undefined, io: CliIO, json: boolean): number {
  const none = (what: string) => {
    if (json) io.out(JSON.stringify(sub === 'list' ? [] : null));
    else io.out(`no artifacts yet: ${what}; import data with \`edgeai data add <project> <file> --urn …\` or \`edgeai data import <project>\``);
  };
  switch (sub) {
    case 'list': {
      if (rest.length) throw new UserError(`artifacts list takes no positional arguments; filter with --urn, --kind, --type, --tag`);
      if (values.kind !== undefined && values.kind !== 'data' && values.kind !== 'model') throw new UserError(`--kind must be data or model, got '${values.kind}'`);
      if (!reg) return none('this project has no registry'), 0;
      const list = reg.list({ kind: values.kind as 'data' | 'model' | undefined, urn: values.urn, type: values.type, tag: values.tag, latest: values.latest });
      if (json) io.out(JSON.stringify(list, null, 2));
      else if (!list.length) io.out('no artifacts match.');
      else for (const a of list) io.out(artifactLine(a));
      return 0;
    }
    case 'show': {
      const r = ref(rest, sub);
      if (!reg) throw new UserError(`no artifact '${rest[0]}': this project has no registry yet`);
      const a = reg.require(r.urn, r.version);
      if (json) io.out(JSON.stringify(a, null, 2));
      else for (const l of artifactDetails(a, reg.blobs.pathOf(a.sha256))) io.out(l);
      return 0;
    }
    case 'lineage': {
      const r = ref(rest, sub);
      if (!reg) throw new UserError(`no artifact '${rest[0]}': this project has no registry yet`);
      const report = reg.lineage(r.urn, r.version);
      if (json) io.out(JSON.stringify(report, null, 2));
      else for (const l of lineageText(report)) io.out(l);
      return 0;
    }
    case 'gc': {
      if (rest.length) throw new UserError('artifacts gc takes no positional arguments');
      let graceMs: number | undefined;
      if (values.grace !== undefined) {
        if (values.grace === '0') graceMs = 0;
        else {
          const d = parseDuration(values.grace);
          if (typeof d !== 'number') throw new UserError(`--grace: ${d.error}`);
          graceMs = d;
        }
      }
      const report = reg!.gc({ graceMs, dryRun: values['dry-run'] });
      if (json) io.out(JSON.stringify(report, null, 2));
      else {
        const verb = values['dry-run'] ? 'would remove' : 'removed';
        io.out(`${verb} ${report.removedBlobs.length} orphaned blob${report.removedBlobs.length === 1 ? '' : 's'} and ${report.removedTemps} temp file${report.removedTemps === 1 ? '' : 's'} (${humanBytes(report.freedBytes)})`);
        for (const m of report.missing) io.err(`warning: ${m.urn}@${m.version} has no blob; re-import or re-produce it`);
      }
      return 0;
    }
    case 'verify': {
      if (rest.length) throw new UserError('artifacts verify takes no positional arguments');
      if (!reg) return none('this project has no registry'), 0;
      const report = reg.verify({ hash: true });
      if (json) io.out(JSON.stringify(report, null, 2));
      else {
        io.out(`checked ${report.checked} artifact${report.checked === 1 ? '' : 's'}: ${report.missing.length} missing, ${report.corrupt.length} corrupt`);
        for (const m of report.missing) io.out(`  missing  ${m.urn}@${m.version}`);
        for (const c of report.corrupt) io.out(`  corrupt  ${c.message}`);
      }
      return report.missing.length || report.corrupt.length ? 1 : 0;
    }
  }
  return 2;
}
