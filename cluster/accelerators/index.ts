/**
 * cluster/accelerators: USB accelerator discovery, hot-plug and attachment (docs/reference.md §6).
 *
 *   discoverAccelerators({ devRoot: '/dev' })            Coral / NCS sticks on this machine
 *   watchAccelerators({ intervalMs: 1000 }, onEvent)      attached / detached / changed; returns stop()
 *   withAccelerators(localCluster(), sticks)              the laptop node offers tpu / vpu
 */
export * from './discover';
export * from './watch';
export * from './attach';
export * from './runtimes';
