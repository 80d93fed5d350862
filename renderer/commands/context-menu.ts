/**
 * The canvas's context menu: what can be done to what was right-clicked (a node of each kind,
 * an edge, the selection, the empty canvas). Items that cannot run stay, disabled, with the
 * reason. menuFor builds the menu (and selects what was clicked when it was outside the
 * selection); running an item calls the commands. Tested without React (context-menu.test.ts).
 */
import type { CanvasTarget } from '../canvas/Canvas';
import type { ContextMenuState, MenuItem } from '../canvas/ContextMenu';
import { PALETTE, type PaletteItem } from '../panels/palette-items';
import type { StudioContext } from '../state/studio';
import { addFromPalette, copySelection, paste, suggestName } from './clipboard';
import { deleteSelection, runAutoLayout } from './edit';
import { openCode } from './project';
import { fnNodeId } from '../../cluster/common/graph-ids';

type Entry = MenuItem | 'separator';

export function menuFor(ctx: StudioContext, target: CanvasTarget, at: { x: number; y: number }, flowAt: { x: number; y: number }): ContextMenuState | undefined {
  const { store } = ctx;
  const { snap: s, selection, clip } = store.getState();
  if (!s) return undefined;
  const items: Entry[] = [];
  let title = '';
  const select = (nodes: string[], edges: string[] = []) => store.setState({ selection: { nodes, edges } });
  // the actions below act on the selection: right-clicking something outside it selects it alone
  let sel = selection;
  if (target.kind === 'node' && !selection.nodes.includes(target.id)) sel = { nodes: [target.id], edges: [] };
  if (target.kind === 'edge' && !selection.edges.includes(target.id)) sel = { nodes: [], edges: [target.id] };
  const copyable = (ids: string[]) => ids.some((id) => /^(fn|source|trigger):/.test(id));
  const editItems = (ids: string[]): Entry[] => [
    { label: 'Copy', keys: 'Ctrl+C', disabled: copyable(ids) ? undefined : 'only functions, data sources and triggers can be copied', run: () => void copySelection(ctx) },
    { label: 'Duplicate', keys: 'Ctrl+D', disabled: copyable(ids) ? undefined : 'only functions, data sources and triggers can be duplicated', run: () => void paste(ctx, copySelection(ctx)) },
    'separator',
    { label: ids.length > 1 ? `Delete ${ids.length} items` : 'Delete', keys: 'Del', danger: true, run: () => void deleteSelection(ctx) },
  ];
  if (target.kind === 'node') {
    const n = s.graph.nodes.find((x) => x.id === target.id);
    if (!n) return undefined;
    title = `${n.kind === 'data-source' ? 'data source' : n.kind} ${n.label}`;
    if (n.kind === 'function') {
      items.push({ label: 'Open code', run: () => openCode(ctx, n.detail.file!, n.detail.line) });
      items.push({ label: 'Explain placement', run: () => store.setState({ bottomTab: 'cluster', explainRequest: { fn: n.label, nonce: Date.now() } }) });
      items.push({ label: 'Show in table', run: () => store.setState({ bottomTab: 'table' }) });
      items.push('separator', ...editItems(sel.nodes));
    } else if (n.kind === 'gate') {
      const fnId = n.id.replace(/^gate:/, '').replace(/:\d+$/, '');
      const fn = s.functions.find((f) => f.id === fnId);
      items.push({ label: `Open ${fnId}'s code`, disabled: fn ? undefined : 'its function is gone', run: () => fn && openCode(ctx, fn.file, fn.line) });
      items.push({ label: 'Edit in the inspector', run: () => select([fnNodeId(fnId)]) });
    } else if (n.kind === 'data-source' || n.kind === 'trigger') {
      items.push({ label: 'Edit in the inspector', run: () => select([n.id]) });
      items.push('separator', ...editItems(sel.nodes));
    } else {
      // produced data and models: they follow from a function's @produces
      const producer = s.graph.edges.find((e) => e.target === n.id && e.kind === 'produces')?.source;
      items.push({ label: 'Select the function that produces it', disabled: producer ? undefined : 'nothing in this workflow produces it', run: () => producer && select([producer]) });
      items.push({ label: 'Delete', disabled: "it follows from a function: remove that function's @produces decorator", run: () => undefined });
    }
  } else if (target.kind === 'edge') {
    const e = s.graph.edges.find((x) => x.id === target.id);
    if (!e) return undefined;
    title = `${e.kind} edge`;
    items.push({ label: 'Select both ends', run: () => select([e.source, e.target]) });
    items.push({
      label: 'Delete connection',
      keys: 'Del',
      danger: true,
      disabled: e.kind === 'consumes' ? undefined : `a ${e.kind} edge follows from the code and workflow.json: remove the decorator or the trigger instead`,
      run: () => void deleteSelection(ctx),
    });
  } else if (target.kind === 'selection') {
    title = `${sel.nodes.length} selected`;
    items.push(...editItems(sel.nodes));
  } else {
    title = 'Workflow';
    const byKind = (k: PaletteItem['kind']) => PALETTE.find((p) => p.kind === k)!;
    for (const [label, item] of [['Add a function here', PALETTE[0]], ['Add a data source here', byKind('data-source')], ['Add an HTTP trigger here', byKind('trigger')]] as const) {
      items.push({ label, run: () => void addFromPalette(ctx, item, suggestName(store.getState().snap, item), flowAt) });
    }
    items.push('separator');
    items.push({ label: 'Paste', keys: 'Ctrl+V', disabled: clip ? undefined : 'nothing copied yet', run: () => void paste(ctx) });
    items.push({ label: 'Select all', keys: 'Ctrl+A', run: () => select(s.graph.nodes.map((n) => n.id)) });
    items.push('separator');
    items.push({ label: 'Auto-layout', keys: 'L', run: () => void runAutoLayout(ctx) });
    items.push({ label: 'Fit view', keys: 'F', run: () => void ctx.flow()?.fitView({ padding: 0.12, duration: 250 }) });
  }
  if (sel !== selection) store.setState({ selection: sel });
  return { x: at.x, y: at.y, title, items };
}

/** Opens the menu for a right-click (nothing when there is nothing to act on). */
export function openMenu(ctx: StudioContext, target: CanvasTarget, at: { x: number; y: number }, flowAt: { x: number; y: number }): void {
  const menu = menuFor(ctx, target, at, flowAt);
  if (menu) ctx.store.setState({ menu });
}
