/**
 * The simulation's public surface (what cluster/simulator/index.ts and other layers import as
 * `simulator/sim`): simulate, compareSchedulers(Async), workflowOf, the options and report types,
 * the constants, and the cost and statistics helpers. The code lives in simulation.ts (the run),
 * replicas.ts, dispatch.ts, sources.ts, accounting.ts and report.ts.
 */
export {
  IDLE_TIMEOUT_S,
  RECONCILE_S,
  MAX_REPLICAS,
  PRESENT_IMAGE_FRACTION,
  DEFAULT_WORKERS,
  STARTUP_S,
  DEFAULT_EXEC_SIGMA,
  PRICE_PER_GB_SECOND,
  PRICE_PER_INVOCATION,
  PRICE_PER_EGRESS_GB,
  BILLING_GRANULARITY_S,
} from './constants';
export * from './types';
export { latencyStats, gbSeconds, cloudCostOf } from './accounting';
export { SimulationError } from './engine'; // its stuck-run guard throws one too
export { workflowOf, simulate, compareSchedulers, compareSchedulersAsync, SimulationCancelled, type SimulateAsyncOptions } from './simulation';
