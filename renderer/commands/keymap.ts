/**
 * The studio's keyboard shortcuts: which key does what (keyCommand, pure), and running it
 * (runKeyCommand). Shortcuts never fire while you type (in a field, a select, the code editor),
 * except Ctrl+K (the palette's search). Tested without React (keymap.test.ts).
 */
import type { StudioContext } from '../state/studio';
import { copySelection, paste } from './clipboard';
import { deleteSelection, runAutoLayout, saveFile, undoRedo } from './edit';

export type KeyCommand = 'save' | 'palette' | 'undo' | 'redo' | 'copy' | 'paste' | 'duplicate' | 'select-all' | 'delete' | 'auto-layout' | 'fit' | 'deselect';

export interface KeyLike {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  shiftKey?: boolean;
}

/** Whether focus is where text is typed (a shortcut must not fire there). */
export function isTyping(el: EventTarget | null): boolean {
  const e = el as HTMLElement | null;
  return !!e?.closest?.('input, textarea, select, [contenteditable="true"], .monaco-editor');
}

/**
 * What a key press does: a command, 'swallow' (the browser's own action is prevented, nothing
 * else: Ctrl+S while typing, which the editor saves itself) or undefined (the key is not ours).
 */
export function keyCommand(e: KeyLike, typing: boolean): KeyCommand | 'swallow' | undefined {
  const mod = !!(e.ctrlKey || e.metaKey);
  const k = e.key.toLowerCase();
  if (mod && k === 's') return typing ? 'swallow' : 'save';
  if (mod && k === 'k') return 'palette';
  if (typing) return undefined;
  if (mod && k === 'z' && !e.shiftKey) return 'undo';
  if (mod && ((k === 'z' && e.shiftKey) || k === 'y')) return 'redo';
  if (mod && k === 'c') return 'copy';
  if (mod && k === 'v') return 'paste';
  if (mod && k === 'd') return 'duplicate';
  if (mod && k === 'a') return 'select-all';
  if (!mod && (e.key === 'Delete' || e.key === 'Backspace')) return 'delete';
  if (!mod && k === 'l') return 'auto-layout';
  if (!mod && k === 'f') return 'fit';
  if (e.key === 'Escape') return 'deselect';
  return undefined;
}

/** Runs a command; `focusPalette` is the one thing outside the store (a DOM focus). */
export function runKeyCommand(ctx: StudioContext, cmd: KeyCommand, ui: { focusPalette(): void }): void {
  const st = ctx.store.getState();
  switch (cmd) {
    case 'save':
      if (st.openPath) void saveFile(ctx, st.openPath);
      return;
    case 'palette':
      return ui.focusPalette();
    case 'undo':
      return void undoRedo(ctx, 'undo');
    case 'redo':
      return void undoRedo(ctx, 'redo');
    case 'copy':
      return void copySelection(ctx);
    case 'paste':
      return void paste(ctx);
    case 'duplicate':
      return void paste(ctx, copySelection(ctx));
    case 'select-all':
      return ctx.store.setState({ selection: { nodes: st.snap?.graph.nodes.map((n) => n.id) ?? [], edges: [] } });
    case 'delete':
      return void deleteSelection(ctx);
    case 'auto-layout':
      return void runAutoLayout(ctx);
    case 'fit':
      return void ctx.flow()?.fitView({ padding: 0.12, duration: 250 });
    case 'deselect':
      return ctx.store.setState({ selection: { nodes: [], edges: [] } });
  }
}

/** The window's keydown handler. */
export function onKeyDown(ctx: StudioContext, e: KeyboardEvent, ui: { focusPalette(): void }): void {
  const cmd = keyCommand(e, isTyping(e.target));
  if (!cmd) return;
  e.preventDefault();
  if (cmd !== 'swallow') runKeyCommand(ctx, cmd, ui);
}
