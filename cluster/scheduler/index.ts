/**
 * cluster/scheduler: filter and score plugins, profiles, explanations.
 *
 *   const snap = buildSnapshot(topologyByName('skippy-testbed'));
 *   const r = schedule(snap, profileByName('edge-ai'), requirementsFromSpec(spec, { inputs }), { explain: true });
 *   r.node, r.score, r.explanation, r.infeasible
 */
export * from './requirements';
export * from './snapshot';
export * from './compile';
export * from './plugins';
export * from './profiles';
export * from './schedule';
