/**
 * `edgeai` as a process: runs the command line, sets the exit code, and treats a closed stdout
 * (`edgeai runs list | head`) as the reader having what it wanted — no EPIPE stack trace.
 */
import { run } from './main';

export async function runProcess(argv: string[]): Promise<void> {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  const out = (s: string) => {
    if (!process.stdout.destroyed) process.stdout.write(s + '\n');
  };
  process.exitCode = await run(argv, { out, err: (s) => process.stderr.write(s + '\n') });
}
