import { startGateway } from '../../runtime/gateway';
import { parseCommandArgs, UserError, type Command } from '../command';
import { CLUSTER_OPTIONS, openController } from '../runtime-support';
import { COMMANDS } from './meta';

const { usage } = COMMANDS.gateway;

export const command: Command = {
  usage,
  summary: COMMANDS.gateway.summary,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, { ...CLUSTER_OPTIONS, port: { type: 'string', default: '8080' }, token: { type: 'string' } }, usage);
    if (values.token !== undefined && values.token.length < 8) throw new UserError('--token: give a secret of at least 8 characters (every request then needs Authorization: Bearer <secret>)');
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UserError(`--port must be 0..65535, not '${values.port}'`);
    const c = await openController(values, io, false, 'run');
    const g = await startGateway(c, port, values.token !== undefined ? { token: values.token } : {});
    io.out(`gateway on ${g.url}: POST ${g.url}/fn/<workflow>/<function> with Content-Type: application/json and {"input": …, "params": {…}}${values.token ? ', Authorization: Bearer <token>' : ''}`);
    io.out('requests from web pages (another origin) are refused; only programs on this machine can invoke');
    const routes = c.routes();
    if (routes.length) {
      io.out('declared routes (http triggers with a path):');
      for (const r of routes) io.out(`  ${r.method.padEnd(4)} ${g.url}${r.path}  → ${r.workflow}/${r.function} (trigger ${r.trigger})${r.method === 'GET' ? ', params from the query string' : ''}`);
    }
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await g.close();
    c.close();
    return 0;
  },
};
