/**
 * The deploy's word on functions that ask for an accelerator (issue 14, item 3): a function with
 * `@policy.fn({ capability: 'tpu' })` is placed on a node with a Coral stick, but its model uses
 * the stick only when it is a TensorFlow Lite model compiled for the Edge TPU and the host has the
 * Edge TPU runtime. Otherwise it would run on the node's CPU: the deploy says so (a warning), or,
 * with the strict opt-in (DeployOptions.strictAccelerators), refuses to deploy the function.
 * Both backends run their nodes on this host, so this host's readiness is the node's.
 */
import { hostEdgeTpuReadiness, type Readiness } from '../../accelerators/runtimes';
import type { FunctionSpec } from '../../spec/function';
import type { Registry } from '../../registry/registry';
import { EDGETPU_TAG } from '../../registry/tflite-import';

/** Why `spec`'s models will not run on the Edge TPU of `node`; undefined when they will (or it asks for no tpu). */
export function tpuShortfall(spec: FunctionSpec, node: string, registry: Registry, readiness: () => Readiness = () => hostEdgeTpuReadiness()): string | undefined {
  if (!(spec.policies.fn?.capability ?? []).includes('tpu')) return undefined;
  const models = spec.consumes.filter((c) => c.kind === 'model');
  if (!models.length) return `${spec.id} asks for capability tpu but consumes no model: nothing of it runs on the Edge TPU of ${node}`;
  const why: string[] = [];
  for (const c of models) {
    let pick;
    try {
      pick = registry.resolve({ ...c.selector, kind: 'model' }).candidates[0];
    } catch {
      continue; // a template: the model is known only at the request; the run says where it ran
    }
    if (!pick) continue; // not trained yet: the run says where it ran
    if (pick.format !== 'tflite') why.push(`its model ${pick.urn} is a ${pick.format} model, which runs on the CPU (only TensorFlow Lite models compiled for the Edge TPU use the stick)`);
    else if (!pick.tags.includes(EDGETPU_TAG)) why.push(`its model ${pick.urn} is not compiled for the Edge TPU (no edgetpu-custom-op), so the delegate would run it on the CPU`);
    else {
      const r = readiness();
      if (!r.ready) why.push(`the Edge TPU of this host is not ready: ${r.reason}`);
    }
  }
  if (!why.length) return undefined;
  return `${spec.id} asks for capability tpu, but on ${node} its model will run on the CPU: ${[...new Set(why)].join('; ')}`;
}

export const TPU_HINT = 'publish the model compiled for the Edge TPU (edgetpu_compiler, Coral\'s apt repository) and check `edgeai accelerators`; or drop capability tpu';
