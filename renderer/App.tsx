/**
 * The studio window: palette | canvas over code | inspector, with problems and a status bar.
 * Every change goes through the StudioApi and lands on one undo stack (file contents before and
 * after, and node positions), so undo/redo covers canvas, inspector, palette and saves alike.
 */
import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ReactFlowProvider, useReactFlow, type Viewport } from '@xyflow/react';
import type { DecoratorPatchDto, DeployResultDto, DiagnosticDto, FunctionSpecDto, GraphDto, ProjectSnapshot } from '../cluster/api/contract';
import { call, errorOf, studio } from './api';
import { Canvas, type CanvasTarget, type Positions } from './canvas/Canvas';
import { ContextMenu, type ContextMenuState, type MenuItem } from './canvas/ContextMenu';
import { NodeTable } from './panels/NodeTable';
import { BottomTabs } from './panels/BottomTabs';
import { autoLayout } from './canvas/layout';
import { Inspector } from './inspector/Inspector';
import { Palette, PALETTE, type PaletteHandle, type PaletteItem } from './panels/Palette';
import { Toasts, type ToastItem } from './panels/Toast';
import { ArtifactsPanel, ClusterPanel, DeployPanel, RunsPanel, type DeployGate } from './panels/RuntimePanels';
import { ProjectMenu } from './ProjectMenu';
import { readRecent, rememberRecent } from './recent';
import { useRuntime, type FnDeployState } from './panels/runtime-state';

// Monaco is large: the canvas becomes interactive first, the editor streams in after
const CodeEditor = lazy(() => import('./editor/CodeEditor').then((m) => ({ default: m.CodeEditor })));
// loaded with the Simulate tab, not with the first screen
const SimulatePanel = lazy(() => import('./panels/SimulatePanel').then((m) => ({ default: m.SimulatePanel })));

type Change = { kind: 'file'; path: string; before: string | null; after: string | null } | { kind: 'layout'; before: Positions; after: Positions };
interface UndoEntry {
  label: string;
  changes: Change[];
}
type Clip = { functions: Array<{ id: string; source: string }>; dataSources: Array<Record<string, unknown>>; triggers: ProjectSnapshot['workflow']['triggers'] };

export function App({ initialProject, initialSnapshot }: { initialProject?: string; initialSnapshot?: ProjectSnapshot }) {
  return (
    <ReactFlowProvider>
      <Studio initialProject={initialProject} initialSnapshot={initialSnapshot} />
    </ReactFlowProvider>
  );
}

function isTyping(el: EventTarget | null): boolean {
  const e = el as HTMLElement | null;
  return !!e?.closest?.('input, textarea, select, [contenteditable="true"], .monaco-editor');
}

/** A layout.json with positions but the default viewport (a shipped sample) fits the view instead. */
function hasSavedViewport(layout: ProjectSnapshot['layout']): boolean {
  const v = layout.viewport;
  return Object.keys(layout.nodes).length > 0 && !(v.x === 0 && v.y === 0 && v.zoom === 1);
}

function lineOf(text: string, offset: number): number {
  let n = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

function Studio({ initialProject, initialSnapshot }: { initialProject?: string; initialSnapshot?: ProjectSnapshot }) {
  const rf = useReactFlow();
  const [snap, setSnapState] = useState<ProjectSnapshot | undefined>();
  const snapRef = useRef<ProjectSnapshot | undefined>(undefined);
  const setSnap = useCallback((s: ProjectSnapshot) => {
    snapRef.current = s;
    setSnapState(s);
  }, []);
  const [positions, setPositions] = useState<Positions>({});
  const positionsRef = useRef(positions);
  positionsRef.current = positions;
  const [selection, setSelection] = useState<{ nodes: string[]; edges: string[] }>({ nodes: [], edges: [] });
  const [openPath, setOpenPath] = useState<string | undefined>();
  const [buffers, setBuffers] = useState<Record<string, string>>({});
  const buffersRef = useRef(buffers);
  buffersRef.current = buffers;
  const [reveal, setReveal] = useState<{ path: string; line: number; endLine?: number; nonce: number } | undefined>();
  const [toasts, setToasts] = useState<ToastItem[]>([]);
  const [busy, setBusy] = useState<string | undefined>();
  const [bottomTab, setBottomTab] = useState<'code' | 'problems' | 'table' | 'simulate' | 'deploy' | 'cluster' | 'runs' | 'artifacts'>('code');
  // the Simulate panel stays mounted once opened: its form and last answer survive tab switches
  const [simulateOpened, setSimulateOpened] = useState(false);
  // where a simulation's scheduler placed each function, shown on the canvas instead of the cluster's placements until hidden or a deploy
  const [simPlacements, setSimPlacements] = useState<{ profile: string; placements: Record<string, { node: string | null; status: string }> }>();
  useEffect(() => {
    if (bottomTab === 'simulate') setSimulateOpened(true);
  }, [bottomTab]);
  const [menu, setMenu] = useState<ContextMenuState | undefined>();
  // the Cluster panel's placement explanation, asked for from a node's context menu
  const [explainRequest, setExplainRequest] = useState<{ fn: string; nonce: number } | undefined>();
  const rt = useRuntime(snap?.workflow.name);
  // Monaco (several MB) mounts once the canvas has painted and the page is idle, so it never
  // delays the first interactive frame; its typings follow it
  const [editorWanted, setEditorWanted] = useState(false);
  useEffect(() => {
    if (!snap || editorWanted) return;
    const w = window as Window & { requestIdleCallback?: (cb: () => void, o?: { timeout: number }) => number; cancelIdleCallback?: (h: number) => void };
    const go = () => setEditorWanted(true);
    if (w.requestIdleCallback) {
      const h = w.requestIdleCallback(go, { timeout: 1500 });
      return () => w.cancelIdleCallback?.(h);
    }
    const t = window.setTimeout(go, 200);
    return () => window.clearTimeout(t);
  }, [snap, editorWanted]);
  useEffect(() => {
    if (!editorWanted) return;
    call('sdk.typings', {})
      .then((t) => import('./editor/monaco').then((m) => m.installTypings(t.files)))
      .catch(() => undefined);
  }, [editorWanted]);
  const [deployGate, setDeployGate] = useState<DeployGate | undefined>();
  const [liveDiagnostics, setLiveDiagnostics] = useState<Record<string, DiagnosticDto[]>>({});
  // the graph as it would be with the buffer being typed saved (the canvas follows typing); the
  // last one without errors is kept while the code is mid-edit, so nodes don't flicker away
  const [liveGraph, setLiveGraph] = useState<{ path: string; graph: GraphDto } | undefined>();
  const [projectInput, setProjectInput] = useState(initialProject ?? '');
  const [projectMenu, setProjectMenu] = useState(false);
  // counts project openings: the code editor starts its models afresh at each
  const [session, setSession] = useState(0);
  const [recent, setRecent] = useState<string[]>(() => readRecent());
  const [undoState, setUndoState] = useState({ undo: 0, redo: 0, label: '' });
  const undo = useRef<UndoEntry[]>([]);
  const redo = useRef<UndoEntry[]>([]);
  const clip = useRef<Clip | undefined>(undefined);
  const viewportTimer = useRef<number | undefined>(undefined);
  const paletteRef = useRef<PaletteHandle>(null);
  const toastId = useRef(1);

  const toast = useCallback((t: Omit<ToastItem, 'id'>) => {
    const id = toastId.current++;
    setToasts((ts) => [...ts.slice(-3), { ...t, id }]);
    window.setTimeout(() => setToasts((ts) => ts.filter((x) => x.id !== id)), t.kind === 'error' ? 12000 : 3500);
  }, []);
  const fail = useCallback((title: string, e: unknown) => toast({ kind: 'error', title, error: errorOf(e) }), [toast]);

  const syncUndo = () => setUndoState({ undo: undo.current.length, redo: redo.current.length, label: undo.current[undo.current.length - 1]?.label ?? '' });
  const record = (entry: UndoEntry) => {
    undo.current.push(entry);
    if (undo.current.length > 200) undo.current.shift();
    redo.current = [];
    syncUndo();
  };

  /** Takes a new snapshot: drop buffers that now equal the saved file, and lay out new nodes. */
  const adopt = useCallback(
    async (s: ProjectSnapshot, fresh = false) => {
      setLiveGraph(undefined);
      if (!fresh) setSnap(s);
      setBuffers((b) => {
        const next: Record<string, string> = {};
        for (const [p, text] of Object.entries(b)) {
          const f = s.files.find((x) => x.path === p);
          if (f && f.source !== text) next[p] = text;
        }
        return next;
      });
      const base: Positions = fresh ? { ...s.layout.nodes } : { ...positionsRef.current };
      const missing = s.graph.nodes.filter((n) => !base[n.id]);
      if (missing.length) {
        const laid = await autoLayout(s.graph);
        if (missing.length === s.graph.nodes.length) Object.assign(base, laid);
        else {
          // place newcomers right of everything so they never cover existing nodes
          const maxX = Math.max(0, ...Object.values(base).map((p) => p.x));
          let y = 0;
          for (const n of missing) {
            base[n.id] = laid[n.id] && !Object.values(base).some((p) => Math.abs(p.x - laid[n.id].x) < 200 && Math.abs(p.y - laid[n.id].y) < 60) ? laid[n.id] : { x: maxX + 320, y: (y += 90) };
          }
        }
      }
      positionsRef.current = base; // what follows in the same task (placeNode) builds on it
      setPositions(base);
      // a freshly opened project shows up once laid out, never as a pile of nodes at (0,0)
      if (fresh) setSnap(s);
    },
    [setSnap],
  );

  const openProject = useCallback(
    async (dir: string, opened?: ProjectSnapshot) => {
      setBusy(`Opening ${dir} …`);
      try {
        const s = opened ?? (await call('project.open', { dir }));
        performance.mark('studio:opened');
        // what belonged to the project open before (the menu asked about unsaved changes first)
        setSession((n) => n + 1);
        setBuffers({});
        setLiveDiagnostics({});
        setLiveGraph(undefined);
        setSimPlacements(undefined);
        setDeployGate(undefined);
        setReveal(undefined);
        setProjectMenu(false);
        setRecent(rememberRecent(s.dir));
        undo.current = [];
        redo.current = [];
        syncUndo();
        const switching = !!snapRef.current && snapRef.current.dir !== s.dir;
        await adopt(s, true);
        performance.mark('studio:laid-out');
        // React Flow takes the initial viewport only when it mounts: another project brings its own
        if (switching) {
          window.requestAnimationFrame(() => {
            if (hasSavedViewport(s.layout)) void rf.setViewport(s.layout.viewport);
            else void rf.fitView({ padding: 0.12 });
          });
        }
        setSelection({ nodes: [], edges: [] });
        setOpenPath(s.files.find((f) => f.path.startsWith('functions/'))?.path);
        setProjectInput(s.dir);
        document.title = `${s.name} — Edge AI Studio`;
      } catch (e) {
        fail('Could not open the project', e);
      } finally {
        setBusy(undefined);
      }
    },
    [adopt, fail, rf],
  );

  const createProject = useCallback(
    async (dir: string) => {
      setBusy(`Creating ${dir} …`);
      try {
        const s = await call('project.create', { dir });
        await openProject(s.dir, s);
      } catch (e) {
        fail('Could not create the project', e);
      } finally {
        setBusy(undefined);
      }
    },
    [openProject, fail],
  );

  useEffect(() => {
    if (initialProject) void openProject(initialProject, initialSnapshot);
    const offChanged = studio().on('project.changed', (e) => {
      const me = (studio() as { clientId?: string }).clientId;
      if (!snapRef.current || e.project !== snapRef.current.dir || (me && e.origin === me)) return;
      // (another project may have been opened by the time it answers)
      call('project.snapshot', { project: e.project }).then(
        (s) => (snapRef.current?.dir === s.dir ? adopt(s) : undefined),
        () => undefined,
      );
    });
    const offProgress = studio().on('progress', (p) => {
      if (p.error) toast({ kind: 'error', title: p.title, error: p.error });
      else setBusy(p.finished ? undefined : `${p.title}${p.total ? ` ${p.done}/${p.total}` : ''}${p.message ? ` — ${p.message}` : ''}`);
    });
    return () => {
      offChanged();
      offProgress();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  // -------------------------------------------------------------------------------------------
  // edits

  const revisionOf = (path: string) => snapRef.current?.files.find((f) => f.path === path)?.revision ?? 0;

  const showEdit = useCallback((path: string, source: string, change: { start: number; text: string }) => {
    setOpenPath(path);
    setBottomTab('code');
    const line = lineOf(source, change.start);
    setReveal({ path, line, endLine: lineOf(source, change.start + change.text.length) + 1, nonce: Date.now() });
  }, []);

  const refuseIfDirty = (path: string): boolean => {
    const b = buffersRef.current[path];
    if (b !== undefined && b !== snapRef.current?.files.find((f) => f.path === path)?.source) {
      toast({ kind: 'error', title: 'Unsaved changes', error: { code: 'unsaved', message: `${path} has unsaved changes in the editor`, hint: 'save them (Ctrl/Cmd+S) first, so the edit applies to what you see' } });
      setOpenPath(path);
      return true;
    }
    return false;
  };

  const patchDecorators = useCallback(
    async (fn: FunctionSpecDto, patch: DecoratorPatchDto, label: string) => {
      const s = snapRef.current;
      if (!s || refuseIfDirty(fn.file)) return false;
      try {
        const r = await call('decorators.edit', { project: s.dir, path: fn.file, functionId: fn.id, patch, expectedRevision: revisionOf(fn.file) });
        record({ label, changes: [{ kind: 'file', path: r.path, before: r.before, after: r.source }] });
        await adopt(r.snapshot);
        showEdit(r.path, r.source, r.change);
        return true;
      } catch (e) {
        fail(`Could not change ${fn.id}`, e);
        return false;
      }
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [adopt, fail, showEdit],
  );

  const saveWorkflow = useCallback(
    async (workflow: ProjectSnapshot['workflow'], label: string) => {
      const s = snapRef.current;
      if (!s) return false;
      try {
        const r = await call('workflow.save', { project: s.dir, workflow, expectedRevision: revisionOf('workflow.json') });
        const after = r.snapshot.files.find((f) => f.path === 'workflow.json')?.source ?? null;
        record({ label, changes: [{ kind: 'file', path: 'workflow.json', before: r.before, after }] });
        await adopt(r.snapshot);
        return true;
      } catch (e) {
        fail('workflow.json not saved', e);
        return false;
      }
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [adopt, fail],
  );

  /** Writes (or, with null, deletes) a file at its current revision; returns the new snapshot. */
  const putFile = async (path: string, content: string | null): Promise<ProjectSnapshot> => {
    const s = snapRef.current!;
    if (content === null) return (await call('project.files.delete', { project: s.dir, path, expectedRevision: revisionOf(path) })).snapshot;
    return (await call('project.files.write', { project: s.dir, path, source: content, expectedRevision: revisionOf(path) })).snapshot;
  };

  const saveLayout = useCallback(async (next: Positions) => {
    const s = snapRef.current;
    if (!s) return;
    const known = new Set(s.graph.nodes.map((n) => n.id));
    const nodes = Object.fromEntries(Object.entries(next).filter(([k]) => known.has(k)));
    try {
      await call('layout.save', { project: s.dir, layout: { nodes, viewport: rf.getViewport() } });
    } catch (e) {
      fail('layout.json not saved', e);
    }
  }, [rf, fail]);

  const applyChanges = async (changes: Change[], dir: 'before' | 'after') => {
    let s: ProjectSnapshot | undefined;
    for (const c of dir === 'before' ? [...changes].reverse() : changes) {
      if (c.kind === 'file') s = await putFile(c.path, c[dir]);
      else {
        const next = { ...positionsRef.current, ...c[dir] };
        setPositions(next);
        await saveLayout(next);
      }
    }
    if (s) await adopt(s);
  };

  const doUndo = async () => {
    const e = undo.current.pop();
    if (!e) return;
    try {
      await applyChanges(e.changes, 'before');
      redo.current.push(e);
      toast({ kind: 'info', title: `Undid: ${e.label}` });
    } catch (err) {
      fail(`Could not undo ${e.label}`, err);
    }
    syncUndo();
  };
  const doRedo = async () => {
    const e = redo.current.pop();
    if (!e) return;
    try {
      await applyChanges(e.changes, 'after');
      undo.current.push(e);
      toast({ kind: 'info', title: `Redid: ${e.label}` });
    } catch (err) {
      fail(`Could not redo ${e.label}`, err);
    }
    syncUndo();
  };

  const saveFile = useCallback(
    async (path: string) => {
      const s = snapRef.current;
      const text = buffersRef.current[path];
      if (!s || text === undefined) return;
      try {
        const r = await call('project.files.write', { project: s.dir, path, source: text, expectedRevision: revisionOf(path) });
        record({ label: `save ${path}`, changes: [{ kind: 'file', path, before: r.before, after: text }] });
        await adopt(r.snapshot);
        toast({ kind: 'success', title: `Saved ${path}` });
      } catch (e) {
        fail(`${path} not saved`, e);
      }
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [adopt, fail, toast],
  );

  const connectNodes = useCallback(
    async (producer: string, consumer: string) => {
      const s = snapRef.current;
      if (!s) return;
      const f = s.functions.find((x) => `fn:${x.id}` === consumer);
      if (f && refuseIfDirty(f.file)) return;
      try {
        const r = await call('graph.connect', { project: s.dir, producer, consumer });
        record({ label: `connect ${producer} → ${consumer}`, changes: [{ kind: 'file', path: r.path, before: r.before, after: r.source }] });
        await adopt(r.snapshot);
        showEdit(r.path, r.source, r.change);
      } catch (e) {
        toast({ kind: 'error', title: 'Connection refused', error: errorOf(e) });
      }
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [adopt, showEdit, toast],
  );

  const deleteSelection = async () => {
    const s = snapRef.current;
    if (!s) return;
    const changes: Change[] = [];
    let current = s;
    const refusals: string[] = [];
    // consumes edges, highest input first so the others keep their ids
    const edges = selection.edges.map((id) => current.graph.edges.find((e) => e.id === id)).filter((e): e is NonNullable<typeof e> => !!e);
    edges.sort((a, b) => (b.input ?? 0) - (a.input ?? 0));
    try {
      for (const e of edges) {
        if (e.kind !== 'consumes') {
          refusals.push(`a ${e.kind} edge follows from the code and workflow.json: remove the decorator or the trigger instead`);
          continue;
        }
        const f = current.functions.find((x) => `fn:${x.id}` === e.target);
        if (f && refuseIfDirty(f.file)) return;
        const r = await call('graph.disconnect', { project: s.dir, edgeId: e.id });
        changes.push({ kind: 'file', path: r.path, before: r.before, after: r.source });
        current = r.snapshot;
      }
      let workflow = current.workflow;
      let workflowChanged = false;
      for (const id of selection.nodes) {
        const n = current.graph.nodes.find((x) => x.id === id);
        if (!n) continue;
        if (n.kind === 'function') {
          const fn = current.functions.find((x) => `fn:${x.id}` === id)!;
          if (current.functions.filter((x) => x.file === fn.file).length > 1) {
            refusals.push(`${fn.id} shares ${fn.file} with other functions: delete its method in the code`);
            continue;
          }
          const rev = current.files.find((x) => x.path === fn.file)?.revision ?? 0;
          const r = await call('project.files.delete', { project: s.dir, path: fn.file, expectedRevision: rev });
          changes.push({ kind: 'file', path: fn.file, before: r.before, after: null });
          current = r.snapshot;
        } else if (n.kind === 'data-source') {
          workflow = { ...workflow, dataSources: workflow.dataSources.filter((d) => d.urn !== n.detail.urn) };
          workflowChanged = true;
        } else if (n.kind === 'trigger') {
          workflow = { ...workflow, triggers: workflow.triggers.filter((t) => t.id !== n.detail.trigger?.id) };
          workflowChanged = true;
        } else {
          refusals.push(`${n.label} is ${n.kind === 'gate' ? 'a gate: remove it in the function inspector' : 'produced by a function: remove its @produces decorator'}`);
        }
      }
      if (workflowChanged) {
        const rev = current.files.find((x) => x.path === 'workflow.json')?.revision ?? 0;
        const r = await call('workflow.save', { project: s.dir, workflow, expectedRevision: rev });
        changes.push({ kind: 'file', path: 'workflow.json', before: r.before, after: r.snapshot.files.find((f) => f.path === 'workflow.json')?.source ?? null });
        current = r.snapshot;
      }
    } catch (e) {
      fail('Delete stopped', e);
    }
    if (changes.length) {
      record({ label: `delete ${changes.length === 1 ? 'selection' : `${changes.length} items`}`, changes });
      await adopt(current);
      setSelection({ nodes: [], edges: [] });
    }
    if (refusals.length) toast({ kind: 'error', title: 'Some items were not deleted', error: { code: 'refused', message: refusals.join('\n') } });
  };

  const uniqueFnId = (base: string) => {
    const s = snapRef.current!;
    const taken = new Set([...s.functions.map((f) => f.id), ...s.files.map((f) => f.path.replace(/^functions\/|\.ts$/g, ''))]);
    let id = base;
    for (let i = 2; taken.has(id); i++) id = `${base}${i}`;
    return id;
  };

  const copySelection = (): Clip | undefined => {
    const s = snapRef.current;
    if (!s || !selection.nodes.length) return undefined;
    const c: Clip = { functions: [], dataSources: [], triggers: [] };
    for (const id of selection.nodes) {
      const fn = s.functions.find((f) => `fn:${f.id}` === id);
      if (fn) {
        const src = s.files.find((f) => f.path === fn.file)?.source;
        if (src) c.functions.push({ id: fn.id, source: src });
      }
      const ds = s.workflow.dataSources.find((d) => `source:${d.urn}` === id);
      if (ds) c.dataSources.push(ds);
      const t = s.workflow.triggers.find((x) => `trigger:${x.id}` === id);
      if (t) c.triggers.push(t);
    }
    clip.current = c;
    const n = c.functions.length + c.dataSources.length + c.triggers.length;
    if (n) toast({ kind: 'info', title: `Copied ${n} item${n === 1 ? '' : 's'}` });
    return c;
  };

  const paste = async (c: Clip | undefined = clip.current) => {
    const s = snapRef.current;
    if (!s || !c) return;
    const changes: Change[] = [];
    let current = s;
    try {
      for (const f of c.functions) {
        const id = uniqueFnId(`${f.id}Copy`);
        const source = f.source.replace(new RegExp(`(\\b(?:async\\s+)?)${f.id}(\\s*\\()`), `$1${id}$2`).replace(/export class (\w+)/, (_m, cls: string) => `export class ${cls}${id.slice(f.id.length)}`);
        const path = `functions/${id}.ts`;
        const r = await call('project.files.write', { project: s.dir, path, source, expectedRevision: 0 });
        changes.push({ kind: 'file', path, before: null, after: source });
        current = r.snapshot;
      }
      if (c.dataSources.length || c.triggers.length) {
        const urns = new Set(current.workflow.dataSources.map((d) => String(d.urn)));
        const ids = new Set(current.workflow.triggers.map((t) => t.id));
        const fresh = (base: string, taken: Set<string>) => {
          let v = `${base}-copy`;
          for (let i = 2; taken.has(v); i++) v = `${base}-copy${i}`;
          taken.add(v);
          return v;
        };
        const workflow = {
          ...current.workflow,
          dataSources: [...current.workflow.dataSources, ...c.dataSources.map((d) => ({ ...d, urn: fresh(String(d.urn), urns) }))],
          triggers: [...current.workflow.triggers, ...c.triggers.map((t) => ({ ...t, id: fresh(t.id, ids) }))],
        };
        const r = await call('workflow.save', { project: s.dir, workflow, expectedRevision: current.files.find((x) => x.path === 'workflow.json')?.revision ?? 0 });
        changes.push({ kind: 'file', path: 'workflow.json', before: r.before, after: r.snapshot.files.find((f) => f.path === 'workflow.json')?.source ?? null });
        current = r.snapshot;
      }
    } catch (e) {
      fail('Paste stopped', e);
    }
    if (changes.length) {
      record({ label: 'paste', changes });
      await adopt(current);
    }
  };

  /** Moves a node that was just added to where it was dropped (or right-clicked), and saves the layout. */
  const placeNode = async (id: string, at: { x: number; y: number } | undefined) => {
    if (!at) return;
    const next = { ...positionsRef.current, [id]: { x: Math.round(at.x), y: Math.round(at.y) } };
    positionsRef.current = next;
    setPositions(next);
    await saveLayout(next);
  };

  const addFromPalette = async (item: PaletteItem, name: string, at?: { x: number; y: number }) => {
    const s = snapRef.current;
    if (!s) return;
    if (item.kind === 'function') {
      try {
        const r = await call('project.functions.create', { project: s.dir, functionId: name, template: item.template });
        record({ label: `add function ${name}`, changes: [{ kind: 'file', path: r.path, before: null, after: r.snapshot.files.find((f) => f.path === r.path)?.source ?? '' }] });
        await adopt(r.snapshot);
        await placeNode(`fn:${name}`, at);
        setOpenPath(r.path);
        setSelection({ nodes: [`fn:${name}`], edges: [] });
      } catch (e) {
        fail(`Could not add function ${name}`, e);
      }
      return;
    }
    if (item.kind === 'data-source') {
      const slug = name.replace(/[^A-Za-z0-9_-]+/g, '-');
      if (await saveWorkflow({ ...s.workflow, dataSources: [...s.workflow.dataSources, { urn: name, type: 'table', tags: [], format: item.format, source: { kind: 'file', path: `data/${slug}.${item.format}` } }] }, `add data source ${name}`)) await placeNode(`source:${name}`, at);
      setSelection({ nodes: [`source:${name}`], edges: [] });
      return;
    }
    const fn = s.functions[0]?.id;
    if (!fn) {
      toast({ kind: 'error', title: 'No function to trigger', error: { code: 'no-function', message: 'a trigger starts a function, and this workflow has none yet', hint: 'add a function from the palette first' } });
      return;
    }
    const base = { id: name, function: fn };
    const trigger =
      item.trigger === 'http'
        ? { kind: 'http' as const, ...base, method: 'POST' as const }
        : item.trigger === 'schedule'
          ? { kind: 'schedule' as const, ...base, every: '1h' }
          : item.trigger === 'data'
            ? { kind: 'data' as const, ...base, selector: { urn: s.workflow.dataSources[0] ? String(s.workflow.dataSources[0].urn) : 'data:*' }, batch: 1 }
            : { kind: 'model' as const, ...base, selector: { type: 'classifier' } };
    if (await saveWorkflow({ ...s.workflow, triggers: [...s.workflow.triggers, trigger] }, `add trigger ${name}`)) await placeNode(`trigger:${name}`, at);
    setSelection({ nodes: [`trigger:${name}`], edges: [] });
  };

  /** Opens a function's (or a gate's) code at its line. */
  const openCode = (file: string, line?: number) => {
    setBottomTab('code');
    setOpenPath(file);
    if (line) setReveal({ path: file, line, nonce: Date.now() });
  };

  /** The canvas's context menu: what can be done to what was right-clicked. */
  const openMenu = (target: CanvasTarget, at: { x: number; y: number }, flowAt: { x: number; y: number }) => {
    const s = snapRef.current;
    if (!s) return;
    const items: Array<MenuItem | 'separator'> = [];
    let title = '';
    // the actions below act on the selection: right-clicking something outside it selects it alone
    let sel = selection;
    if (target.kind === 'node' && !selection.nodes.includes(target.id)) sel = { nodes: [target.id], edges: [] };
    if (target.kind === 'edge' && !selection.edges.includes(target.id)) sel = { nodes: [], edges: [target.id] };
    if (sel !== selection) setSelection(sel);
    const copyable = (ids: string[]) => ids.some((id) => /^(fn|source|trigger):/.test(id));
    const editItems = (ids: string[]): Array<MenuItem | 'separator'> => [
      { label: 'Copy', keys: 'Ctrl+C', disabled: copyable(ids) ? undefined : 'only functions, data sources and triggers can be copied', run: () => void copySelection() },
      { label: 'Duplicate', keys: 'Ctrl+D', disabled: copyable(ids) ? undefined : 'only functions, data sources and triggers can be duplicated', run: () => void paste(copySelection()) },
      'separator',
      { label: ids.length > 1 ? `Delete ${ids.length} items` : 'Delete', keys: 'Del', danger: true, run: () => void deleteSelection() },
    ];
    if (target.kind === 'node') {
      const n = s.graph.nodes.find((x) => x.id === target.id);
      if (!n) return;
      title = `${n.kind === 'data-source' ? 'data source' : n.kind} ${n.label}`;
      if (n.kind === 'function') {
        items.push({ label: 'Open code', run: () => openCode(n.detail.file!, n.detail.line) });
        items.push({ label: 'Explain placement', run: () => (setBottomTab('cluster'), setExplainRequest({ fn: n.label, nonce: Date.now() })) });
        items.push({ label: 'Show in table', run: () => setBottomTab('table') });
        items.push('separator', ...editItems(sel.nodes));
      } else if (n.kind === 'gate') {
        const fnId = n.id.replace(/^gate:/, '').replace(/:\d+$/, '');
        const fn = s.functions.find((f) => f.id === fnId);
        items.push({ label: `Open ${fnId}'s code`, disabled: fn ? undefined : 'its function is gone', run: () => fn && openCode(fn.file, fn.line) });
        items.push({ label: 'Edit in the inspector', run: () => setSelection({ nodes: [`fn:${fnId}`], edges: [] }) });
      } else if (n.kind === 'data-source' || n.kind === 'trigger') {
        items.push({ label: 'Edit in the inspector', run: () => setSelection({ nodes: [n.id], edges: [] }) });
        items.push('separator', ...editItems(sel.nodes));
      } else {
        // produced data and models: they follow from a function's @produces
        const producer = s.graph.edges.find((e) => e.target === n.id && e.kind === 'produces')?.source;
        items.push({ label: 'Select the function that produces it', disabled: producer ? undefined : 'nothing in this workflow produces it', run: () => producer && setSelection({ nodes: [producer], edges: [] }) });
        items.push({ label: 'Delete', disabled: 'it follows from a function: remove that function\'s @produces decorator', run: () => undefined });
      }
    } else if (target.kind === 'edge') {
      const e = s.graph.edges.find((x) => x.id === target.id);
      if (!e) return;
      title = `${e.kind} edge`;
      items.push({ label: 'Select both ends', run: () => setSelection({ nodes: [e.source, e.target], edges: [] }) });
      items.push({
        label: 'Delete connection',
        keys: 'Del',
        danger: true,
        disabled: e.kind === 'consumes' ? undefined : `a ${e.kind} edge follows from the code and workflow.json: remove the decorator or the trigger instead`,
        run: () => void deleteSelection(),
      });
    } else if (target.kind === 'selection') {
      title = `${sel.nodes.length} selected`;
      items.push(...editItems(sel.nodes));
    } else {
      title = 'Workflow';
      const byKind = (k: PaletteItem['kind']) => PALETTE.find((p) => p.kind === k)!;
      for (const [label, item] of [['Add a function here', PALETTE[0]], ['Add a data source here', byKind('data-source')], ['Add an HTTP trigger here', byKind('trigger')]] as const) {
        items.push({ label, run: () => void addFromPalette(item, suggestName(item), flowAt) });
      }
      items.push('separator');
      items.push({ label: 'Paste', keys: 'Ctrl+V', disabled: clip.current ? undefined : 'nothing copied yet', run: () => void paste() });
      items.push({ label: 'Select all', keys: 'Ctrl+A', run: () => setSelection({ nodes: s.graph.nodes.map((n) => n.id), edges: [] }) });
      items.push('separator');
      items.push({ label: 'Auto-layout', keys: 'L', run: () => void runAutoLayout() });
      items.push({ label: 'Fit view', keys: 'F', run: () => void rf.fitView({ padding: 0.12, duration: 250 }) });
    }
    setMenu({ x: at.x, y: at.y, title, items });
  };

  const suggestName = (item: PaletteItem) => {
    const s = snapRef.current;
    if (!s) return 'new';
    if (item.kind === 'function') return uniqueFnId(item.template === 'train' ? 'trainModel' : item.template === 'inference' ? 'predict' : 'transform');
    const taken = item.kind === 'data-source' ? new Set(s.workflow.dataSources.map((d) => String(d.urn))) : new Set(s.workflow.triggers.map((t) => t.id));
    const base = item.kind === 'data-source' ? 'data:new' : `${item.trigger}-trigger`;
    let v = base;
    for (let i = 2; taken.has(v); i++) v = `${base}${i}`;
    return v;
  };

  const runAutoLayout = async () => {
    const s = snapRef.current;
    if (!s) return;
    const before = { ...positionsRef.current };
    const after = await autoLayout(s.graph);
    setPositions(after);
    record({ label: 'auto-layout', changes: [{ kind: 'layout', before, after }] });
    await saveLayout(after);
    window.setTimeout(() => rf.fitView({ padding: 0.12, duration: 250 }), 50);
  };

  /** Deploy: unsaved changes first, then validation (errors block; warnings ask), then the cluster, then per-function progress. */
  const startDeploy = async (opts: { acceptWarnings?: boolean; saveFirst?: boolean; ignoreUnsaved?: boolean } = {}) => {
    const s0 = snapRef.current;
    if (!s0 || rt.deploying) return;
    setSimPlacements(undefined); // the canvas shows the real placements from here on
    setBottomTab('deploy');
    const mode = rt.mode;
    if (mode === 'restart') return void restartDeployment(s0);
    const unsaved = Object.keys(buffersRef.current);
    if (unsaved.length && !opts.saveFirst && !opts.ignoreUnsaved) {
      setDeployGate({ unsaved, warnings: [], errors: [] });
      return;
    }
    if (opts.saveFirst) for (const p of unsaved) await saveFile(p);
    if (opts.saveFirst && Object.keys(buffersRef.current).length) {
      setDeployGate({ unsaved: Object.keys(buffersRef.current), warnings: [], errors: [] });
      return;
    }
    const s = snapRef.current!;
    let check;
    try {
      check = await call('deploy.check', { project: s.dir });
    } catch (e) {
      fail('Could not validate the workflow', e);
      return;
    }
    if (check.errors.length || (check.warnings.length && !opts.acceptWarnings)) {
      setDeployGate({ unsaved: [], errors: check.errors, warnings: check.warnings });
      return;
    }
    setDeployGate(undefined);
    rt.setDeploying(true);
    rt.setLastDeploy(undefined);
    const t = Date.now();
    rt.setDeploy(Object.fromEntries(check.functions.map((f) => [f, { status: 'queued', node: null, since: t } satisfies FnDeployState])));
    const settle = (reason: string) =>
      rt.setDeploy((d) => Object.fromEntries(Object.entries(d).map(([k, v]) => [k, v.status === 'ready' || v.status === 'failed' ? v : { ...v, status: 'failed', reason, since: Date.now() }])));
    try {
      const status = rt.status?.up ? rt.status : await rt.refresh();
      if (!status?.up) {
        const target = (s.workflow.target ?? {}) as { backend?: unknown; topology?: unknown };
        const backend = target.backend === 'docker' ? 'docker' : 'process';
        const topology = typeof target.topology === 'string' ? target.topology : 'local';
        rt.setProgress(`starting the local cluster (${backend}, ${topology})`);
        rt.setStatus(await call('cluster.up', { backend, topology }));
      }
      // the revision this window knows: a deploy from another window (or the CLI) meanwhile is a conflict, not an overwrite
      const known = (rt.status?.up ? rt.status : await rt.refresh())?.deployments.find((d) => d.workflow === s.workflow.name)?.revision ?? 0;
      const r = await call('deploy', { project: s.dir, acceptWarnings: true, mode, expectedRevision: known });
      rt.setLastDeploy(r);
      adoptDeployResult(r);
      settle('not in the deploy result: the service did not report this function');
      const failed = r.functions.filter((f) => f.status !== 'ready');
      if (failed.length) toast({ kind: 'error', title: `Deploy revision ${r.revision}: ${failed.length} function${failed.length === 1 ? '' : 's'} failed`, error: { code: 'deploy-failed', message: failed.map((f) => `${f.id}: ${f.reason ?? 'failed'}`).join('\n'), hint: 'the Deploy panel shows each reason; fix it and deploy again' } });
      else toast({ kind: 'success', title: r.nothingChanged ? `Nothing to deploy: ${r.summary}` : `Deployed ${r.workflow} revision ${r.revision}: ${r.summary ?? `${r.functions.length} functions ready`}` });
    } catch (e) {
      const err = errorOf(e);
      settle(`the deploy stopped: ${err.message}`);
      toast({ kind: 'error', title: 'Deploy failed', error: err });
    } finally {
      rt.setDeploying(false);
      rt.setProgress(undefined);
      void rt.refresh();
    }
  };

  /** A deploy result into the per-function rows (ready / failed, where, and what was done). */
  const adoptDeployResult = (r: DeployResultDto) => {
    rt.setLastDeploy(r);
    rt.setDeploy((d) => ({
      ...d,
      ...Object.fromEntries(r.functions.map((f) => [f.id, { status: f.status === 'ready' ? 'ready' : 'failed', node: f.node, ...(f.reason ? { reason: f.reason } : {}), ...(f.action ? { action: f.action } : {}), since: d[f.id]?.since ?? Date.now() } satisfies FnDeployState])),
    }));
  };

  /** Restart: the deployed code again on the same nodes — no validation, nothing shipped, same revision. */
  const restartDeployment = async (s: ProjectSnapshot) => {
    setDeployGate(undefined);
    rt.setDeploying(true);
    try {
      const known = (await rt.refresh())?.deployments.find((d) => d.workflow === s.workflow.name)?.revision ?? 0;
      const r = await call('deploy', { project: s.dir, acceptWarnings: true, mode: 'restart', expectedRevision: known });
      adoptDeployResult(r);
      const failed = r.functions.filter((f) => f.status !== 'ready');
      if (failed.length) toast({ kind: 'error', title: `Restart: ${failed.length} function${failed.length === 1 ? '' : 's'} failed`, error: { code: 'deploy-failed', message: failed.map((f) => `${f.id}: ${f.reason ?? 'failed'}`).join('\n'), hint: 'the Deploy panel shows each reason' } });
      else toast({ kind: 'success', title: `Restarted ${r.workflow} revision ${r.revision}: ${r.functions.length} functions ready` });
    } catch (e) {
      toast({ kind: 'error', title: 'Restart failed', error: errorOf(e) });
    } finally {
      rt.setDeploying(false);
      rt.setProgress(undefined);
      void rt.refresh();
    }
  };

  // keyboard shortcuts that don't fire while typing
  const keys = useRef<(e: KeyboardEvent) => void>(() => undefined);
  keys.current = (e: KeyboardEvent) => {
    const mod = e.ctrlKey || e.metaKey;
    const k = e.key.toLowerCase();
    if (mod && k === 's') {
      e.preventDefault();
      if (openPath && !isTyping(e.target)) void saveFile(openPath);
      return;
    }
    if (mod && k === 'k') {
      e.preventDefault();
      paletteRef.current?.focus();
      return;
    }
    if (isTyping(e.target)) return;
    if (mod && k === 'z' && !e.shiftKey) void doUndo();
    else if (mod && ((k === 'z' && e.shiftKey) || k === 'y')) void doRedo();
    else if (mod && k === 'c') copySelection();
    else if (mod && k === 'v') void paste();
    else if (mod && k === 'd') void paste(copySelection());
    else if (mod && k === 'a') setSelection({ nodes: snapRef.current?.graph.nodes.map((n) => n.id) ?? [], edges: [] });
    else if (!mod && (e.key === 'Delete' || e.key === 'Backspace')) void deleteSelection();
    else if (!mod && k === 'l') void runAutoLayout();
    else if (!mod && k === 'f') void rf.fitView({ padding: 0.12, duration: 250 });
    else if (e.key === 'Escape') setSelection({ nodes: [], edges: [] });
    else return;
    e.preventDefault();
  };
  useEffect(() => {
    const h = (e: KeyboardEvent) => keys.current(e);
    window.addEventListener('keydown', h);
    const beforeUnload = (e: BeforeUnloadEvent) => {
      if (Object.keys(buffersRef.current).length) e.preventDefault();
    };
    window.addEventListener('beforeunload', beforeUnload);
    return () => {
      window.removeEventListener('keydown', h);
      window.removeEventListener('beforeunload', beforeUnload);
    };
  }, []);

  // a handle for tests and the bench (the editor registers itself the same way)
  useEffect(() => {
    const w = window as unknown as { __studio?: Record<string, unknown> };
    w.__studio = { ...(w.__studio ?? {}), flow: rf };
  }, [rf]);

  const selectedNode = useMemo(() => (selection.nodes.length === 1 ? snap?.graph.nodes.find((n) => n.id === selection.nodes[0]) : undefined), [selection, snap]);
  useEffect(() => {
    if (selectedNode?.detail.file) setOpenPath(selectedNode.detail.file);
  }, [selectedNode]);

  const problems = useMemo(() => {
    if (!snap) return [];
    const byFile = new Map<string, DiagnosticDto[]>();
    for (const d of [...snap.diagnostics, ...snap.graph.warnings]) byFile.set(d.file, [...(byFile.get(d.file) ?? []), d]);
    for (const [file, ds] of Object.entries(liveDiagnostics)) if (buffers[file] !== undefined) byFile.set(file, [...ds, ...snap.graph.warnings.filter((w) => w.file === file)]);
    return [...byFile.values()].flat();
  }, [snap, liveDiagnostics, buffers]);
  const errorCount = problems.filter((d) => d.severity === 'error').length;
  const warnCount = problems.length - errorCount;
  const dirtyCount = Object.keys(buffers).length;

  // the canvas shows the typed graph while its buffer is unsaved; nodes it adds sit right of the rest until saved
  const shownGraph = liveGraph && buffers[liveGraph.path] !== undefined ? liveGraph.graph : snap?.graph;
  const shownPositions = useMemo(() => {
    if (!shownGraph || shownGraph === snap?.graph) return positions;
    const missing = shownGraph.nodes.filter((n) => !positions[n.id]);
    if (!missing.length) return positions;
    const maxX = Math.max(0, ...Object.values(positions).map((p) => p.x));
    return { ...positions, ...Object.fromEntries(missing.map((n, i) => [n.id, { x: maxX + 320, y: 90 * i }])) };
  }, [shownGraph, snap, positions]);

  const editorFiles = useMemo(() => (snap?.files ?? []).filter((f) => f.path.endsWith('.ts') || f.path === 'workflow.json').map((f) => ({ path: f.path, saved: f.source, revision: f.revision })), [snap]);

  if (!snap) {
    return (
      <div className="welcome">
        <div className="welcome-card">
          <h1>
            <span className="logo">λ</span> Edge AI Studio
          </h1>
          <p className="muted">Open a workflow project: a folder with workflow.json and functions/*.ts.</p>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              if (projectInput.trim()) void openProject(projectInput.trim());
            }}
          >
            <input className="mono" value={projectInput} placeholder="/path/to/project" onChange={(e) => setProjectInput(e.target.value)} data-testid="project-path" />
            <button className="button primary" type="submit">
              Open
            </button>
          </form>
          {busy && <div className="progress-line"><div className="bar" /> {busy}</div>}
        </div>
        <Toasts items={toasts} onDismiss={(id) => setToasts((t) => t.filter((x) => x.id !== id))} />
      </div>
    );
  }

  return (
    <div className="studio" data-testid="studio">
      <header className="topbar">
        <div className="brand">
          <span className="logo">λ</span> Edge AI Studio
        </div>
        <div className="project-name clickable" title={`${snap.dir} — click to open or create another project`} onClick={() => setProjectMenu((m) => !m)} data-testid="project-name">
          {snap.name} <span className="muted small">▾</span>
          <span className="muted small"> · {snap.functions.length} functions · {snap.workflow.dataSources.length} data sources · {snap.workflow.triggers.length} triggers</span>
        </div>
        <div className="toolbar">
          <button className="button ghost" onClick={() => void doUndo()} disabled={!undoState.undo} title={`Undo ${undoState.label} (Ctrl+Z)`} data-testid="undo">
            ↶ Undo
          </button>
          <button className="button ghost" onClick={() => void doRedo()} disabled={!undoState.redo} title="Redo (Ctrl+Shift+Z)" data-testid="redo">
            ↷ Redo
          </button>
          <button className="button ghost" onClick={() => void runAutoLayout()} title="Auto-layout (L)">
            ⇄ Auto-layout
          </button>
          <button className="button ghost" onClick={() => void rf.fitView({ padding: 0.12, duration: 250 })} title="Fit view (F)">
            ⤢ Fit
          </button>
          <span className="toolbar-sep" />
          <button className="button ghost" onClick={() => setBottomTab('simulate')} title="Simulate the workflow on an edge topology, compare schedulers" data-testid="simulate-button">
            ◇ Simulate
          </button>
          <button className="button ghost" onClick={() => setBottomTab('cluster')} title="The local edge cluster" data-testid="cluster-button">
            <span className={`dot dot-${rt.status?.up ? 'Ready' : 'Stopped'}`} /> Cluster
          </button>
          <button className="button primary" disabled={rt.deploying} onClick={() => void startDeploy()} title="Validate, then deploy every function to the local cluster" data-testid="deploy-button">
            {rt.deploying ? 'Deploying…' : dirtyCount ? '▶ Deploy ●' : '▶ Deploy'}
          </button>
        </div>
      </header>
      {projectMenu && (
        <ProjectMenu
          current={snap.dir}
          recent={recent}
          unsaved={dirtyCount}
          {...(rt.deploying ? { blocked: `A deploy of ${snap.workflow.name} is running: open another project once it has finished (its progress is in the Deploy tab).` } : {})}
          onOpen={(d) => void openProject(d)}
          onCreate={(d) => void createProject(d)}
          onClose={() => setProjectMenu(false)}
        />
      )}
      {busy && (
        <div className="progress-line top" role="progressbar">
          <div className="bar" /> {busy}
        </div>
      )}
      <div className="main">
        <Palette ref={paletteRef} onAdd={(i, n) => void addFromPalette(i, n)} suggestName={suggestName} />
        <div className="center-column">
          <Canvas
            graph={shownGraph ?? snap.graph}
            diagnostics={snap.diagnostics}
            positions={shownPositions}
            placements={simPlacements?.placements ?? rt.deploy}
            initialViewport={hasSavedViewport(snap.layout) ? snap.layout.viewport : undefined}
            selectedNodes={selection.nodes}
            selectedEdges={selection.edges}
            onSelectionChange={(nodes, edges) => setSelection({ nodes, edges })}
            onConnect={(a, b) => void connectNodes(a, b)}
            onContextMenu={openMenu}
            onDropItem={(i, at) => {
              const item = PALETTE[Number(i)];
              if (item) void addFromPalette(item, suggestName(item), at);
            }}
            onMoved={(moved, before) => {
              const next = { ...positionsRef.current, ...moved };
              setPositions(next);
              record({ label: 'move', changes: [{ kind: 'layout', before: Object.fromEntries(Object.keys(moved).map((k) => [k, before[k]])), after: moved }] });
              void saveLayout(next);
            }}
            onViewportChange={(_v: Viewport) => {
              window.clearTimeout(viewportTimer.current);
              viewportTimer.current = window.setTimeout(() => {
                if (Object.keys(snapRef.current?.layout.nodes ?? {}).length) void saveLayout(positionsRef.current);
              }, 1500);
            }}
          />
          <div className="bottom-panel">
            <BottomTabs
              current={bottomTab}
              onSelect={setBottomTab}
              tabs={[
                { id: 'code', label: <>Code{dirtyCount ? <span className="dirty-dot"> ●</span> : null}</> },
                { id: 'problems', label: <>Problems <span className={`count ${errorCount ? 'error' : warnCount ? 'warn' : ''}`}>{problems.length}</span></>, testId: 'problems-tab' },
                { id: 'table', label: 'Table', testId: 'table-tab', title: 'Every node as a row: state, placement, last run' },
                { id: 'simulate', label: 'Simulate', testId: 'simulate-tab', title: 'Simulate the workflow on an edge topology and compare schedulers' },
                { id: 'deploy', label: <>Deploy{rt.deploying ? <span className="dirty-dot"> ●</span> : null}</>, testId: 'deploy-tab' },
                { id: 'cluster', label: 'Cluster', testId: 'cluster-tab' },
                { id: 'runs', label: 'Runs', testId: 'runs-tab' },
                { id: 'artifacts', label: 'Artifacts', testId: 'artifacts-tab' },
              ]}
            />
            <div className="bottom-body" style={{ display: bottomTab === 'code' ? 'flex' : 'none' }}>
              <Suspense fallback={<div className="muted small pad">Loading the code editor…</div>}>
              {!editorWanted ? <div className="muted small pad">Loading the code editor…</div> : <CodeEditor
                files={editorFiles}
                openPath={openPath}
                buffers={buffers}
                reveal={reveal}
                onOpen={setOpenPath}
                onChange={(p, text) =>
                  setBuffers((b) => {
                    const saved = snapRef.current?.files.find((f) => f.path === p)?.source;
                    if (text === saved) {
                      if (b[p] === undefined) return b;
                      const { [p]: _drop, ...rest } = b;
                      return rest;
                    }
                    return b[p] === text ? b : { ...b, [p]: text };
                  })
                }
                onSave={(p) => void saveFile(p)}
                project={snap.dir}
                session={session}
                onDiagnostics={(p, ds, graph) => {
                  setLiveDiagnostics((m) => ({ ...m, [p]: ds }));
                  if (!graph || ds.some((d) => d.severity === 'error')) return;
                  if (buffersRef.current[p] === undefined) setLiveGraph((g) => (g?.path === p ? undefined : g));
                  else setLiveGraph({ path: p, graph });
                }}
              />}
              </Suspense>
            </div>
            {bottomTab === 'deploy' && (
              <DeployPanel
                rt={rt}
                workflow={snap.workflow.name}
                functions={snap.functions.map((f) => f.id)}
                gate={deployGate}
                onDeploy={(o) => void startDeploy(o)}
                onCancelGate={() => setDeployGate(undefined)}
                onOpenProblem={(d) => {
                  setBottomTab('code');
                  setOpenPath(d.file);
                  setReveal({ path: d.file, line: d.line, nonce: Date.now() });
                }}
              />
            )}
            {bottomTab === 'table' && (
              <NodeTable
                graph={snap.graph}
                problems={problems}
                deploy={rt.deploy}
                workflow={snap.workflow.name}
                runsVersion={rt.runsVersion}
                selected={selection.nodes}
                onPick={(id) => {
                  setSelection({ nodes: [id], edges: [] });
                  const p = positionsRef.current[id];
                  if (p) void rf.setCenter(p.x + 120, p.y + 40, { zoom: Math.max(rf.getZoom(), 0.8), duration: 250 });
                }}
              />
            )}
            {(simulateOpened || bottomTab === 'simulate') && (
              <Suspense fallback={bottomTab === 'simulate' ? <div className="muted small pad">Loading the simulator panel…</div> : null}>
                <SimulatePanel key={snap.dir} project={snap.dir} workflow={snap.workflow} functions={snap.functions.map((f) => f.id)} hidden={bottomTab !== 'simulate'} onCanvas={simPlacements?.profile} onShowOnCanvas={setSimPlacements} />
              </Suspense>
            )}
            {bottomTab === 'cluster' && <ClusterPanel rt={rt} project={snap.dir} functions={snap.functions.map((f) => f.id)} onError={fail} explain={explainRequest} />}
            {bottomTab === 'runs' && <RunsPanel rt={rt} workflow={snap.workflow.name} />}
            {bottomTab === 'artifacts' && <ArtifactsPanel rt={rt} />}
            {bottomTab === 'problems' && (
              <div className="problems" data-testid="problems">
                {!problems.length && <div className="muted small pad">No problems: the workflow inspects clean.</div>}
                {problems.map((d, i) => (
                  <button
                    key={i}
                    className={`problem ${d.severity}`}
                    onClick={() => {
                      setBottomTab('code');
                      setOpenPath(d.file);
                      setReveal({ path: d.file, line: d.line, nonce: Date.now() });
                    }}
                  >
                    <span className={`sev ${d.severity}`}>●</span>
                    <span className="loc mono">
                      {d.file}:{d.line}:{d.column}
                    </span>
                    <span className="msg">
                      {d.message}
                      {d.hint && <span className="hint"> — {d.hint}</span>}
                    </span>
                    <span className="code mono">{d.code}</span>
                  </button>
                ))}
              </div>
            )}
          </div>
        </div>
        <Inspector
          snapshot={snap}
          node={selectedNode}
          onPatch={patchDecorators}
          onWorkflow={saveWorkflow}
          onOpenCode={(path, line) => {
            setBottomTab('code');
            setOpenPath(path);
            if (line) setReveal({ path, line, nonce: Date.now() });
          }}
        />
      </div>
      <footer className="statusbar">
        <span>{studio().transport === 'electron' ? 'Desktop' : 'Browser mode'}</span>
        <span className={errorCount ? 'error' : ''} data-testid="error-count">● {errorCount} error{errorCount === 1 ? '' : 's'}</span>
        <span className={warnCount ? 'warn' : ''}>▲ {warnCount} warning{warnCount === 1 ? '' : 's'}</span>
        <span>{dirtyCount ? `${dirtyCount} unsaved file${dirtyCount === 1 ? '' : 's'}` : 'all changes saved'}</span>
        <span className="spacer" />
        <span>{selection.nodes.length + selection.edges.length ? `${selection.nodes.length} node(s), ${selection.edges.length} edge(s) selected` : ''}</span>
        <span data-testid="runtime-status">
          {rt.status?.up ? `cluster ${rt.status.cluster}: ${rt.status.nodes.filter((n) => n.status === 'Ready').length}/${rt.status.nodes.length} nodes ready (${rt.status.backend})` : 'cluster stopped'}
        </span>
      </footer>
      {menu && <ContextMenu menu={menu} onClose={() => setMenu(undefined)} />}
      <Toasts items={toasts} onDismiss={(id) => setToasts((t) => t.filter((x) => x.id !== id))} />
    </div>
  );
}
