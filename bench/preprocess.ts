/**
 * `npm run bench -- preprocess [files]`: preprocesses generated function files and prints
 * files/s and the ratio to a bare parse of the same files (ts.createSourceFile), measured in the
 * same process. Goal (issue 2): ≥1,000 files/s.
 */
import ts from 'typescript';
import { preprocessFiles } from '../cluster/preprocessor/preprocess';

function generate(n: number): Array<{ file: string; source: string }> {
  const files = [];
  for (let i = 0; i < n; i++) {
    files.push({
      file: `functions/f${i}.ts`,
      source: `import * as tf from '@tensorflow/tfjs';
import { consumes, produces, policy, gate, type Data, type Model, type Request } from 'edge-ai-studio/sdk';

/** Generated function ${i}. */
export class Stage${i} {
  @consumes.data({ selector: { urn: 'sensor:${i % 17}:raw', tags: ['site-${i % 5}'] }, holdout: 0.2, batch: ${32 + (i % 64)} })
  @consumes.model({ selector: { type: 'classifier', data_tags: ['site-${i % 5}'], accuracy: '>=0.${80 + (i % 19)}' } })
  @produces.data({ urn: 'sensor:${i}:clean', format: 'jsonl', tags: ['clean'] })
  @policy.deadline('${100 + i}ms')
  @policy.fn({ node: ['edge', 'cloud'], capability: ${i % 3 === 0 ? "'tpu'" : "['gpu', 'cuda']"} })
  @policy.data({ network: ['site-${i % 5}', 'wan'], strict: ${i % 2 === 0} })
  @gate.drift({ metric: 'confidence', predicate: '<0.${i % 9 + 1}', window: 50 })
  async stage${i}(data: Data, model: Model, request: Request) {
    const x = data.toTensor(['x']);
    const predictions = model.estimate(x as unknown as number[][]);
    const kept = predictions.filter((p) => p.confidence > 0.5).length;
    request.log(\`kept \${kept} of \${predictions.length}\`);
    tf.dispose(x);
    return { kept, total: predictions.length, stage: ${i} };
  }
}
`,
    });
  }
  return files;
}

function time(fn: () => void, rounds: number): number {
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    fn();
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

export async function main(args: string[]): Promise<void> {
  const n = Number(args[0] ?? 1000);
  const files = generate(n);
  // warm up both paths (JIT, parser caches)
  preprocessFiles(files.slice(0, 50));
  for (const f of files.slice(0, 50)) ts.createSourceFile(f.file, f.source, ts.ScriptTarget.Latest, true);

  let functions = 0;
  const preMs = time(() => {
    const r = preprocessFiles(files);
    functions = r.functions.length;
    if (r.diagnostics.some((d) => d.severity === 'error')) throw new Error(`generated files have errors: ${JSON.stringify(r.diagnostics[0])}`);
  }, 5);
  const parseMs = time(() => {
    for (const f of files) ts.createSourceFile(f.file, f.source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  }, 5);
  const filesPerS = (n / preMs) * 1000;
  console.log(`preprocess: ${n} files (${functions} functions), median of 5 rounds`);
  console.log(`  preprocess  ${preMs.toFixed(1)} ms  → ${Math.round(filesPerS)} files/s  (goal ≥ 1000 files/s: ${filesPerS >= 1000 ? 'met' : 'NOT met'})`);
  console.log(`  bare parse  ${parseMs.toFixed(1)} ms  → ${Math.round((n / parseMs) * 1000)} files/s`);
  console.log(`  ratio preprocess / bare parse time: ${(preMs / parseMs).toFixed(2)}×`);
}
