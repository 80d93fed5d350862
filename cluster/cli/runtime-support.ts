/** What the runtime commands share: opening the controller (app/cluster.ts) and printing its progress. */
import type { Controller, ClusterEvent } from '../runtime/controller';
import { openCluster } from '../app/cluster';
import type { CliIO } from './command';

export const CLUSTER_OPTIONS = {
  /** default $EDGEAI_CLUSTER, else local (app/cluster.ts) */
  cluster: { type: 'string' as const },
  home: { type: 'string' as const },
};

/**
 * The cluster's controller for one command. Commands that end when their work is done open it
 * with `triggers: 'off'` (a running studio or `edgeai gateway` fires the cluster's triggers);
 * the long-running gateway fires them.
 */
export async function openController(values: { cluster?: string; home?: string }, io: CliIO, quiet = false, triggers: 'run' | 'off' = 'off'): Promise<Controller> {
  const c = await openCluster({ ...(values.cluster ? { cluster: values.cluster } : {}), ...(values.home ? { home: values.home } : {}), triggers });
  if (!quiet) {
    c.on('event', (e: ClusterEvent) => {
      if (e.type === 'progress') io.err(`  … ${e.message}`);
      else if (e.type === 'node') io.err(`  node ${e.node}: ${e.status}${e.reason ? ` (${e.reason})` : ''}`);
      else if (e.type === 'deploy') io.err(`  ${e.workflow}/${e.function}: ${e.status}${e.node ? ` on ${e.node}` : ''}${e.reason ? `\n      ${e.reason.replace(/\n/g, '\n      ')}` : ''}`);
      else if (e.type === 'log') io.err(`  [log] ${e.line}`);
    });
  }
  return c;
}
