/**
 * The test API server's watch, as kube-apiserver serves it (the kubernetes backend's watches rely
 * on it): a list's resourceVersion is where a watch resumes, events are newline-delimited JSON,
 * every change bumps the resourceVersion, a compacted resourceVersion is an ERROR 410 event,
 * bookmarks only when asked for, strict parameters, and a stream that ends cleanly when the
 * server stops.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { request, type IncomingMessage } from 'node:http';
import { FakeApiServer } from './fake-apiserver';
import { tempDirs } from './temp';
import { until } from './until';
import { fakeNode } from '../backends/kubernetes-nodes';

const tmp = tempDirs();
const BUILD = { dir: '', agent: '', worker: '', hash: 'none' }; // no pod here runs an agent
let fake: FakeApiServer | undefined;

afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function start(opts: { bookmarkMs?: number } = {}): Promise<FakeApiServer> {
  fake = await FakeApiServer.start({ nodes: [fakeNode('n1', 'amd64'), fakeNode('n2', 'arm64')], build: BUILD, dir: tmp('edgeai-fake-watch-'), ...opts });
  return fake;
}

async function get(path: string): Promise<{ status: number; body: any }> {
  const r = await fetch(fake!.url + path, { headers: { authorization: `Bearer ${fake!.token}` } });
  return { status: r.status, body: await r.json() };
}

/** A watch stream: the events as they arrive, and how it ended. */
function openWatch(path: string): Promise<{ res: IncomingMessage; events: Array<{ type: string; object: any }>; ended: Promise<'end' | 'cut'> }> {
  return new Promise((resolve, reject) => {
    const req = request(fake!.url + path, { headers: { authorization: `Bearer ${fake!.token}` } }, (res) => {
      const events: Array<{ type: string; object: any }> = [];
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        buf += c;
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          events.push(JSON.parse(buf.slice(0, nl)));
          buf = buf.slice(nl + 1);
        }
      });
      const ended = new Promise<'end' | 'cut'>((r) => {
        res.on('end', () => r(res.complete ? 'end' : 'cut'));
        res.on('aborted', () => r('cut'));
        res.on('error', () => r('cut'));
      });
      resolve({ res, events, ended });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('watch on the test API server', () => {
  it('resumes from a list\'s resourceVersion: the change after it comes as MODIFIED with a newer resourceVersion, nothing before it', async () => {
    await start();
    const list = await get('/api/v1/nodes');
    const rv = Number(list.body.metadata.resourceVersion);
    expect(list.body.items.map((n: any) => Number(n.metadata.resourceVersion) <= rv)).toEqual([true, true]);
    const w = await openWatch(`/api/v1/nodes?watch=1&resourceVersion=${rv}`);
    expect(w.res.statusCode).toBe(200);
    expect(w.res.headers['content-type']).toBe('application/json');
    fake!.setNodeReady('n2', false);
    await until('the MODIFIED event', () => w.events.length > 0);
    expect(w.events).toHaveLength(1);
    expect(w.events[0]).toMatchObject({ type: 'MODIFIED', object: { metadata: { name: 'n2' }, status: { conditions: [expect.objectContaining({ type: 'Ready', status: 'Unknown' })] } } });
    expect(Number(w.events[0].object.metadata.resourceVersion)).toBeGreaterThan(rv);
    // a watch from before the change replays it; one without a resourceVersion starts with what there is
    const replay = await openWatch(`/api/v1/nodes?watch=true&resourceVersion=${rv}`);
    await until('the replayed event', () => replay.events.length > 0);
    expect(replay.events.map((e) => [e.type, e.object.metadata.name])).toEqual([['MODIFIED', 'n2']]);
    const fresh = await openWatch('/api/v1/nodes?watch=1');
    await until('the ADDED events', () => fresh.events.length >= 2);
    expect(fresh.events.map((e) => [e.type, e.object.metadata.name])).toEqual([
      ['ADDED', 'n1'],
      ['ADDED', 'n2'],
    ]);
  });

  it('a resourceVersion older than the server keeps is an ERROR event with a 410 Status, and the stream ends', async () => {
    await start();
    const rv = (await get('/api/v1/nodes')).body.metadata.resourceVersion;
    fake!.setNodeReady('n1', false);
    fake!.compact();
    const w = await openWatch(`/api/v1/nodes?watch=1&resourceVersion=${rv}`);
    expect(w.res.statusCode).toBe(200);
    expect(await w.ended).toBe('end');
    expect(w.events).toEqual([{ type: 'ERROR', object: expect.objectContaining({ kind: 'Status', code: 410, reason: 'Expired', message: expect.stringMatching(/^too old resource version: \d+ \(\d+\)$/) }) }]);
    // the current resourceVersion is still good
    const now = await openWatch(`/api/v1/nodes?watch=1&resourceVersion=${fake!.resourceVersion}`);
    fake!.setNodeReady('n1', true);
    await until('the event after compaction', () => now.events.length > 0);
    expect(now.events[0].type).toBe('MODIFIED');
  });

  it('pods: ADDED, then MODIFIED as the kubelet reports, then DELETED; a label selector filters', async () => {
    await start();
    await fetch(fake!.url + '/api/v1/namespaces', { method: 'POST', headers: { authorization: `Bearer ${fake!.token}` }, body: JSON.stringify({ metadata: { name: 'w1' } }) });
    const rv = (await get('/api/v1/namespaces/w1/pods')).body.metadata.resourceVersion;
    const all = await openWatch(`/api/v1/namespaces/w1/pods?watch=1&resourceVersion=${rv}`);
    const none = await openWatch(`/api/v1/namespaces/w1/pods?watch=1&resourceVersion=${rv}&labelSelector=${encodeURIComponent('app=other')}`);
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p1', labels: { app: 'mine' } }, spec: { nodeName: 'nowhere', containers: [{ name: 'c', image: 'x' }] } };
    const made = await fetch(fake!.url + '/api/v1/namespaces/w1/pods', { method: 'POST', headers: { authorization: `Bearer ${fake!.token}` }, body: JSON.stringify(pod) });
    expect(made.status).toBe(201);
    await fetch(fake!.url + '/api/v1/namespaces/w1/pods/p1?gracePeriodSeconds=0', { method: 'DELETE', headers: { authorization: `Bearer ${fake!.token}` } });
    await until('the DELETED event', () => all.events.some((e) => e.type === 'DELETED'));
    expect(all.events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    expect(all.events[1].object.metadata.deletionTimestamp).toEqual(expect.any(String));
    const rvs = all.events.map((e) => Number(e.object.metadata.resourceVersion));
    expect([...rvs].sort((a, b) => a - b)).toEqual(rvs);
    expect(new Set(rvs).size).toBe(3);
    expect(none.events).toEqual([]);
  });

  it('bookmarks only with allowWatchBookmarks=true, carrying the current resourceVersion', async () => {
    await start({ bookmarkMs: 20 });
    const rv = fake!.resourceVersion;
    const plain = await openWatch(`/api/v1/nodes?watch=1&resourceVersion=${rv}`);
    const marked = await openWatch(`/api/v1/nodes?watch=1&resourceVersion=${rv}&allowWatchBookmarks=true`);
    // a change elsewhere (a namespace) moves the resourceVersion on; only a bookmark tells the node watch
    await fetch(fake!.url + '/api/v1/namespaces', { method: 'POST', headers: { authorization: `Bearer ${fake!.token}` }, body: JSON.stringify({ metadata: { name: 'b1' } }) });
    await until('a bookmark with the new resourceVersion', () => marked.events.some((e) => e.type === 'BOOKMARK' && e.object.metadata.resourceVersion === fake!.resourceVersion));
    expect(Number(fake!.resourceVersion)).toBeGreaterThan(Number(rv));
    expect(marked.events.every((e) => e.type === 'BOOKMARK' && e.object.kind === 'Node' && Object.keys(e.object.metadata).join() === 'resourceVersion')).toBe(true);
    expect(plain.events).toEqual([]);
  });

  it('is strict: unknown parameters, a bad resourceVersion, one too new, watch on what is not watched', async () => {
    await start();
    expect(await get('/api/v1/nodes?watch=1&fieldSelector=x')).toMatchObject({ status: 400, body: { kind: 'Status', reason: 'BadRequest', message: expect.stringMatching(/no query parameter "fieldSelector"/) } });
    expect(await get('/api/v1/nodes?watch=yes')).toMatchObject({ status: 400 });
    expect(await get('/api/v1/nodes?watch=1&resourceVersion=abc')).toMatchObject({ status: 400, body: { message: expect.stringMatching(/resourceVersion: Invalid value/) } });
    expect(await get(`/api/v1/nodes?watch=1&resourceVersion=${Number(fake!.resourceVersion) + 100}`)).toMatchObject({ status: 504, body: { reason: 'Timeout', message: expect.stringMatching(/Too large resource version/) } });
    expect(await get('/api/v1/nodes?watch=1&allowWatchBookmarks=maybe')).toMatchObject({ status: 400 });
    expect(await get('/api/v1/nodes?watch=1&timeoutSeconds=-1')).toMatchObject({ status: 400 });
    expect(await get('/api/v1/nodes/n1?watch=1')).toMatchObject({ status: 400, body: { message: expect.stringMatching(/serves watch for nodes and pods/) } });
    expect(await get('/api/v1/namespaces?watch=1')).toMatchObject({ status: 400 });
    const r = await fetch(fake!.url + '/api/v1/nodes?watch=1', {});
    expect(r.status).toBe(401);
  });

  it('a dropped stream is cut (not ended); a server that stops ends its streams cleanly', async () => {
    await start();
    const a = await openWatch('/api/v1/nodes?watch=1');
    await until('the watch to be open', () => fake!.openWatches().length === 1);
    fake!.dropWatches();
    expect(await a.ended).toBe('cut');
    const b = await openWatch('/api/v1/nodes?watch=1&timeoutSeconds=600');
    await until('the watch to be open', () => fake!.openWatches().length === 1);
    await fake!.close();
    fake = undefined;
    expect(await b.ended).toBe('end');
  });
});
