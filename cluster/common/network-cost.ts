/**
 * What moving bytes over a route costs, after edgerun/ether (docs/reference.md §5): a transfer
 * pays a connection setup of 1.5 round trips, then its payload moves at goodput = the bandwidth
 * it is allocated × 0.97. One definition for the scheduler's estimates, the runtime's emulated
 * transfers and the simulator's flows. Bandwidth in bytes per second, latency in ms. Browser-safe.
 */

/** payload rate = allocation × 0.97 (docs/reference.md §5) */
export const GOODPUT = 0.97;
/** connection setup = 1.5 × RTT (docs/reference.md §5) */
export const CONNECTION_SETUP_RTTS = 1.5;

/** Seconds to set up a connection over a route with this round-trip time (ms). */
export function setupSeconds(rttMs: number): number {
  return (CONNECTION_SETUP_RTTS * rttMs) / 1000;
}

/** Seconds to move `bytes` over a route: setup + bytes / (bandwidth × goodput); 0 bytes cost the setup only. */
export function transferSeconds(bytes: number, bandwidthBps: number, rttMs: number): number {
  if (!(bandwidthBps > 0)) return bytes > 0 ? Infinity : setupSeconds(rttMs);
  return setupSeconds(rttMs) + bytes / (bandwidthBps * GOODPUT);
}
