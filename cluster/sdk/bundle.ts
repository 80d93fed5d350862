/**
 * Builds a function file into one ES module with the SDK inlined (esbuild), the form in which
 * it ships to a node and runs there. TC39 decorators are lowered for Node 20. TensorFlow.js is
 * not bundled: `@tensorflow/tfjs` resolves to `globalThis.__EDGEAI_TF__`, the instance the
 * node's worker has already started (wasm backend), so function code and the platform share
 * one TensorFlow.js and its tensors.
 */
import { build, type Plugin } from 'esbuild';
import { existsSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { platformRoot } from '../sources';
import { StudioError } from '../common/errors';

const SDK_ENTRY = join(platformRoot(import.meta.url), 'cluster', 'sdk', 'index.ts');

export const TF_GLOBAL = '__EDGEAI_TF__';

const tfFromWorker: Plugin = {
  name: 'edgeai-tf-global',
  setup(b) {
    b.onResolve({ filter: /^@tensorflow\/tfjs(-core|-layers)?$/ }, (args) => ({ path: args.path, namespace: 'edgeai-tf' }));
    b.onLoad({ filter: /.*/, namespace: 'edgeai-tf' }, () => ({
      contents: `module.exports = globalThis.${TF_GLOBAL};`,
      loader: 'js',
    }));
  },
};

const PLATFORM_MODULES = join(platformRoot(import.meta.url), 'node_modules');

const SPEC_DIR = join(platformRoot(import.meta.url), 'cluster', 'spec') + sep;

/**
 * The SDK's decorators import the platform's spec modules only for `functionsOfModule` (which
 * validates with zod); their top-level schema building counts as side effects to esbuild, so every
 * bundle carried spec and zod (1.39 MB with its source map) though a function never calls them.
 * Marked free of side effects, they are left out unless the function code uses them (9 KB).
 */
const specWithoutSideEffects: Plugin = {
  name: 'edgeai-spec-pure',
  setup(b) {
    b.onResolve({ filter: /spec\// }, (args) => {
      const abs = resolve(args.resolveDir, args.path);
      if (!abs.startsWith(SPEC_DIR)) return undefined;
      const file = [abs, `${abs}.ts`, join(abs, 'index.ts')].find((f) => existsSync(f) && statSync(f).isFile());
      return file ? { path: file, sideEffects: false } : undefined;
    });
  },
};

export interface FunctionBundle {
  /** the ES module's code */
  code: string;
  /** sha256 of the code, which identifies the bundle */
  sha256: string;
  bytes: number;
}

/** `keepSpec`: bundle the spec modules whether used or not, as before (the bench's baseline). */
export async function bundleFunction(entry: string, opts: { keepSpec?: boolean } = {}): Promise<FunctionBundle> {
  try {
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      plugins: opts.keepSpec ? [tfFromWorker] : [tfFromWorker, specWithoutSideEffects],
      alias: { 'edge-ai-studio/sdk': SDK_ENTRY },
      // a project without node_modules of its own may import the pure-JavaScript packages the studio installs (jpeg-js, say)
      nodePaths: [PLATFORM_MODULES],
      logLevel: 'silent',
      sourcemap: 'inline',
      sourcesContent: false,
      legalComments: 'none',
    });
    const out = result.outputFiles[0];
    const { createHash } = await import('node:crypto');
    return { code: out.text, sha256: createHash('sha256').update(out.contents).digest('hex'), bytes: out.contents.byteLength };
  } catch (e) {
    const errors = (e as { errors?: Array<{ text: string; location?: { file: string; line: number; column: number } }> }).errors;
    if (errors?.length) {
      const first = errors[0];
      const where = first.location ? `${first.location.file}:${first.location.line}:${first.location.column + 1}: ` : '';
      throw new StudioError('bundle-failed', `${where}${first.text}`, 'fix the function source; `edgeai inspect` shows its diagnostics');
    }
    throw e;
  }
}
