#!/usr/bin/env node
// The `edgeai` command: runs the TypeScript CLI through tsx (a dependency), so no build step.
import { register } from 'tsx/esm/api';
import { fileURLToPath } from 'node:url';

register();
const main = fileURLToPath(new URL('../cluster/cli/main.ts', import.meta.url));
const { run } = await import(main);
const code = await run(process.argv.slice(2));
process.exitCode = code;
