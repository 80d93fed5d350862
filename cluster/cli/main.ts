/**
 * `edgeai <command> …`: dispatches to the command's module (commands/index.ts), loaded only
 * when it runs; `--help` reads the table in commands/meta.ts alone. A command returns its exit
 * code; an error the user can fix (every StudioError) prints what, where and what to do and
 * exits 2 — as a JSON `{error: {code, message, hint}}` on stdout when the command was asked for
 * --json, so a script always gets an answer to parse. Anything else is a bug and keeps its stack.
 */
import { StudioError } from '../common/errors';
import type { Command } from './command';
import { COMMANDS, type CommandName } from './commands/meta';
import { LOADERS } from './commands/index';

function isCommand(name: string): name is CommandName {
  return Object.prototype.hasOwnProperty.call(COMMANDS, name);
}

function usage(): string {
  const lines = ['usage: edgeai <command> [options]', '', 'commands:'];
  for (const name of (Object.keys(COMMANDS) as CommandName[]).sort()) lines.push(`  ${COMMANDS[name].usage.padEnd(52)} ${COMMANDS[name].summary}`);
  lines.push('', "edgeai <command> --help shows a command's options.");
  return lines.join('\n');
}

export async function run(argv: string[], io: { out: (s: string) => void; err: (s: string) => void } = { out: (s) => process.stdout.write(s + '\n'), err: (s) => process.stderr.write(s + '\n') }): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(usage());
    return name ? 0 : 2;
  }
  if (!isCommand(name)) {
    io.err(`edgeai: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    const cmd: Command = (await LOADERS[name]()).command;
    io.out(`usage: edgeai ${cmd.usage}\n\n${cmd.summary}${cmd.help ? '\n\n' + cmd.help : ''}`);
    return 0;
  }
  try {
    const cmd: Command = (await LOADERS[name]()).command;
    return await cmd.run(rest, io);
  } catch (e) {
    if (e instanceof StudioError) {
      if (rest.includes('--json')) io.out(JSON.stringify({ error: { code: e.code, message: e.detail, ...(e.hint ? { hint: e.hint } : {}) } }, null, 2));
      io.err(`edgeai ${name}: ${e.message}`);
      return 2;
    }
    throw e;
  }
}
