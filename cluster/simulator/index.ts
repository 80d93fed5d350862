/**
 * cluster/simulator: a deterministic discrete-event simulation of a workflow on a topology
 * (docs/architecture.md "The simulator"), running the real scheduler.
 *
 *   const r = simulate({ project, topology: topologyByName('urban-sensing:cells=8'), profile: 'edge-ai', seed: 1, durationS: 3600 });
 *   r.functions[0].total.p95, r.links, r.edgeUtilisation, r.cloudCost.total
 *   compareSchedulers({ project, topology, seed: 1, durationS: 3600 }, ['edge-ai', 'skippy', 'kube-default'])
 */
export * from './engine';
export * from './network';
export * from './workflow';
export * from './faas-sim';
export * from './sim';
export * from './format';
