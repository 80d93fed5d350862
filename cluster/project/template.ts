/** `edgeai new <dir>`: a small project that inspects clean, to start from. */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { StudioError } from '../common/errors';
import { saveLayout, saveWorkflow } from './project';

const FUNCTION = `import { consumes, produces, policy, type Data, type Request } from 'edge-ai-studio/sdk';

/** Summarises a batch of sensor readings at the edge, close to where they are measured. */
export class Readings {
  @consumes.data({ selector: { urn: 'sensor:readings' } })
  @produces.data({ urn: 'sensor:summary', format: 'json' })
  @policy.deadline('500ms')
  @policy.fn({ node: 'edge' })
  async summarize(data: Data, request: Request) {
    const values = data.rows().map((r) => Number(r.celsius));
    const mean = values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
    request.log(\`summarised \${values.length} readings\`);
    return { count: values.length, mean, max: Math.max(...values), min: Math.min(...values) };
  }
}
`;

const READINGS = `sensor,celsius
s1,21.5
s1,21.7
s2,19.8
s2,20.1
s3,23.4
`;

export function newProject(dirIn: string, name?: string): { dir: string; files: string[] } {
  const dir = resolve(dirIn);
  if (existsSync(dir) && readdirSync(dir).length) {
    throw new StudioError('project-exists', `${dir} exists and is not empty`, 'choose a new folder name, or empty this one first');
  }
  const projectName = (name ?? basename(dir)).replace(/[^A-Za-z0-9_.-]/g, '-').replace(/^[^A-Za-z]+/, '') || 'workflow';
  mkdirSync(join(dir, 'functions'), { recursive: true });
  mkdirSync(join(dir, 'data'), { recursive: true });
  saveWorkflow(dir, {
    name: projectName,
    description: 'A new edge AI workflow.',
    version: 1,
    dataSources: [{ urn: 'sensor:readings', type: 'table', tags: ['sensor'], format: 'csv', source: { kind: 'file', path: 'data/readings.csv' } }],
    triggers: [{ kind: 'http', id: 'summarize-http', function: 'summarize', method: 'POST' }],
    target: { topology: 'local', backend: 'process', profile: 'edge-ai' },
  });
  saveLayout(dir, { nodes: {}, viewport: { x: 0, y: 0, zoom: 1 } });
  writeFileSync(join(dir, 'functions', 'summarize.ts'), FUNCTION);
  writeFileSync(join(dir, 'data', 'readings.csv'), READINGS);
  writeFileSync(join(dir, '.gitignore'), '.edgeai/\n');
  return { dir, files: ['workflow.json', 'layout.json', 'functions/summarize.ts', 'data/readings.csv', '.gitignore'] };
}
