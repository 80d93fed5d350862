/**
 * The simulation's constants, each with its source (docs/reference.md §1, §3, §4; the project's
 * own choices are in §10).
 */

/** Idle replicas are removed after 300 s, reconciled every 30 s (docs/reference.md §3). */
export const IDLE_TIMEOUT_S = 300;
export const RECONCILE_S = 30;
/** Scaling defaults: max 20 replicas (docs/reference.md §3). */
export const MAX_REPLICAS = 20;
/**
 * A missing image on a node that already holds other images costs 10% of its size — shared
 * layers; an image on the node is not pulled (docs/reference.md §3, faas-sim@9c6e1b3
 * simulate_docker_pull). Before issue 15 the simulator charged this 10% for an image already
 * on the node instead, hence the older name PRESENT_IMAGE_FRACTION (kept, same value).
 */
export const SHARED_LAYERS_FRACTION = 0.1;
export const PRESENT_IMAGE_FRACTION = SHARED_LAYERS_FRACTION;
/** 4 workers per replica in later faas-sim (docs/reference.md §3). */
export const DEFAULT_WORKERS = 4;
/**
 * Worker startup with the image present, seconds: ~2 s (TX2, NUC) to ~7 s (cloud VM, RPi3)
 * (docs/reference.md §4). Devices the reference does not name are assumptions: Jetson NX, the cloudlet
 * and the laptop like the NUC; rpi4 5 s; rockpi, coral and nano 3 s.
 */
export const STARTUP_S: Record<string, number> = {
  tx2: 2,
  nuc: 2,
  'xeon-cpu': 7,
  'xeon-gpu': 7,
  rpi3: 7,
  nx: 2,
  cloudlet: 2,
  laptop: 2,
  rpi4: 5,
  rockpi: 3,
  coral: 3,
  nano: 3,
};
export const DEFAULT_STARTUP_S = 5;
/** Log-space sigma of sampled execution times around the device mean (an assumption; §4 gives means only). */
export const DEFAULT_EXEC_SIGMA = 0.2;
/**
 * Lambda-like cloud cost (docs/reference.md §1): $0.000016667 per GB-second with execution rounded up to
 * 100 ms, $0.20 per million invocations, $0.07 per GB leaving the cloud. GB = 2^30 bytes here.
 */
export const PRICE_PER_GB_SECOND = 0.000016667;
export const PRICE_PER_INVOCATION = 0.2 / 1e6;
export const PRICE_PER_EGRESS_GB = 0.07;
export const BILLING_GRANULARITY_S = 0.1;
export const GB = 1024 ** 3;
