import { workflowJsonSchema } from '../../spec/workflow';
import { topologyJsonSchema } from '../../spec/topology';
import { parseCommandArgs, UserError, type Command } from '../command';
import { COMMANDS } from './meta';

const { usage } = COMMANDS.schema;

export const command: Command = {
  usage,
  summary: COMMANDS.schema.summary,
  async run(argv, io) {
    const { positionals } = parseCommandArgs(argv, {}, usage);
    const schemas: Record<string, () => Record<string, unknown>> = { workflow: workflowJsonSchema, topology: topologyJsonSchema };
    const make = schemas[positionals[0] ?? ''];
    if (!make || positionals.length !== 1) throw new UserError(`which schema? ${Object.keys(schemas).join(' or ')}\nusage: edgeai ${usage}`);
    io.out(JSON.stringify(make(), null, 2));
    return 0;
  },
};
