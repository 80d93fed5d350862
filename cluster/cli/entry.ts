/** The bundled CLI's entry (dist/cli/edgeai.mjs): runs the command line and exits with its code. */
import { runProcess } from './process';

await runProcess(process.argv.slice(2));
