import { workflowJsonSchema } from '../../spec/workflow';
import { parseCommandArgs, UserError, type Command } from '../command';

const usage = 'schema workflow';

export const command: Command = {
  usage,
  summary: 'print the JSON Schema of workflow.json',
  async run(argv, io) {
    const { positionals } = parseCommandArgs(argv, {}, usage);
    if (positionals[0] !== 'workflow') throw new UserError(`which schema? only 'workflow' is available\nusage: edgeai ${usage}`);
    io.out(JSON.stringify(workflowJsonSchema(), null, 2));
    return 0;
  },
};
