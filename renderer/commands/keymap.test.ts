import { describe, expect, it } from 'vitest';
import { fakeStudio, snapshot } from './fake-studio';
import { keyCommand, runKeyCommand } from './keymap';

describe('keymap', () => {
  it('maps keys to commands', () => {
    expect(keyCommand({ key: 'z', ctrlKey: true }, false)).toBe('undo');
    expect(keyCommand({ key: 'Z', ctrlKey: true, shiftKey: true }, false)).toBe('redo');
    expect(keyCommand({ key: 'y', metaKey: true }, false)).toBe('redo');
    expect(keyCommand({ key: 'd', ctrlKey: true }, false)).toBe('duplicate');
    expect(keyCommand({ key: 'Delete' }, false)).toBe('delete');
    expect(keyCommand({ key: 'Backspace' }, false)).toBe('delete');
    expect(keyCommand({ key: 'l' }, false)).toBe('auto-layout');
    expect(keyCommand({ key: 'f' }, false)).toBe('fit');
    expect(keyCommand({ key: 'Escape' }, false)).toBe('deselect');
    expect(keyCommand({ key: 'q' }, false)).toBeUndefined();
  });

  it('never fires while typing, except Ctrl+K; Ctrl+S while typing is only kept from the browser', () => {
    for (const k of [{ key: 'Delete' }, { key: 'Backspace' }, { key: ' ' }, { key: 'l' }, { key: 'z', ctrlKey: true }, { key: 'a', ctrlKey: true }, { key: 'Escape' }]) expect(keyCommand(k, true)).toBeUndefined();
    expect(keyCommand({ key: 'k', ctrlKey: true }, true)).toBe('palette');
    expect(keyCommand({ key: 's', ctrlKey: true }, true)).toBe('swallow');
    expect(keyCommand({ key: 's', ctrlKey: true }, false)).toBe('save');
  });

  it('select all, deselect, fit and the palette run on the store and the canvas', () => {
    const f = fakeStudio({}, { snap: snapshot() });
    let focused = 0;
    const ui = { focusPalette: () => void focused++ };
    runKeyCommand(f.ctx, 'select-all', ui);
    expect(f.state().selection.nodes).toEqual(['source:mnist:data', 'fn:train', 'model:mnist:model', 'fn:inference']);
    runKeyCommand(f.ctx, 'deselect', ui);
    expect(f.state().selection).toEqual({ nodes: [], edges: [] });
    runKeyCommand(f.ctx, 'fit', ui);
    expect(f.fits).toHaveLength(1);
    runKeyCommand(f.ctx, 'palette', ui);
    expect(focused).toBe(1);
  });
});
