import { describe, expect, it } from 'vitest';
import { clampWidth, initialSize, PANEL_SIZES_KEY, readPanelSizes, rememberPanelSize } from './panel-sizes';

function memory(): Pick<Storage, 'getItem' | 'setItem'> & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v) };
}

describe('side panel sizes', () => {
  it('are remembered per panel, widths kept within bounds', () => {
    const store = memory();
    rememberPanelSize('inspector', { width: 420, collapsed: false }, store);
    rememberPanelSize('palette', { width: 5000, collapsed: true }, store);
    expect(readPanelSizes(store)).toEqual({ inspector: { width: 420, collapsed: false }, palette: { width: 420, collapsed: true } });
    expect(clampWidth('inspector', 10)).toBe(220);
    // before any choice: narrower side panels in a narrow window
    expect([initialSize('palette', 1440).width, initialSize('palette', 1024).width]).toEqual([236, 196]);
  });

  it('unreadable or foreign entries are ignored', () => {
    const store = memory();
    store.setItem(PANEL_SIZES_KEY, '{not json');
    expect(readPanelSizes(store)).toEqual({});
    store.setItem(PANEL_SIZES_KEY, JSON.stringify({ palette: { width: 'wide' }, other: { width: 3 } }));
    expect(readPanelSizes(store)).toEqual({});
    expect(readPanelSizes(undefined)).toEqual({});
  });
});
