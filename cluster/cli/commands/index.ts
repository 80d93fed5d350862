/** Each command's module, loaded only when it runs (`edgeai --help` reads ./meta.ts alone). */
import type { Command } from '../command';
import type { CommandName } from './meta';

export const LOADERS: Record<CommandName, () => Promise<{ command: Command }>> = {
  accelerators: () => import('./accelerators'),
  artifacts: () => import('./artifacts'),
  cluster: () => import('./cluster'),
  data: () => import('./data'),
  deploy: () => import('./deploy'),
  export: () => import('./export'),
  gateway: () => import('./gateway'),
  inspect: () => import('./inspect'),
  invoke: () => import('./invoke'),
  load: () => import('./load'),
  new: () => import('./new'),
  resolve: () => import('./resolve'),
  runs: () => import('./runs'),
  schedule: () => import('./schedule'),
  schema: () => import('./schema'),
  simulate: () => import('./simulate'),
};
