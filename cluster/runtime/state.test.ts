import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterState, type PlacementRow } from './state';

describe('deploy revisions in the cluster state', () => {
  let dir: string;
  let a: ClusterState;
  let b: ClusterState;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'edgeai-state-'));
    // two controllers on one state (two windows, or a window and the CLI)
    a = new ClusterState(join(dir, 'state.db'));
    b = new ClusterState(join(dir, 'state.db'));
  });
  afterEach(() => {
    a.close();
    b.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const placement = (revision: number): PlacementRow => ({ workflow: 'w', function: 'f', node: 'edge-1', bundle: 'b'.repeat(64), revision, status: 'ready', reason: null, spec: '{}' });

  it('a claimed revision that was not needed is given back, placements with it', () => {
    expect(a.claimRevision('w', '/p', 'deploying', undefined, true)).toMatchObject({ ok: true, revision: 1, previous: 0 });
    a.setDeployment('w', 1, '/p', 'ready');
    const claim = a.claimRevision('w', '/p', 'deploying', 1, true);
    expect(claim).toMatchObject({ ok: true, revision: 2, previous: 1 });
    a.setPlacement(placement(2));
    expect(a.releaseRevision('w', 2, 1, '/p', 'ready')).toBe(true);
    expect(b.deployment('w')).toMatchObject({ revision: 1, status: 'ready' });
    expect(b.placement('w', 'f')!.revision).toBe(1);
    // the other window, which saw revision 1, is not in conflict
    expect(b.claimRevision('w', '/p', 'deploying', 1, true)).toMatchObject({ ok: true, revision: 2 });
  });

  it('is not given back once another deploy claimed the next one', () => {
    a.claimRevision('w', '/p', 'deploying', undefined, true);
    a.claimRevision('w', '/p', 'deploying', 1, true); // a: 2, nothing changed so far
    expect(b.claimRevision('w', '/p', 'deploying', undefined, true)).toMatchObject({ ok: true, revision: 3 });
    expect(a.releaseRevision('w', 2, 1, '/p', 'ready')).toBe(false);
    expect(b.deployment('w')!.revision).toBe(3);
  });
});
