import { newProject } from '../../project/template';
import { parseCommandArgs, UserError, type Command } from '../command';
import { COMMANDS } from './meta';

const { usage } = COMMANDS.new;

export const command: Command = {
  usage,
  summary: COMMANDS.new.summary,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { name: { type: 'string' } }, usage);
    if (positionals.length !== 1) throw new UserError(`expected the new project's folder\nusage: edgeai ${usage}`);
    const { dir, files } = newProject(positionals[0], values.name);
    io.out(`created ${dir}`);
    for (const f of files) io.out(`  ${f}`);
    io.out(`next: edgeai inspect ${positionals[0]}`);
    return 0;
  },
};
