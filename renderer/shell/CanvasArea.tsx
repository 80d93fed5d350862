/** The canvas, fed from the store: the shown graph and positions, placements (simulated or deployed), selection, and the commands it triggers. */
import { Canvas } from '../canvas/Canvas';
import { addFromPalette, suggestName } from '../commands/clipboard';
import { openMenu } from '../commands/context-menu';
import { connectNodes, moved } from '../commands/edit';
import { hasSavedViewport, viewportMoved } from '../commands/project';
import { PALETTE } from '../panels/palette-items';
import { shownGraphOf } from '../state/derived';
import { useStudio, useStudioContext } from '../state/studio';
import { useMemo } from 'react';

export function CanvasArea() {
  const ctx = useStudioContext();
  const { store } = ctx;
  const snap = useStudio((s) => s.snap)!;
  const positions = useStudio((s) => s.positions);
  const liveGraph = useStudio((s) => s.liveGraph);
  const buffers = useStudio((s) => s.buffers);
  const selection = useStudio((s) => s.selection);
  const simPlacements = useStudio((s) => s.simPlacements);
  const deploy = useStudio((s) => s.rt.deploy);
  const fitRequest = useStudio((s) => s.fitRequest);
  const shown = useMemo(() => shownGraphOf(snap, liveGraph, buffers, positions), [snap, liveGraph, buffers, positions]);
  return (
    <Canvas
      graph={shown.graph ?? snap.graph}
      diagnostics={snap.diagnostics}
      positions={shown.positions}
      placements={simPlacements?.placements ?? deploy}
      initialViewport={hasSavedViewport(snap.layout) ? snap.layout.viewport : undefined}
      fitRequest={fitRequest}
      selectedNodes={selection.nodes}
      selectedEdges={selection.edges}
      onSelectionChange={(nodes, edges) => store.setState({ selection: { nodes, edges } })}
      onConnect={(a, b) => void connectNodes(ctx, a, b)}
      onContextMenu={(target, at, flowAt) => openMenu(ctx, target, at, flowAt)}
      onDropItem={(i, at) => {
        const item = PALETTE[Number(i)];
        if (item) void addFromPalette(ctx, item, suggestName(store.getState().snap, item), at);
      }}
      onMoved={(m, before) => void moved(ctx, m, before)}
      onViewportChange={() => viewportMoved(ctx)}
    />
  );
}
