import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { APP_ENTRY, appFileFor, channelFor, contentSecurityPolicy, isAllowedNavigation, isAllowedPermission, isStudioChannel, isTrustedSender, resolveAppFile, windowOptions } from './security';
import { METHOD_NAMES } from '../cluster/api/contract';

function directives(csp: string): Map<string, string[]> {
  return new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
}

describe('Electron window security (docs/reference.md §8)', () => {
  it('isolates the renderer: contextIsolation, sandbox, no node, no webview, no insecure content', () => {
    const o = windowOptions('/app/preload.cjs');
    expect(o.webPreferences).toMatchObject({
      preload: '/app/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
    });
    expect(o.webPreferences).not.toHaveProperty('enableBlinkFeatures');
    expect(o.show).toBe(false);
  });

  it('has a CSP that allows only local content, no eval, and Monaco workers from the app origin', () => {
    const d = directives(contentSecurityPolicy());
    expect(d.get('default-src')).toEqual(["'self'"]);
    expect(d.get('script-src')).toEqual(["'self'"]);
    expect(d.get('worker-src')).toContain("'self'");
    expect(d.get('object-src')).toEqual(["'none'"]);
    expect(d.get('frame-src')).toEqual(["'none'"]);
    expect(d.get('base-uri')).toEqual(["'none'"]);
    const all = contentSecurityPolicy();
    expect(all).not.toMatch(/unsafe-eval/);
    expect(all).not.toMatch(/https?:/);
    expect(d.get('script-src')).not.toContain("'unsafe-inline'");
  });

  it('limits navigation and IPC senders to the app origin', () => {
    expect(isAllowedNavigation(APP_ENTRY)).toBe(true);
    expect(isAllowedNavigation('studio://app/other.html')).toBe(true);
    expect(isAllowedNavigation('https://example.com/')).toBe(false);
    expect(isAllowedNavigation('file:///etc/passwd')).toBe(false);
    expect(isAllowedNavigation('studio://evil/index.html')).toBe(false);
    expect(isTrustedSender(APP_ENTRY)).toBe(true);
    expect(isTrustedSender(undefined)).toBe(false);
    expect(isTrustedSender('http://127.0.0.1:5173/')).toBe(false);
    expect(isAllowedPermission('media')).toBe(false);
  });

  it('uses one channel prefix for every StudioApi method', () => {
    for (const m of METHOD_NAMES) {
      expect(channelFor(m)).toBe(`studio:${m}`);
      expect(isStudioChannel(channelFor(m))).toBe(true);
    }
    expect(isStudioChannel('other:thing')).toBe(false);
  });

  it('serves only files inside the renderer folder', () => {
    expect(resolveAppFile('/r', 'studio://app/')).toBe(join('/r', 'index.html'));
    expect(resolveAppFile('/r', 'studio://app/assets/a.js')).toBe(join('/r', 'assets', 'a.js'));
    // dot segments are resolved by the URL parser and stay inside; encoded slashes are refused
    expect(resolveAppFile('/r', 'studio://app/%2e%2e/%2e%2e/etc/passwd')).toBe(join('/r', 'etc', 'passwd'));
    expect(resolveAppFile('/r', 'studio://app/..%2f..%2fetc%2fpasswd')).toBeUndefined();
    expect(resolveAppFile('/r', 'studio://other/index.html')).toBeUndefined();
  });

  it('answers a malformed %-escape (studio://app/%E0%A4%A) with a 400 instead of throwing out of the protocol handler', () => {
    expect(() => resolveAppFile('/r', 'studio://app/%E0%A4%A')).not.toThrow();
    expect(resolveAppFile('/r', 'studio://app/%E0%A4%A')).toBeUndefined();
    expect(appFileFor('/r', 'studio://app/%E0%A4%A')).toEqual({ ok: false, status: 400, message: expect.stringMatching(/malformed %-escape/) });
    expect(appFileFor('/r', 'studio://app/assets/%ZZ.js')).toMatchObject({ ok: false, status: 400 });
    // the other refusals keep their meaning, and a good path still resolves
    expect(appFileFor('/r', 'not a url')).toMatchObject({ ok: false, status: 400 });
    expect(appFileFor('/r', 'studio://other/index.html')).toMatchObject({ ok: false, status: 403 });
    expect(appFileFor('/r', 'studio://app/..%2f..%2fetc%2fpasswd')).toMatchObject({ ok: false, status: 403 });
    expect(appFileFor('/r', 'studio://app/assets/a%20b.js')).toEqual({ ok: true, file: join('/r', 'assets', 'a b.js') });
  });
});
