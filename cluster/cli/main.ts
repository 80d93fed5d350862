/**
 * `edgeai <command> …`. Each command is a module in ./commands exporting `command`; this file
 * only dispatches, so commands can be added without touching it. A command returns its exit
 * code; a thrown UserError prints its message (what, where, what to do) and exits 2.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { UserError, type Command } from './command';
import { StudioError } from '../common/errors';

const commandsDir = join(dirname(fileURLToPath(import.meta.url)), 'commands');

function listCommands(): string[] {
  return readdirSync(commandsDir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
}

async function load(name: string): Promise<Command | undefined> {
  if (!/^[a-z][a-z-]*$/.test(name) || !listCommands().includes(name)) return undefined;
  const mod = (await import(join(commandsDir, `${name}.ts`))) as { command: Command };
  return mod.command;
}

async function usage(): Promise<string> {
  const lines = ['usage: edgeai <command> [options]', '', 'commands:'];
  for (const name of listCommands()) {
    try {
      const c = await load(name);
      if (c) lines.push(`  ${c.usage.padEnd(52)} ${c.summary}`);
    } catch (e) {
      lines.push(`  ${name.padEnd(52)} (cannot load: ${(e as Error).message.split('\n')[0]})`);
    }
  }
  lines.push('', 'edgeai <command> --help shows a command\'s options.');
  return lines.join('\n');
}

export async function run(argv: string[], io: { out: (s: string) => void; err: (s: string) => void } = { out: (s) => process.stdout.write(s + '\n'), err: (s) => process.stderr.write(s + '\n') }): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(await usage());
    return name ? 0 : 2;
  }
  const cmd = await load(name);
  if (!cmd) {
    io.err(`edgeai: unknown command '${name}'\n\n${await usage()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(`usage: edgeai ${cmd.usage}\n\n${cmd.summary}${cmd.help ? '\n\n' + cmd.help : ''}`);
    return 0;
  }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    if (e instanceof UserError || e instanceof StudioError) {
      io.err(`edgeai ${name}: ${e.message}`);
      return 2;
    }
    throw e;
  }
}
