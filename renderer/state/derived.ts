/**
 * What the shell derives from the store: the problems shown (saved diagnostics, and a dirty
 * buffer's live ones instead of its file's), the graph the canvas shows (the typed one while its
 * buffer is unsaved) and where its new nodes sit, and the files the editor edits.
 */
import { useMemo } from 'react';
import type { DiagnosticDto, GraphDto, ProjectSnapshot } from '../../cluster/api/contract';
import { useStudio, type Positions, type StudioState } from './studio';

export function problemsOf(snap: ProjectSnapshot | undefined, live: StudioState['liveDiagnostics'], buffers: StudioState['buffers']): DiagnosticDto[] {
  if (!snap) return [];
  const byFile = new Map<string, DiagnosticDto[]>();
  for (const d of [...snap.diagnostics, ...snap.graph.warnings]) byFile.set(d.file, [...(byFile.get(d.file) ?? []), d]);
  for (const [file, ds] of Object.entries(live)) if (buffers[file] !== undefined) byFile.set(file, [...ds, ...snap.graph.warnings.filter((w) => w.file === file)]);
  return [...byFile.values()].flat();
}

export function useProblems(): { problems: DiagnosticDto[]; errors: number; warnings: number } {
  const snap = useStudio((s) => s.snap);
  const live = useStudio((s) => s.liveDiagnostics);
  const buffers = useStudio((s) => s.buffers);
  return useMemo(() => {
    const problems = problemsOf(snap, live, buffers);
    const errors = problems.filter((d) => d.severity === 'error').length;
    return { problems, errors, warnings: problems.length - errors };
  }, [snap, live, buffers]);
}

/** The graph on the canvas: the typed one while its buffer is unsaved; nodes it adds sit right of the rest until saved. */
export function shownGraphOf(snap: ProjectSnapshot | undefined, liveGraph: StudioState['liveGraph'], buffers: StudioState['buffers'], positions: Positions): { graph: GraphDto | undefined; positions: Positions } {
  const graph = liveGraph && buffers[liveGraph.path] !== undefined ? liveGraph.graph : snap?.graph;
  if (!graph || graph === snap?.graph) return { graph, positions };
  const missing = graph.nodes.filter((n) => !positions[n.id]);
  if (!missing.length) return { graph, positions };
  const maxX = Math.max(0, ...Object.values(positions).map((p) => p.x));
  return { graph, positions: { ...positions, ...Object.fromEntries(missing.map((n, i) => [n.id, { x: maxX + 320, y: 90 * i }])) } };
}
