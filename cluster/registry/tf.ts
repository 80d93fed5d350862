/**
 * TensorFlow.js for the registry, the runtime and function code: @tensorflow/tfjs with the
 * WebAssembly backend (tfjs-node's native binary cannot be installed here).
 *
 * In Node the wasm backend's CommonJS build (its package `main`) reads its .wasm files from its
 * own dist folder with fs, so no setWasmPaths is needed; `EDGEAI_TFJS_WASM_DIR` overrides the
 * folder (a path ending in '/') for bundled deployments that move node_modules.
 * Call `await ensureTf()` once per process before any tensor work; later calls are free.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

let ready: Promise<typeof tf> | undefined;

export function ensureTf(): Promise<typeof tf> {
  if (!ready) {
    ready = (async () => {
      const dir = process.env.EDGEAI_TFJS_WASM_DIR;
      if (dir) setWasmPaths(dir.endsWith('/') ? dir : dir + '/');
      const ok = await tf.setBackend('wasm');
      if (!ok) throw new Error('TensorFlow.js could not start its wasm backend (@tensorflow/tfjs-backend-wasm); check that the package is installed');
      await tf.ready();
      return tf;
    })();
    ready.catch(() => {
      ready = undefined;
    });
  }
  return ready;
}

export { tf };
