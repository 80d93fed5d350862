/**
 * Project commands: open or create a project, adopt a new snapshot (drop buffers that now equal
 * the saved file, lay out new nodes), save layout.json, auto-layout. Plain functions over the
 * studio context (store, StudioApi, canvas): tested without React (project.test.ts).
 */
import type { DiagnosticDto, ProjectSnapshot } from '../../cluster/api/contract';
import { rememberRecent } from '../recent';
import { fillFromStatus } from '../panels/runtime-state';
import { fail, type DeployGate, type Positions, type StudioContext } from '../state/studio';

/** A layout.json with positions but the default viewport (a shipped sample) fits the view instead. */
export function hasSavedViewport(layout: ProjectSnapshot['layout']): boolean {
  const v = layout.viewport;
  return Object.keys(layout.nodes).length > 0 && !(v.x === 0 && v.y === 0 && v.zoom === 1);
}

/** Where nodes the layout has no position for go: all laid out when none has one, else right of the rest. */
export function placeMissing(base: Positions, graph: ProjectSnapshot['graph'], laid: Positions): Positions {
  const out = { ...base };
  const missing = graph.nodes.filter((n) => !out[n.id]);
  if (!missing.length) return out;
  if (missing.length === graph.nodes.length) return Object.assign(out, laid);
  // newcomers go right of everything so they never cover existing nodes
  const maxX = Math.max(0, ...Object.values(out).map((p) => p.x));
  let y = 0;
  for (const n of missing) {
    const l = laid[n.id];
    out[n.id] = l && !Object.values(out).some((p) => Math.abs(p.x - l.x) < 200 && Math.abs(p.y - l.y) < 60) ? l : { x: maxX + 320, y: (y += 90) };
  }
  return out;
}

/**
 * The deploy gate once the project changed: the errors it listed that are still in the project
 * (same file, code and message: lines move as code is edited); gone when none is left, so a
 * "nothing was deployed" banner never outlives its errors. Unsaved-file and warning gates stay
 * (they ask a question, answered by its buttons).
 */
export function gateAfter(gate: DeployGate | undefined, before: ProjectSnapshot | undefined, s: ProjectSnapshot): DeployGate | undefined {
  if (!gate?.errors.length || !before) return gate;
  const key = (d: DiagnosticDto) => `${d.file}\n${d.code}\n${d.message}`;
  const errorsOf = (x: ProjectSnapshot) => new Set([...x.diagnostics, ...x.graph.warnings].filter((d) => d.severity === 'error').map(key));
  const was = errorsOf(before);
  const now = errorsOf(s);
  // an error the project showed before and no longer shows is fixed; one only the deploy check finds stays
  const errors = gate.errors.filter((d) => !was.has(key(d)) || now.has(key(d)));
  if (errors.length === gate.errors.length) return gate;
  return errors.length || gate.unsaved.length ? { ...gate, errors } : undefined;
}

/** Takes a new snapshot: drop buffers that now equal the saved file, and lay out new nodes. */
export async function adopt(ctx: StudioContext, s: ProjectSnapshot, fresh = false): Promise<void> {
  const { store } = ctx;
  const buffers: Record<string, string> = {};
  for (const [p, text] of Object.entries(store.getState().buffers)) {
    const f = s.files.find((x) => x.path === p);
    if (f && f.source !== text) buffers[p] = text;
  }
  store.setState((st) => ({ liveGraph: undefined, buffers, deployGate: gateAfter(st.deployGate, st.snap, s), ...(fresh ? {} : { snap: s }) }));
  const base: Positions = fresh ? { ...s.layout.nodes } : { ...store.getState().positions };
  const missing = s.graph.nodes.filter((n) => !base[n.id]).length;
  // a graph laid out afresh is laid out for the canvas' shape; newcomers among placed nodes take
  // their spot in the plain layered layout (the one the others were placed by) when it is free
  const aspect = missing === s.graph.nodes.length ? ctx.canvasAspect?.() : undefined;
  const positions = missing ? placeMissing(base, s.graph, await ctx.layout(s.graph, aspect)) : base;
  // a freshly opened project shows up once laid out, never as a pile of nodes at (0,0)
  store.setState({ positions, ...(fresh ? { snap: s } : {}) });
}

/** Opens a project (or adopts one just created): what belonged to the project open before goes. */
export async function openProject(ctx: StudioContext, dir: string, opened?: ProjectSnapshot): Promise<void> {
  const { store } = ctx;
  store.setState({ busy: `Opening ${dir} …` });
  try {
    // a pan or zoom of the project open now is saved to it before another one takes the canvas
    await flushViewport(ctx);
    const s = opened ?? (await ctx.call('project.open', { dir }));
    globalThis.performance?.mark?.('studio:opened');
    const before = store.getState();
    const sameWorkflow = before.snap?.workflow.name === s.workflow.name;
    store.setState({
      session: before.session + 1,
      buffers: {},
      liveDiagnostics: {},
      liveGraph: undefined,
      simPlacements: undefined,
      deployGate: undefined,
      reveal: undefined,
      projectMenu: false,
      recent: rememberRecent(s.dir),
      undo: [],
      redo: [],
      // the placements shown were the other workflow's
      ...(sameWorkflow ? {} : { rt: { ...before.rt, deploy: {} } }),
    });
    await adopt(ctx, s, true);
    globalThis.performance?.mark?.('studio:laid-out');
    fillFromStatus(ctx);
    store.setState((st) => ({
      // the canvas fits its view to the project just opened
      fitRequest: st.fitRequest + 1,
      selection: { nodes: [], edges: [] },
      openPath: s.files.find((f) => f.path.startsWith('functions/'))?.path,
      projectInput: s.dir,
    }));
    if (typeof document !== 'undefined') document.title = `${s.name} — Edge AI Studio`;
  } catch (e) {
    fail(ctx, 'Could not open the project', e);
  } finally {
    store.setState({ busy: undefined });
  }
}

export async function createProject(ctx: StudioContext, dir: string): Promise<void> {
  ctx.store.setState({ busy: `Creating ${dir} …` });
  try {
    const s = await ctx.call('project.create', { dir });
    await openProject(ctx, s.dir, s);
  } catch (e) {
    fail(ctx, 'Could not create the project', e);
  } finally {
    ctx.store.setState({ busy: undefined });
  }
}

/** Another window (or the CLI) changed the project on disk: take its snapshot, unless another project is open by then. */
export async function projectChanged(ctx: StudioContext, project: string): Promise<void> {
  if (ctx.store.getState().snap?.dir !== project) return;
  try {
    const s = await ctx.call('project.snapshot', { project });
    if (ctx.store.getState().snap?.dir === s.dir) await adopt(ctx, s);
  } catch {
    /* the next change brings it */
  }
}

/** How long the view rests before its pan or zoom is saved to layout.json. */
export const VIEWPORT_SAVE_MS = 1500;

/** A pan or zoom not saved yet, per studio: the project it belongs to and the timer that saves it. */
const pendingViewport = new WeakMap<StudioContext, { dir: string; timer: ReturnType<typeof setTimeout> }>();

/**
 * The view was panned or zoomed: saved to the open project's layout.json once it rests. The save
 * belongs to the project open now — opening another one first saves it there (flushViewport),
 * never into the next project, and never lost.
 */
export function viewportMoved(ctx: StudioContext): void {
  const dir = ctx.store.getState().snap?.dir;
  if (!dir) return;
  clearTimeout(pendingViewport.get(ctx)?.timer);
  pendingViewport.set(ctx, { dir, timer: setTimeout(() => void flushViewport(ctx), VIEWPORT_SAVE_MS) });
}

/** Saves a pan or zoom still waiting (to the project it was made in, while that one is open). */
export async function flushViewport(ctx: StudioContext): Promise<void> {
  const p = pendingViewport.get(ctx);
  if (!p) return;
  clearTimeout(p.timer);
  pendingViewport.delete(ctx);
  const st = ctx.store.getState();
  if (st.snap?.dir !== p.dir || !Object.keys(st.snap.layout.nodes).length) return;
  await saveLayout(ctx, st.positions);
}

/** Saves positions (of the nodes the graph has) and the viewport to layout.json. */
export async function saveLayout(ctx: StudioContext, next: Positions): Promise<void> {
  const s = ctx.store.getState().snap;
  if (!s) return;
  const known = new Set(s.graph.nodes.map((n) => n.id));
  const nodes = Object.fromEntries(Object.entries(next).filter(([k]) => known.has(k)));
  try {
    await ctx.call('layout.save', { project: s.dir, layout: { nodes, viewport: ctx.flow()?.getViewport() ?? s.layout.viewport } });
  } catch (e) {
    fail(ctx, 'layout.json not saved', e);
  }
}

/** Moves a node that was just added to where it was dropped (or right-clicked), and saves the layout. */
export async function placeNode(ctx: StudioContext, id: string, at: { x: number; y: number } | undefined): Promise<void> {
  if (!at) return;
  const next = { ...ctx.store.getState().positions, [id]: { x: Math.round(at.x), y: Math.round(at.y) } };
  ctx.store.setState({ positions: next });
  await saveLayout(ctx, next);
}

/** Line number (1-based) of an offset in a text. */
export function lineOf(text: string, offset: number): number {
  let n = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

/** Opens a file in the code tab, at a line when given. */
export function openCode(ctx: StudioContext, file: string, line?: number, endLine?: number): void {
  ctx.store.setState({ bottomTab: 'code', openPath: file, ...(line ? { reveal: { path: file, line, ...(endLine ? { endLine } : {}), nonce: Date.now() } } : {}) });
}
