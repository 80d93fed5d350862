/**
 * A Vite build plugin: React, react-dom and xyflow — ~380 KB of the page's ~540 KB first script —
 * ship as one classic script (`assets/vendor-<hash>.js`, loaded before the module entry), and the
 * renderer's imports of them resolve to small modules reading what it defined.
 *
 * Why: Chromium (measured with Debian's 156) stores a V8 code cache for module scripts but never
 * uses it — every start parses the module entry again (72–125 ms on a background thread here,
 * while the page waits to run it) — whereas a classic script's cache is deserialized off the main thread (1–36 ms here).
 * The same page's code, split so that the part that is the same on every start is classic.
 *
 * Only for `vite build`: the dev server and the tests import the packages themselves.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Plugin } from 'vite';

/** The packages the classic script carries: exactly these import specifiers. */
export const VENDOR_MODULES = ['react', 'react/jsx-runtime', 'react-dom', 'react-dom/client', '@xyflow/react'] as const;
/** Where the classic script puts them: `globalThis[VENDOR_GLOBAL][specifier]` is the module's namespace. */
export const VENDOR_GLOBAL = '__edgeaiVendor';
const PREFIX = '\0vendor-classic:';

const isIdentifier = (s: string) => /^[A-Za-z_$][\w$]*$/.test(s) && s !== 'default';

/** The classic script: every VENDOR_MODULES namespace, minified, production builds (React's errors by number). */
export async function buildVendorScript(): Promise<{ code: string; exports: Map<string, string[]> }> {
  const esbuild = await import('esbuild');
  const entry = [
    ...VENDOR_MODULES.map((m, i) => `import * as m${i} from ${JSON.stringify(m)};`),
    `globalThis[${JSON.stringify(VENDOR_GLOBAL)}] = { ${VENDOR_MODULES.map((m, i) => `${JSON.stringify(m)}: m${i}`).join(', ')} };`,
  ].join('\n');
  const r = await esbuild.build({
    stdin: { contents: entry, resolveDir: process.cwd(), loader: 'js' },
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
  });
  // the names each namespace exports, from the packages themselves loaded here in production mode
  // (the entry's `import * as` gives esbuild no list of them)
  const exports = new Map<string, string[]>();
  const require = createRequire(import.meta.url);
  const env = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    for (const m of VENDOR_MODULES) {
      const ns = m === '@xyflow/react' ? ((await import('@xyflow/react')) as Record<string, unknown>) : (require(m) as Record<string, unknown>);
      exports.set(m, Object.keys(ns).filter(isIdentifier));
    }
  } finally {
    if (env === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = env;
  }
  return { code: r.outputFiles[0].text, exports };
}

export function vendorClassic(): Plugin {
  let vendor: { code: string; exports: Map<string, string[]>; fileName: string } | undefined;
  return {
    name: 'vendor-classic',
    apply: 'build',
    // before Vite's own resolver, which would find the packages in node_modules
    enforce: 'pre',
    async buildStart() {
      const built = await buildVendorScript();
      const hash = createHash('sha256').update(built.code).digest('base64url').slice(0, 8);
      vendor = { ...built, fileName: `assets/vendor-${hash}.js` };
      this.emitFile({ type: 'asset', fileName: vendor.fileName, source: vendor.code });
    },
    resolveId(id, importer) {
      // the renderer's (and its lazy chunks') imports; not the workers', which never import these
      if (importer && !importer.startsWith(PREFIX) && (VENDOR_MODULES as readonly string[]).includes(id)) return PREFIX + id;
      return null;
    },
    load(id) {
      if (!id.startsWith(PREFIX)) return null;
      const m = id.slice(PREFIX.length);
      const names = vendor!.exports.get(m) ?? [];
      const ns = `globalThis[${JSON.stringify(VENDOR_GLOBAL)}][${JSON.stringify(m)}]`;
      return [
        `const ns = ${ns};`,
        `if (!ns) throw new Error(${JSON.stringify(`${m} is missing: the page's vendor script did not run (dist/renderer is damaged; npm run build rebuilds it)`)});`,
        'export default ns.default ?? ns;',
        ...(names.length ? [`export const { ${names.join(', ')} } = ns;`] : []),
      ].join('\n');
    },
    transformIndexHtml: {
      order: 'post',
      handler(html) {
        if (!vendor) return html;
        // a classic script in <head>: it runs before the deferred module entry, and its code cache is used
        return html.replace('</title>', `</title>\n    <script src="./${vendor.fileName}"></script>`);
      },
    },
  };
}
