import { WORKLOADS } from '../topology/catalog';

/**
 * What a simulation offers to choose from, shared by the service and the renderer (no zod here:
 * the renderer's first screen does not load the contract's schemas).
 */

/** The scheduler profiles a simulation can compare (docs/reference.md §1). */
export const SIM_PROFILES = ['edge-ai', 'skippy', 'kube-default'] as const;

/** Topology scenarios offered by name (a `name:key=N` size is accepted too, e.g. urban-sensing:cells=8). */
export const SIM_TOPOLOGIES = ['local', 'skippy-testbed', 'urban-sensing', 'industrial-iot', 'cloud-regions'] as const;

/** The most invocations one simulation may generate (duration × rates, per profile). */
export const SIM_MAX_ARRIVALS = 2_000_000;

/**
 * Execution-time profiles of docs/reference.md §4 a function can be simulated with (cluster/topology's
 * WORKLOADS); without one a function is a small one (50 ms on a Xeon VM, scaled per device).
 */
export const SIM_WORKLOADS = WORKLOADS;
