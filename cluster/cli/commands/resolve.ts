/** `edgeai resolve '<selector json>'`: which artifacts a selector picks, and why each other one fails. */
import { describeTarget, openTarget, registryTarget } from '../../app/registry';
import { resolveText } from '../../registry/describe';
import { RegistryError } from '../../registry/errors';
import { ArtifactIndex } from '../../registry/resolve';
import type { Selector } from '../../spec/selector';
import { parseCommandArgs, UserError, type Command } from '../command';
import { COMMANDS } from './meta';

const { usage } = COMMANDS.resolve;

const help = `examples:
  edgeai resolve '{"urn":"mnist:data"}'
  edgeai resolve '{"type":"classifier","data_tags":["mnist"],"accuracy":">=0.88"}' --best accuracy
  edgeai resolve '{"urn":"model:user:{usr}"}' --param usr=alice
options:
  --param k=v        fills {k} in a URN template (repeatable)
  --best <metric>    rank by this metric, highest first (--order asc: lowest first)
  --all              explain every artifact, not only those sharing the selector's most selective clause
  --store cluster|project
                     the cluster's registry, or the project's own store (default: the cluster's
                     when it runs, else the project's); --cluster <name>, --home <dir> name the cluster
  --project <dir>    the project folder (default: the current folder)
  --json             machine-readable output
exit code: 0 when something matches, 1 when nothing does, 2 on a bad selector`;

export const command: Command = {
  usage,
  summary: COMMANDS.resolve.summary,
  help,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      { project: { type: 'string' }, store: { type: 'string' }, cluster: { type: 'string' }, home: { type: 'string' }, json: { type: 'boolean' }, param: { type: 'string', multiple: true }, best: { type: 'string' }, order: { type: 'string' }, all: { type: 'boolean' } },
      usage,
    );
    if (positionals.length !== 1) throw new UserError(`expected one selector as JSON, e.g. '{"urn":"mnist:data"}'\nusage: edgeai ${usage}`);
    let selector: unknown;
    try {
      selector = JSON.parse(positionals[0]);
    } catch (e) {
      throw new UserError(`the selector is not valid JSON (${(e as Error).message}); quote it for the shell, e.g. '{"urn":"mnist:data"}'`);
    }
    const params: Record<string, string> = {};
    for (const p of values.param ?? []) {
      const eq = p.indexOf('=');
      if (eq <= 0) throw new UserError(`--param '${p}' is not k=v, e.g. --param usr=alice`);
      params[p.slice(0, eq)] = p.slice(eq + 1);
    }
    if (values.order !== undefined && values.order !== 'asc' && values.order !== 'desc') throw new UserError(`--order must be asc or desc, got '${values.order}'`);
    try {
      const target = registryTarget(values, values.project ?? process.cwd(), values.project !== undefined);
      if (!values.json) io.err(describeTarget(target));
      const reg = openTarget(target, 'read');
      try {
        // a project without a registry yet resolves against an empty index (the selector is still checked)
        const r = (reg ?? new ArtifactIndex()).resolve(selector as Selector, params, { best: values.best, order: values.order as 'asc' | 'desc' | undefined, explainAll: values.all });
        if (values.json) {
          io.out(
            JSON.stringify(
              {
                selector: r.selector,
                urn: r.urn,
                candidates: r.candidates,
                rejected: r.rejected.map((x) => ({ urn: x.artifact.urn, version: x.artifact.version, clause: x.clause, reason: x.reason })),
                anchor: r.anchor,
                considered: r.considered,
                skipped: r.skipped,
              },
              null,
              2,
            ),
          );
        } else for (const l of resolveText(r, reg?.count() ?? 0)) io.out(l);
        return r.candidates.length ? 0 : 1;
      } finally {
        reg?.close();
      }
    } catch (e) {
      if (e instanceof RegistryError) throw new UserError(e.message);
      throw e;
    }
  },
};
