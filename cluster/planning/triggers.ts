/**
 * What makes a data or model trigger fire, and with which request parameters: one rule for
 * the runtime (which sees real artifacts) and the simulator (which sees the workflow's declared
 * outputs). A trigger fires once per `batch` matching artifacts (model triggers: each one); a
 * triggered function whose urn templates match the arriving artifact gets the parameters read
 * off its urn (`mnist:user:{usr}` ← `mnist:user:alice` gives usr=alice). Pure.
 */
import type { FunctionSpec } from '../spec/function';
import { matchSelector, paramsFromUrn, type Selector, type SelectorCandidate } from '../spec/selector';
import type { Trigger } from '../spec/workflow';
import { candidateOf } from './artifacts';

export type ArtifactTrigger = Extract<Trigger, { kind: 'data' | 'model' }>;

/**
 * Does this artifact count towards the trigger? A real artifact (the runtime) is matched as it
 * is; a declared output (the simulator, `declared: true`) is matched as a pattern whose metrics
 * are not known yet.
 */
export function triggerMatches(t: { kind: 'data' | 'model'; selector: Selector }, a: SelectorCandidate, declared = false): boolean {
  if (a.kind !== t.kind) return false;
  if (declared) return matchSelector(t.selector, candidateOf({ urn: a.urn, kind: t.kind, ...(a.type ? { type: a.type } : {}), ...(a.tags ? { tags: a.tags } : {}) }), { candidateIsPattern: true, metricsUnknownPass: true }).ok;
  return matchSelector({ ...t.selector, kind: t.kind }, a, {}).ok;
}

/** How many matching artifacts make the trigger fire once. */
export function triggerBatch(t: { kind: 'data' | 'model'; batch?: number }): number {
  return t.kind === 'data' ? Math.max(1, t.batch ?? 1) : 1;
}

/** The request parameters a triggered function gets from the artifact that fired it. */
export function triggerParams(target: Pick<FunctionSpec, 'consumes'>, urn: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of target.consumes) {
    const template = (c.selector as Selector).urn;
    if (template) Object.assign(out, paramsFromUrn(template, urn));
  }
  return out;
}

/** Does a gate trigger fire when `fn`'s gates of these kinds failed? (its `source` is the function; no `gate`: any gate) */
export function gateTriggerFires(t: { source: string; gate?: 'bias' | 'drift' }, fn: string, failedKinds: readonly string[]): boolean {
  return t.source === fn && failedKinds.length > 0 && (!t.gate || failedKinds.includes(t.gate));
}
