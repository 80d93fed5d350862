/** Where state lives (README: "state in SQLite under $EDGEAI_HOME (default ~/.edgeai)"; runtime/home.ts). */
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterDirOf, clusterRegistryDir, edgeaiHome } from './home';
import { Controller } from './controller';

const saved = { home: process.env.EDGEAI_HOME, cluster: process.env.EDGEAI_CLUSTER };
afterEach(() => {
  for (const [k, v] of [['EDGEAI_HOME', saved.home], ['EDGEAI_CLUSTER', saved.cluster]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe('the edgeai home', () => {
  it('is $EDGEAI_HOME, else ~/.edgeai; a cluster lives in clusters/<name> (default local), its registry beside its state', () => {
    // only paths are computed here: nothing is opened under the real home
    delete process.env.EDGEAI_HOME;
    delete process.env.EDGEAI_CLUSTER;
    expect(edgeaiHome()).toBe(join(homedir(), '.edgeai'));
    expect(clusterDirOf()).toBe(join(homedir(), '.edgeai', 'clusters', 'local'));
    process.env.EDGEAI_HOME = '/srv/edge';
    process.env.EDGEAI_CLUSTER = 'lab';
    expect(clusterDirOf()).toBe('/srv/edge/clusters/lab');
    expect(clusterRegistryDir()).toBe('/srv/edge/clusters/lab/registry');
    // an explicit home (--home) wins over the environment
    expect(clusterDirOf({ home: '/opt/x', cluster: 'c' })).toBe('/opt/x/clusters/c');
  });

  it('a controller keeps state.db and the registry there, and its process nodes under nodes/', async () => {
    const home = mkdtempSync(join(tmpdir(), 'edgeai-home-'));
    onTestFinished(() => rmSync(home, { recursive: true, force: true }));
    const c = await Controller.open({ home, cluster: 'where', triggers: 'off' });
    try {
      expect(c.dir).toBe(join(home, 'clusters', 'where'));
      expect(statSync(join(c.dir, 'state.db')).isFile()).toBe(true);
      expect(statSync(join(c.dir, 'registry')).isDirectory()).toBe(true);
      await c.up({ backend: 'process', topology: 'local' });
      for (const n of c.status().nodes) expect([n.name, existsSync(join(c.dir, 'nodes', n.name))]).toEqual([n.name, true]);
    } finally {
      await c.down().catch(() => undefined);
      c.close();
    }
  }, 120_000);
});
