/**
 * The renderer's build puts React, react-dom and xyflow in one classic script (renderer/vendor-
 * classic.ts): Chromium uses a classic script's V8 code cache on the next start and a module
 * script's never (measured with Chromium 156). Asserted here on the built files: the page loads the
 * classic script before its module entry; no other file carries a copy of React (one React, or
 * hooks break); the script defines every module the renderer imports, with the names it uses.
 * That the studio runs on it is every Chromium suite's business (e2e/studio.test.ts and the rest).
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { builtRenderer } from './harness';
import { buildVendorScript, VENDOR_GLOBAL, VENDOR_MODULES } from '../renderer/vendor-classic';

// react-dom's production build names its errors by number at this address: a mark of React's code
const REACT_MARK = 'react.dev/errors/';

describe('the vendor classic script', () => {
  it('is loaded before the module entry, and is the only file that carries React', async () => {
    const dir = await builtRenderer();
    const html = readFileSync(join(dir, 'index.html'), 'utf8');
    const classic = /<script src="\.\/(assets\/vendor-[\w-]+\.js)"><\/script>/.exec(html);
    const entry = /<script type="module"[^>]* src="\.\/(assets\/index-[\w-]+\.js)"/.exec(html);
    expect(classic, html).not.toBeNull();
    expect(entry, html).not.toBeNull();
    expect(html.indexOf(classic![0])).toBeLessThan(html.indexOf(entry![0]));
    const scripts = readdirSync(join(dir, 'assets')).filter((f) => f.endsWith('.js') && !f.includes('.worker-'));
    const withReact = scripts.filter((f) => readFileSync(join(dir, 'assets', f), 'utf8').includes(REACT_MARK));
    expect(withReact).toEqual([classic![1].slice('assets/'.length)]);
    // the entry reads the global the classic script defines, for each of the modules
    const main = readFileSync(join(dir, entry![1]), 'utf8');
    expect(main).toContain(VENDOR_GLOBAL);
    expect(main.length).toBeLessThan(250_000);
  });

  it('defines every vendor module, with the names the renderer imports from them', async () => {
    const { code, exports } = await buildVendorScript();
    const sandbox: Record<string, unknown> = {};
    sandbox.globalThis = sandbox;
    runInNewContext(code, sandbox);
    const vendor = sandbox[VENDOR_GLOBAL] as Record<string, Record<string, unknown>>;
    expect(Object.keys(vendor).sort()).toEqual([...VENDOR_MODULES].sort());
    for (const m of VENDOR_MODULES) {
      const names = exports.get(m)!;
      expect(names.length, m).toBeGreaterThan(0);
      for (const n of names) expect(vendor[m][n], `${m} ${n}`).toBeDefined();
    }
    expect(exports.get('react')).toEqual(expect.arrayContaining(['useState', 'useEffect', 'useSyncExternalStore', 'memo']));
    expect(exports.get('react/jsx-runtime')).toEqual(expect.arrayContaining(['jsx', 'jsxs', 'Fragment']));
    expect(exports.get('react-dom/client')).toContain('createRoot');
    expect(exports.get('@xyflow/react')).toEqual(expect.arrayContaining(['ReactFlow', 'Handle', 'useReactFlow']));
    // every name a renderer file imports from one of them (a name missing would be undefined in the build only)
    const sources = (d: string): string[] =>
      readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(d, e.name)) : /\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name) ? [join(d, e.name)] : []));
    const imported = new Map<string, Set<string>>();
    for (const f of sources(join(__dirname, '..', 'renderer'))) {
      for (const m of readFileSync(f, 'utf8').matchAll(/import\s+(?:type\s+)?(?:[\w$]+\s*,\s*)?\{([^}]*)\}\s*from\s*'([^']+)'/g)) {
        if (!(VENDOR_MODULES as readonly string[]).includes(m[2]) || /^import\s+type\b/.test(m[0])) continue;
        const names = m[1].split(',').map((x) => x.trim()).filter((x) => x && !x.startsWith('type '));
        for (const n of names) (imported.get(m[2]) ?? imported.set(m[2], new Set()).get(m[2])!).add(n.split(/\s+as\s+/)[0]);
      }
    }
    expect(imported.get('react')?.size).toBeGreaterThan(3);
    for (const [m, names] of imported) for (const n of names) expect(exports.get(m), `${n}, imported from ${m}`).toContain(n);
    // React's production build, one copy: the element it makes is its own
    const React = vendor.react as unknown as { createElement(t: string): { type: string }; version: string };
    expect(React.createElement('div').type).toBe('div');
    expect(code).toContain(REACT_MARK);
  });
});
