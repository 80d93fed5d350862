// Types of scripts/leaks.mjs (plain JS: `npm test` runs it before any TypeScript loader).
export const LABEL_CLUSTER: string;
export function entriesLeft(dir: string, limit?: number): string[];
export function defaultHomes(): string[];
export function listTree(dir: string): Set<string>;
export function added(before: Set<string>, after: Set<string>): string[];
export function statOf(pid: number, proc?: string): { ppid: number; start: string } | undefined;
export class ProcessTree {
  constructor(root: number, proc?: string);
  readonly root: number;
  readonly seen: Map<string, string>;
  sample(): void;
  pids(): Set<number>;
}
export interface Leftover {
  pid: number;
  cmd: string;
  why: string[];
}
export function leftoverProcesses(opts: { tree?: ProcessTree; tmp?: string; markers?: string[]; exclude?: number[]; proc?: string }): Leftover[];
export function selfAndAncestors(proc?: string): number[];
export interface DockerObject {
  kind: string;
  id: string;
  name: string;
  cluster: string;
  created: number;
}
export function dockerObjects(): Promise<DockerObject[] | null>;
export function dockerLeftovers(opts: { before: Set<string>; after: DockerObject[]; startedAt: number; runPids: Set<number> }): { ours: DockerObject[]; others: DockerObject[] };
export function netCatches(output: string): Array<{ file: string; entries: string }>;
