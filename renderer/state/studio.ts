/**
 * The studio's state in one store: the open project (snapshot, unsaved buffers, live graph and
 * diagnostics), the canvas (positions, selection), undo/redo, the panels (tab, menus, gates), the
 * local cluster's runtime view and the simulation shown on the canvas. Components select slices
 * of it with useStudio; the commands (renderer/commands/) change it with plain functions.
 */
import { createContext, useContext } from 'react';
import type { ApiError, ClusterStatusDto, DeployMode, DeployResultDto, DiagnosticDto, GraphDto, MethodName, MethodRequest, MethodResponse, ProjectSnapshot } from '../../cluster/api/contract';
import type { ContextMenuState } from '../canvas/ContextMenu';
import type { ToastItem } from '../panels/Toast';
import { createStore, useStore, type Store } from './store';

export type Positions = Record<string, { x: number; y: number }>;

export type Change = { kind: 'file'; path: string; before: string | null; after: string | null } | { kind: 'layout'; before: Positions; after: Positions };
export interface UndoEntry {
  label: string;
  changes: Change[];
}
export type Clip = { functions: Array<{ id: string; source: string }>; dataSources: Array<Record<string, unknown>>; triggers: ProjectSnapshot['workflow']['triggers'] };

export type BottomTabId = 'code' | 'problems' | 'table' | 'simulate' | 'deploy' | 'cluster' | 'runs' | 'artifacts';

export interface DeployGate {
  unsaved: string[];
  warnings: DiagnosticDto[];
  errors: DiagnosticDto[];
}

export type FnDeployStatus = 'queued' | 'scheduled' | 'shipped' | 'started' | 'ready' | 'failed';
export interface FnDeployState {
  status: FnDeployStatus;
  node: string | null;
  reason?: string;
  /** what the last deploy did to it: shipped new code, kept it as it was, or restarted it */
  action?: 'deployed' | 'unchanged' | 'restarted';
  /** when this step began (ms since epoch), for "waiting for … 12 s" */
  since: number;
}
export interface LogLine {
  run: string;
  /** the workflow of the run (the Deploy panel shows the open workflow's lines only) */
  workflow: string;
  fn: string;
  line: string;
  at: number;
}

/** The renderer's view of the local edge cluster (fed by runtime events and cluster.status). */
export interface RuntimeState {
  status?: ClusterStatusDto;
  deploy: Record<string, FnDeployState>;
  deploying: boolean;
  lastDeploy?: DeployResultDto;
  progress?: string;
  logs: LogLine[];
  runsVersion: number;
  /** changed-only by default: unchanged functions keep their node and warm workers */
  mode: DeployMode;
}

export interface SimPlacements {
  profile: string;
  placements: Record<string, { node: string | null; status: string }>;
}

export interface Reveal {
  path: string;
  line: number;
  endLine?: number;
  nonce: number;
}

export interface StudioState {
  snap?: ProjectSnapshot;
  positions: Positions;
  selection: { nodes: string[]; edges: string[] };
  openPath?: string;
  /** unsaved editor buffers, path → text (only those that differ from the saved file) */
  buffers: Record<string, string>;
  reveal?: Reveal;
  toasts: ToastItem[];
  busy?: string;
  bottomTab: BottomTabId;
  /** the Simulate panel stays mounted once opened: its form and last answer survive tab switches */
  simulateOpened: boolean;
  /** where a simulation placed each function, shown on the canvas instead of the cluster's until hidden or a deploy */
  simPlacements?: SimPlacements;
  menu?: ContextMenuState;
  /** the Cluster panel's placement explanation, asked for from a node's context menu */
  explainRequest?: { fn: string; nonce: number };
  /** an edge drawn onto a function whose input of that kind is connected: add another input, or replace it? */
  connectChoice?: { producer: string; consumer: string; message: string; canReplace: boolean };
  /** the invoke console's function, asked for by the next-steps guide ("Try classify") */
  invokeRequest?: { fn: string; nonce: number };
  deployGate?: DeployGate;
  liveDiagnostics: Record<string, DiagnosticDto[]>;
  /** the graph as it would be with the buffer being typed saved (the last one without errors) */
  liveGraph?: { path: string; graph: GraphDto };
  projectInput: string;
  projectMenu: boolean;
  /** counts project openings: the code editor starts its models afresh at each */
  session: number;
  /** counts the fits asked for (a project opened or created): the canvas fits its view at each */
  fitRequest: number;
  recent: string[];
  undo: UndoEntry[];
  redo: UndoEntry[];
  clip?: Clip;
  editorWanted: boolean;
  /**
   * true once the first screen is up and idle (App's useFirstStatus): what needs the service's
   * runtime (the cluster's status, the next-steps guide) is asked for from then on. The runtime's
   * first load takes the service a second or more of CPU, which must not compete with the first
   * screen's render on a small machine.
   */
  runtimeWanted: boolean;
  /** false once the connection to the studio service is lost (browser mode: the server stopped) */
  connected: boolean;
  rt: RuntimeState;
}

export type StudioStore = Store<StudioState>;

export function initialRuntime(): RuntimeState {
  return { deploy: {}, deploying: false, logs: [], runsVersion: 0, mode: 'changed' };
}

export function createStudioStore(init: Partial<StudioState> = {}): StudioStore {
  return createStore<StudioState>({
    positions: {},
    selection: { nodes: [], edges: [] },
    buffers: {},
    toasts: [],
    bottomTab: 'code',
    simulateOpened: false,
    liveDiagnostics: {},
    projectInput: '',
    projectMenu: false,
    session: 0,
    fitRequest: 0,
    recent: [],
    undo: [],
    redo: [],
    editorWanted: false,
    runtimeWanted: false,
    connected: true,
    rt: initialRuntime(),
    ...init,
  });
}

/** A StudioApi call (the renderer's `call`, or a fake in unit tests). */
export type CallFn = <M extends MethodName>(method: M, params: MethodRequest<M>) => Promise<MethodResponse<M>>;

/** What of React Flow the commands use (fit, pan, the viewport saved in layout.json). */
export interface FlowLike {
  getViewport(): { x: number; y: number; zoom: number };
  fitView(o?: { padding?: number; duration?: number }): unknown;
  setCenter(x: number, y: number, o?: { zoom?: number; duration?: number }): unknown;
  getZoom(): number;
}

/** Everything a command needs: the store, the StudioApi, the canvas and the layout engine. */
export interface StudioContext {
  store: StudioStore;
  call: CallFn;
  flow(): FlowLike | undefined;
  layout(graph: GraphDto, aspect?: number): Promise<Positions>;
  /** turns a thrown value into what the user is shown */
  errorOf(e: unknown): ApiError;
  /** the canvas' width / height, when it is on screen */
  canvasAspect?(): number | undefined;
}

let toastId = 1;
/** Shows a toast for a while (errors longer). */
export function toast(store: StudioStore, t: Omit<ToastItem, 'id'>): void {
  const id = toastId++;
  store.setState((s) => ({ toasts: [...s.toasts.slice(-3), { ...t, id }] }));
  globalThis.setTimeout(() => store.setState((s) => ({ toasts: s.toasts.filter((x) => x.id !== id) })), t.kind === 'error' ? 12000 : 3500);
}

export function fail(ctx: StudioContext, title: string, e: unknown): void {
  toast(ctx.store, { kind: 'error', title, error: ctx.errorOf(e) });
}

/** The runtime slice, merged. */
export function setRuntime(store: StudioStore, patch: Partial<RuntimeState> | ((rt: RuntimeState) => Partial<RuntimeState>)): void {
  store.setState((s) => ({ rt: { ...s.rt, ...(typeof patch === 'function' ? patch(s.rt) : patch) } }));
}

export const StudioReact = createContext<StudioContext | undefined>(undefined);

export function useStudioContext(): StudioContext {
  const c = useContext(StudioReact);
  if (!c) throw new Error('useStudio outside the studio');
  return c;
}

/** A slice of the studio's state, re-rendering when it changes. */
export function useStudio<U>(select: (s: StudioState) => U): U {
  return useStore(useStudioContext().store, select);
}
