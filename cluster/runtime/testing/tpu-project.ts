/**
 * For tests of what a stick's coming and going does: a project with one function, `look`, that
 * needs capability tpu and does nothing else.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Writes the project into `parent`/sticks and returns its folder. */
export function tpuProject(parent: string): string {
  const dir = join(parent, 'sticks');
  mkdirSync(join(dir, 'functions'), { recursive: true });
  writeFileSync(join(dir, 'workflow.json'), JSON.stringify({ name: 'sticks', version: 1, dataSources: [], triggers: [] }));
  writeFileSync(
    join(dir, 'functions', 'look.ts'),
    `import { policy, type Request } from 'edge-ai-studio/sdk';
export class Look {
  @policy.fn({ capability: 'tpu' })
  async look(request: Request) {
    return { seen: true };
  }
}
`,
  );
  return dir;
}
