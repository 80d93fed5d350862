/**
 * The Content-Security-Policy of the studio's renderer, shared by both transports: Electron
 * (set on every response of the app protocol) and browser mode (an HTTP header). Only local
 * content; scripts from the app's own origin only (no eval, no inline scripts); Monaco's
 * workers are bundled files of the same origin (blob: allowed for the worker bootstrap); styles
 * inline because Monaco and React Flow set element styles.
 */
export interface CspOptions {
  /** extra connect-src entries, e.g. the browser-mode WebSocket ws://127.0.0.1:PORT */
  connect?: string[];
}

export function contentSecurityPolicy(opts: CspOptions = {}): string {
  const directives: Array<[string, string[]]> = [
    ['default-src', ["'self'"]],
    ['script-src', ["'self'"]],
    ['style-src', ["'self'", "'unsafe-inline'"]],
    ['worker-src', ["'self'", 'blob:']],
    ['img-src', ["'self'", 'data:']],
    ['font-src', ["'self'", 'data:']],
    ['connect-src', ["'self'", ...(opts.connect ?? [])]],
    ['object-src', ["'none'"]],
    ['base-uri', ["'none'"]],
    ['form-action', ["'none'"]],
    ['frame-src', ["'none'"]],
    ['frame-ancestors', ["'none'"]],
  ];
  return directives.map(([k, v]) => `${k} ${v.join(' ')}`).join('; ');
}
