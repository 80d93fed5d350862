/**
 * The studio window, a thin shell: palette | canvas over the bottom dock | inspector, with the
 * top bar and the status bar. State lives in one store (state/studio.ts), changes go through the
 * commands (commands/*.ts); this file wires them to the StudioApi's events, the keyboard and the
 * window, and lays out the parts.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { ReactFlowProvider, useNodesInitialized, useReactFlow } from '@xyflow/react';
import type { ProjectSnapshot } from '../cluster/api/contract';
import { call, errorOf, studio } from './api';
import { autoLayout } from './canvas/layout';
import { addFromPalette, suggestName } from './commands/clipboard';
import { onKeyDown } from './commands/keymap';
import { openProject, projectChanged, openCode } from './commands/project';
import { patchDecorators, saveWorkflow } from './commands/edit';
import { ContextMenu } from './canvas/ContextMenu';
import { Inspector } from './inspector/Inspector';
import { Palette, type PaletteHandle } from './panels/Palette';
import { Toasts } from './panels/Toast';
import { bindRuntime, runtimeActions } from './panels/runtime-state';
import { readRecent } from './recent';
import { BottomPanel } from './shell/BottomPanel';
import { CanvasArea } from './shell/CanvasArea';
import { NextSteps } from './shell/NextSteps';
import { ConnectChoice } from './shell/ConnectChoice';
import { SidePanel } from './shell/SidePanel';
import { StatusBar } from './shell/StatusBar';
import { TopBar } from './shell/TopBar';
import { Welcome } from './shell/Welcome';
import { createStudioStore, StudioReact, toast, useStudio, useStudioContext, type FlowLike, type StudioContext } from './state/studio';

export function App({ initialProject, initialSnapshot }: { initialProject?: string; initialSnapshot?: ProjectSnapshot }) {
  const holder = useRef<{ flow?: FlowLike }>({});
  const ctx = useMemo<StudioContext>(
    () => ({
      store: createStudioStore({ projectInput: initialProject ?? '', recent: readRecent() }),
      call,
      errorOf,
      flow: () => holder.current.flow,
      layout: (graph, aspect) => autoLayout(graph, aspect),
      canvasAspect: () => {
        const el = document.querySelector('[data-testid="canvas"]');
        return el && el.clientHeight ? el.clientWidth / el.clientHeight : undefined;
      },
    }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [],
  );
  return (
    <StudioReact.Provider value={ctx}>
      <ReactFlowProvider>
        <Studio initialProject={initialProject} initialSnapshot={initialSnapshot} holder={holder.current} />
      </ReactFlowProvider>
    </StudioReact.Provider>
  );
}

/** Mounts Monaco (several MB) once the canvas has painted and the page is idle, then its typings. */
function useEditorWhenIdle(ctx: StudioContext, opened: boolean, wanted: boolean) {
  useEffect(() => {
    if (!opened || wanted) return;
    const w = window as Window & { requestIdleCallback?: (cb: () => void, o?: { timeout: number }) => number; cancelIdleCallback?: (h: number) => void };
    const go = () => ctx.store.setState({ editorWanted: true });
    if (w.requestIdleCallback) {
      const h = w.requestIdleCallback(go, { timeout: 1500 });
      return () => w.cancelIdleCallback?.(h);
    }
    const t = window.setTimeout(go, 200);
    return () => window.clearTimeout(t);
  }, [ctx, opened, wanted]);
  useEffect(() => {
    if (!wanted) return;
    ctx
      .call('sdk.typings', {})
      .then((t) => import('./editor/monaco').then((m) => m.installTypings(t.files)))
      .catch(() => undefined);
  }, [ctx, wanted]);
}

/** The first cluster status loads the runtime in the service: only once the canvas is up and idle (and with it, runtimeWanted). */
function useFirstStatus(ctx: StudioContext, opened: boolean) {
  useEffect(() => {
    if (!opened) return;
    const w = window as Window & { requestIdleCallback?: (cb: () => void, o?: { timeout: number }) => number; cancelIdleCallback?: (h: number) => void };
    const refresh = () => {
      ctx.store.setState({ runtimeWanted: true });
      void runtimeActions(ctx).refresh();
    };
    let h: number | undefined;
    // (loading the controller takes the service a second or two of CPU: not while the page starts)
    const t = window.setTimeout(() => {
      if (w.requestIdleCallback) h = w.requestIdleCallback(refresh, { timeout: 3000 });
      else refresh();
    }, 2500);
    return () => {
      window.clearTimeout(t);
      if (h !== undefined) w.cancelIdleCallback?.(h);
    };
  }, [ctx, opened]);
}

/** How long the panels wait for the canvas's nodes to be measured before they render anyway (an empty graph has none). */
const PANELS_WAIT_MS = 300;

/**
 * The side panels' contents (palette, inspector) render once the canvas has drawn the project
 * just opened: a frame after xyflow has measured its nodes. The graph shows that much sooner (the
 * warm start), the two panels fill in a frame or two after it. Their frames (SidePanel, with the
 * sizes remembered) are there from the first frame, so nothing moves when they fill in.
 */
function usePanelsAfterCanvas(opened: boolean): boolean {
  const measured = useNodesInitialized();
  const [ready, setReady] = useState(false);
  useEffect(() => {
    if (ready || !opened) return;
    if (!measured) {
      const t = window.setTimeout(() => setReady(true), PANELS_WAIT_MS);
      return () => window.clearTimeout(t);
    }
    let t: number | undefined;
    const h = requestAnimationFrame(() => (t = window.setTimeout(() => setReady(true), 0)));
    return () => {
      cancelAnimationFrame(h);
      if (t !== undefined) window.clearTimeout(t);
    };
  }, [opened, measured, ready]);
  return ready;
}

function Studio({ initialProject, initialSnapshot, holder }: { initialProject?: string; initialSnapshot?: ProjectSnapshot; holder: { flow?: FlowLike } }) {
  const ctx = useStudioContext();
  const { store } = ctx;
  const rf = useReactFlow();
  holder.flow = rf;
  const paletteRef = useRef<PaletteHandle>(null);
  const paletteFocusOnMount = useRef(false);
  const [paletteRequest, setPaletteRequest] = useState(0);
  const snap = useStudio((s) => s.snap);
  const selection = useStudio((s) => s.selection);
  const menu = useStudio((s) => s.menu);
  const toasts = useStudio((s) => s.toasts);
  const editorWanted = useStudio((s) => s.editorWanted);
  const opened = !!snap;
  useEditorWhenIdle(ctx, opened, editorWanted);
  useFirstStatus(ctx, opened);
  const panels = usePanelsAfterCanvas(opened);

  // the StudioApi's events: another window's changes, progress, the runtime
  useEffect(() => {
    if (initialProject) void openProject(ctx, initialProject, initialSnapshot);
    const client = studio();
    const offs = [
      client.on('project.changed', (e) => {
        const me = (client as { clientId?: string }).clientId;
        if (me && e.origin === me) return;
        void projectChanged(ctx, e.project);
      }),
      client.on('progress', (p) => {
        // the connection closed (browser mode: the server stopped): said at once in the status bar
        if (p.id === 'connection' && p.error) store.setState({ connected: false });
        // the same service answers again (studio-client.ts reconnects): what changed meanwhile is fetched
        if (p.id === 'connection' && !p.error && p.finished) {
          store.setState({ connected: true });
          const dir = store.getState().snap?.dir;
          if (dir) void projectChanged(ctx, dir);
          void runtimeActions(ctx).refresh();
        }
        if (p.error) toast(store, { kind: 'error', title: p.title, error: p.error });
        else store.setState({ busy: p.finished ? undefined : `${p.title}${p.total ? ` ${p.done}/${p.total}` : ''}${p.message ? ` — ${p.message}` : ''}` });
      }),
      bindRuntime(ctx, client, {
        onUpChanged: () => {
          const dir = store.getState().snap?.dir;
          if (dir) void projectChanged(ctx, dir);
        },
      }),
    ];
    return () => offs.forEach((o) => o());
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  // keyboard shortcuts (never while typing), and a warning before leaving with unsaved changes
  useEffect(() => {
    const focusPalette = () => {
      if (paletteRef.current) return paletteRef.current.focus();
      // collapsed: shown, and its search focused once mounted
      paletteFocusOnMount.current = true;
      setPaletteRequest((n) => n + 1);
    };
    const keys = (e: KeyboardEvent) => onKeyDown(ctx, e, { focusPalette });
    const beforeUnload = (e: BeforeUnloadEvent) => {
      if (Object.keys(store.getState().buffers).length) e.preventDefault();
    };
    window.addEventListener('keydown', keys);
    window.addEventListener('beforeunload', beforeUnload);
    return () => {
      window.removeEventListener('keydown', keys);
      window.removeEventListener('beforeunload', beforeUnload);
    };
  }, [ctx, store]);

  // a handle for tests and the bench (the editor registers itself the same way)
  useEffect(() => {
    const w = window as unknown as { __studio?: Record<string, unknown> };
    w.__studio = { ...(w.__studio ?? {}), flow: rf, store };
  }, [rf, store]);

  const selectedNode = useMemo(() => (selection.nodes.length === 1 ? snap?.graph.nodes.find((n) => n.id === selection.nodes[0]) : undefined), [selection, snap]);
  useEffect(() => {
    if (selectedNode?.detail.file) store.setState({ openPath: selectedNode.detail.file });
  }, [selectedNode, store]);

  if (!snap) return <Welcome />;

  return (
    <div className="studio" data-testid="studio">
      <TopBar />
      <div className="main">
        <SidePanel id="palette" side="left" label="palette" expandRequest={paletteRequest}>
          {panels && <Palette ref={paletteRef} focusOnMount={paletteFocusOnMount} onAdd={(i, n) => void addFromPalette(ctx, i, n)} suggestName={(i) => suggestName(store.getState().snap, i)} />}
        </SidePanel>
        <div className="center-column">
          <NextSteps />
          <CanvasArea />
          <BottomPanel />
        </div>
        <SidePanel id="inspector" side="right" label="inspector">
          {panels && <Inspector snapshot={snap} node={selectedNode} onPatch={(fn, patch, label) => patchDecorators(ctx, fn, patch, label)} onWorkflow={(w, label) => saveWorkflow(ctx, w, label)} onOpenCode={(path, line) => openCode(ctx, path, line)} />}
        </SidePanel>
      </div>
      <StatusBar />
      {menu && <ContextMenu menu={menu} onClose={() => store.setState({ menu: undefined })} />}
      <ConnectChoice />
      <Toasts items={toasts} onDismiss={(id) => store.setState((s) => ({ toasts: s.toasts.filter((x) => x.id !== id) }))} />
    </div>
  );
}
