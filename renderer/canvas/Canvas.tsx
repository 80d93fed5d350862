/**
 * The workflow canvas: the derived graph, laid out from layout.json (elkjs for nodes without a
 * position). Drawing an edge asks the service to rewrite the consumer's selector; the service
 * answers with the edit or the reason it refused.
 */
import { useCallback, useEffect, useMemo, useRef, useState, type MouseEvent as ReactMouseEvent } from 'react';
import {
  Background,
  BackgroundVariant,
  ControlButton,
  Controls,
  MiniMap,
  ReactFlow,
  useEdgesState,
  useNodesState,
  useReactFlow,
  useStore,
  type Connection,
  type Edge,
  type NodeChange,
  type OnSelectionChangeParams,
  type Viewport,
} from '@xyflow/react';
import type { DiagnosticDto, GraphDto } from '../../cluster/api/contract';
import { nodeSize, nodeTypes, type NodeProblem, type StudioNode } from './nodes';
import { boundsOf, readableViewport, sameViewport } from './viewport';
import { edgeTypes } from './edges';
import { keepMeasured } from './rebuild';
import { DetailContext, detailAt, type Detail } from './detail';

export type Positions = Record<string, { x: number; y: number }>;

export interface CanvasProps {
  graph: GraphDto;
  diagnostics: DiagnosticDto[];
  positions: Positions;
  /** where each function runs once deployed, and its deploy state */
  placements?: Record<string, { node: string | null; status: string }>;
  initialViewport?: Viewport;
  /** counts the fits asked for (a project opened or created): each new value fits the view again */
  fitRequest?: number;
  selectedNodes: string[];
  selectedEdges: string[];
  onSelectionChange(nodes: string[], edges: string[]): void;
  onConnect(producer: string, consumer: string): void;
  onMoved(moved: Positions, before: Positions): void;
  onViewportChange(v: Viewport): void;
  /** right-click: on a node, an edge, the selection or the empty pane (screen position and flow position) */
  onContextMenu?(target: CanvasTarget, at: { x: number; y: number }, flow: { x: number; y: number }): void;
  /** a palette item dropped on the canvas, at a flow position */
  onDropItem?(item: string, flow: { x: number; y: number }): void;
}

export type CanvasTarget = { kind: 'node'; id: string } | { kind: 'edge'; id: string } | { kind: 'selection' } | { kind: 'pane' };

function selectionKey(nodes: string[], edges: string[]): string {
  return `${[...nodes].sort().join('\n')}|${[...edges].sort().join('\n')}`;
}

/** The drag-and-drop type of palette items (their index in PALETTE). */
export const PALETTE_MIME = 'application/x-edgeai-palette';

const EDGE_STYLE: Record<string, { stroke: string; dash?: string; animated?: boolean }> = {
  consumes: { stroke: '#5b8def' },
  produces: { stroke: '#3fb68b' },
  triggers: { stroke: '#e0a526', dash: '6 4' },
  guards: { stroke: '#c768d8', dash: '2 4' },
  fires: { stroke: '#e56b50', dash: '6 4' },
};

/**
 * The edges' arrowheads, one per edge kind, drawn as xyflow's own ArrowClosed marker (16 × 16).
 * Defined here and named by string: an edge whose markerEnd is an object makes xyflow build its
 * marker list with a localeCompare sort, and the page's first localeCompare loads ICU's collation
 * (~15-30 ms on the first screen, measured in Chromium here).
 */
export const arrowId = (kind: string) => `edgeai-arrow-${kind}`;

function ArrowMarkers() {
  return (
    <svg className="edge-markers" aria-hidden="true" style={{ position: 'absolute', width: 0, height: 0 }}>
      <defs>
        {Object.entries(EDGE_STYLE).map(([kind, s]) => (
          <marker key={kind} className="react-flow__arrowhead" id={arrowId(kind)} markerWidth="16" markerHeight="16" viewBox="-10 -10 20 20" markerUnits="strokeWidth" orient="auto-start-reverse" refX="0" refY="0">
            <polyline className="arrowclosed" style={{ strokeWidth: 1, stroke: s.stroke, fill: s.stroke }} strokeLinecap="round" strokeLinejoin="round" points="-5,-4 0,0 -5,4 -5,-4" />
          </marker>
        ))}
      </defs>
    </svg>
  );
}

const MINIMAP_COLORS: Record<string, string> = {
  function: '#5b8def',
  'data-source': '#3fb68b',
  data: '#58a6a6',
  model: '#a78bfa',
  trigger: '#e0a526',
  gate: '#c768d8',
};

/** Above this many nodes the minimap starts hidden: repainting it costs about as much per frame as the canvas (bench/studio.ts). */
const MINIMAP_MAX_NODES = 300;
/** Below this canvas width (px) the minimap starts hidden (the toggle shows it). */
const MINIMAP_MIN_WIDTH = 640;

/** The background's dot spacing (px at zoom 1); in low detail four times as far apart, so zoomed out they stay as far apart on screen instead of 16 times as many. */
const DOT_GAP = 18;

export function Canvas(props: CanvasProps) {
  const { graph, positions, diagnostics, placements } = props;
  // the level of detail (detail.ts): this re-renders only when the zoom crosses a level
  const detail = useStore((s): Detail => detailAt(s.transform[2]));
  const low = detail !== 'full';
  const [minimapChoice, setMinimapChoice] = useState<boolean | undefined>();
  // a canvas narrower than this starts without the minimap: it would cover a third of it
  const [roomy, setRoomy] = useState(true);
  const showMinimap = minimapChoice ?? (graph.nodes.length <= MINIMAP_MAX_NODES && roomy);
  const errorsByFile = useMemo(() => {
    const m = new Map<string, number>();
    for (const d of diagnostics) if (d.severity === 'error') m.set(d.file, (m.get(d.file) ?? 0) + 1);
    return m;
  }, [diagnostics]);
  // diagnostics that name a node (a placement no node can take, a data file that is missing)
  const problemsByNode = useMemo(() => {
    const m = new Map<string, NodeProblem[]>();
    for (const d of diagnostics) if (d.node) m.set(d.node, [...(m.get(d.node) ?? []), { severity: d.severity, code: d.code, message: d.message, ...(d.hint ? { hint: d.hint } : {}) }]);
    return m;
  }, [diagnostics]);

  const built = useMemo<StudioNode[]>(
    () =>
      graph.nodes.map((n) => ({
        id: n.id,
        type: n.kind,
        position: positions[n.id] ?? { x: 0, y: 0 },
        data: {
          node: n,
          errors: n.detail.file ? (errorsByFile.get(n.detail.file) ?? 0) : 0,
          ...(n.kind === 'function' && placements?.[n.label] ? { placement: placements[n.label] } : {}),
          ...(problemsByNode.has(n.id) ? { problems: problemsByNode.get(n.id) } : {}),
        },
        selected: props.selectedNodes.includes(n.id),
      })),
    [graph, positions, errorsByFile, problemsByNode, props.selectedNodes, placements],
  );
  const builtEdges = useMemo<Edge[]>(
    () =>
      graph.edges.map((e) => {
        const s = EDGE_STYLE[e.kind];
        return {
          id: e.id,
          source: e.source,
          target: e.target,
          // drawn right to left (a feedback edge): around the nodes, not through them
          type: (positions[e.target]?.x ?? 0) < (positions[e.source]?.x ?? 0) ? 'back' : 'default',
          selected: props.selectedEdges.includes(e.id),
          className: `edge-${e.kind}`,
          label: e.kind === 'consumes' ? undefined : undefined,
          // zoomed out an arrowhead is a few pixels: not drawn (the edge's colour and dash still say its kind)
          ...(low ? {} : { markerEnd: arrowId(e.kind) }),
          style: { stroke: s.stroke, strokeWidth: 1.8, ...(s.dash ? { strokeDasharray: s.dash } : {}) },
          data: { kind: e.kind },
          deletable: e.kind === 'consumes',
        };
      }),
    [graph, positions, props.selectedEdges, low],
  );

  const [nodes, setNodes, onNodesChange] = useNodesState<StudioNode>(built);
  const [edges, setEdges, onEdgesChange] = useEdgesState<Edge>(builtEdges);
  // rebuilt nodes keep the size React Flow measured, or every rebuild hides them to measure again (rebuild.ts)
  useEffect(() => setNodes((previous) => keepMeasured(previous, built)), [built, setNodes]);
  useEffect(() => setEdges(builtEdges), [builtEdges, setEdges]);

  const dragStart = useRef<Positions>({});
  const onNodeDragStart = useCallback((_: unknown, _n: StudioNode, dragged: StudioNode[]) => {
    dragStart.current = Object.fromEntries(dragged.map((n) => [n.id, { ...n.position }]));
  }, []);
  const onNodeDragStop = useCallback(
    (_: unknown, _n: StudioNode, dragged: StudioNode[]) => {
      const moved: Positions = {};
      for (const n of dragged) {
        const b = dragStart.current[n.id];
        if (!b || b.x !== n.position.x || b.y !== n.position.y) moved[n.id] = { x: n.position.x, y: n.position.y };
      }
      if (Object.keys(moved).length) props.onMoved(moved, dragStart.current);
    },
    [props],
  );

  // Selection is the app's state; React Flow reports its own. When the app selects something (a
  // table row, a context menu, after an add), React Flow first reports the selection it still has —
  // echoing that back would undo the app's choice and the two would flip each other forever. So a
  // report counts as the user's only once React Flow has echoed the app's current selection.
  const propsKey = selectionKey(props.selectedNodes, props.selectedEdges);
  const sync = useRef({ props: propsKey, echoed: true, reported: propsKey });
  // a selection the user made comes back as props already echoed
  if (sync.current.props !== propsKey) sync.current = { ...sync.current, props: propsKey, echoed: propsKey === sync.current.reported };
  const onSelectionChangeRef = useRef(props.onSelectionChange);
  onSelectionChangeRef.current = props.onSelectionChange;
  const onSelection = useCallback(({ nodes: ns, edges: es }: OnSelectionChangeParams) => {
    const a = ns.map((n) => n.id).sort();
    const b = es.map((e) => e.id).sort();
    sync.current.reported = selectionKey(a, b);
    if (sync.current.reported === sync.current.props) {
      sync.current.echoed = true;
      return;
    }
    if (!sync.current.echoed) return; // the selection from before the app changed it
    onSelectionChangeRef.current(a, b);
  }, []);

  const onConnect = useCallback((c: Connection) => props.onConnect(c.source, c.target), [props]);
  const onNodesChangeFiltered = useCallback(
    (changes: NodeChange<StudioNode>[]) => onNodesChange(changes.filter((c) => c.type !== 'remove')),
    [onNodesChange],
  );

  const rf = useReactFlow();
  // the view fits each project as it opens (a saved viewport is kept), never below a readable
  // zoom: a graph too large for that is shown from where it starts (viewport.ts)
  const box = useRef<HTMLDivElement>(null);
  const latest = useRef({ graph, positions, initialViewport: props.initialViewport });
  latest.current = { graph, positions, initialViewport: props.initialViewport };
  const [ready, setReady] = useState(false);
  useEffect(() => {
    const el = box.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(() => setRoomy(el.clientWidth >= MINIMAP_MIN_WIDTH));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const fitted = useRef<number | undefined>(undefined);
  // the viewport the studio itself set as the project opened: its move is not the user's, and is
  // not reported as a change (opening a project writes nothing into it)
  const fitTo = useRef<Viewport | undefined>(undefined);
  useEffect(() => {
    if (!ready || fitted.current === (props.fitRequest ?? 0)) return;
    fitted.current = props.fitRequest ?? 0;
    const { graph: g, positions: p, initialViewport } = latest.current;
    const el = box.current;
    const v = initialViewport ?? (el && readableViewport(boundsOf(g.nodes.map((n) => ({ ...(p[n.id] ?? { x: 0, y: 0 }), ...nodeSize(n) }))), { width: el.clientWidth, height: el.clientHeight }));
    if (!v) return;
    fitTo.current = v;
    void rf.setViewport(v);
  }, [ready, props.fitRequest, rf]);
  const onMoveEnd = useCallback(
    (_: unknown, v: Viewport) => {
      const fit = fitTo.current;
      fitTo.current = undefined;
      if (fit && sameViewport(fit, v)) return;
      props.onViewportChange(v);
    },
    [props],
  );
    const [dropping, setDropping] = useState(false);
  const menu = (target: CanvasTarget) => (e: { preventDefault(): void; clientX: number; clientY: number }) => {
    if (!props.onContextMenu) return;
    e.preventDefault();
    props.onContextMenu(target, { x: e.clientX, y: e.clientY }, rf.screenToFlowPosition({ x: e.clientX, y: e.clientY }));
  };

  return (
    <div
      ref={box}
      className={`canvas detail-${detail}${dropping ? ' drop-target' : ''}`}
      data-testid="canvas"
      data-detail={detail}
      onDragOver={(e) => {
        if (!props.onDropItem || !e.dataTransfer.types.includes(PALETTE_MIME)) return;
        e.preventDefault();
        e.dataTransfer.dropEffect = 'copy';
        setDropping(true);
      }}
      onDragLeave={() => setDropping(false)}
      onDrop={(e) => {
        setDropping(false);
        const item = e.dataTransfer.getData(PALETTE_MIME);
        if (!item || !props.onDropItem) return;
        e.preventDefault();
        props.onDropItem(item, rf.screenToFlowPosition({ x: e.clientX, y: e.clientY }));
      }}
    >
      <ArrowMarkers />
      <DetailContext.Provider value={detail}>
        <ReactFlow<StudioNode, Edge>
          onNodeContextMenu={(e, n) => menu({ kind: 'node', id: n.id })(e)}
          onEdgeContextMenu={(e, ed) => menu({ kind: 'edge', id: ed.id })(e)}
          onSelectionContextMenu={(e) => menu({ kind: 'selection' })(e)}
          onPaneContextMenu={(e) => menu({ kind: 'pane' })(e as ReactMouseEvent)}
          nodes={nodes}
          edges={edges}
          nodeTypes={nodeTypes}
          edgeTypes={edgeTypes}
          onNodesChange={onNodesChangeFiltered}
          onEdgesChange={(ch) => onEdgesChange(ch.filter((c) => c.type !== 'remove'))}
          onNodeDragStart={onNodeDragStart}
          onNodeDragStop={onNodeDragStop}
          onSelectionChange={onSelection}
          onConnect={onConnect}
          onMoveEnd={onMoveEnd}
          deleteKeyCode={null}
          selectionKeyCode="Shift"
          multiSelectionKeyCode={['Meta', 'Control']}
          defaultViewport={props.initialViewport}
          onInit={() => setReady(true)}
          minZoom={0.05}
          maxZoom={2.5}
          onlyRenderVisibleElements
          proOptions={{ hideAttribution: true }}
        >
          <Background variant={BackgroundVariant.Dots} gap={low ? DOT_GAP * 4 : DOT_GAP} size={low ? 4 : 1} color="#2a3342" />
          {showMinimap && <MiniMap pannable zoomable nodeColor={(n) => MINIMAP_COLORS[n.type ?? ''] ?? '#888'} maskColor="rgba(12,16,22,0.7)" style={{ background: '#141a23', width: 170, height: 110 }} />}
          <Controls showInteractive={false}>
            <ControlButton onClick={() => setMinimapChoice(!showMinimap)} title={showMinimap ? 'Hide the minimap' : `Show the minimap${graph.nodes.length > MINIMAP_MAX_NODES ? ' (off by default above 300 nodes: it slows panning)' : !roomy ? ' (off by default on a narrow canvas)' : ''}`} aria-label="toggle minimap" data-testid="toggle-minimap">
              ▦
            </ControlButton>
          </Controls>
        </ReactFlow>
      </DetailContext.Provider>
    </div>
  );
}

export function useFitView() {
  const rf = useReactFlow();
  return useCallback(() => rf.fitView({ padding: 0.12, duration: 200 }), [rf]);
}
