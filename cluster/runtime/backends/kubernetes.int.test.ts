/**
 * The runtime's conformance suite (runtime-suite.ts) on the kubernetes backend, against the test
 * API server (testing/fake-apiserver.ts) whose pods are real node agents: a contract test of the
 * backend — pods, secrets, the pod proxy and node loss as the backend uses them — not a
 * substitute for a real cluster (docs/kubernetes.md says what is not covered).
 */
import { afterAll, beforeAll } from 'vitest';
import { join } from 'node:path';
import { defineRuntimeSuite } from '../runtime-suite';
import { buildAgent } from '../build';
import { FakeApiServer } from '../testing/fake-apiserver';
import { tempDirs } from '../testing/temp';
import { fakeNode } from './kubernetes-nodes';

const tmp = tempDirs();
let fake: FakeApiServer | undefined;
const saved = process.env.KUBECONFIG;

beforeAll(async () => {
  const dir = tmp('edgeai-k8s-suite-');
  // the local topology's nodes, as a k3s cluster would list them
  fake = await FakeApiServer.start({ nodes: [fakeNode('laptop', 'amd64'), fakeNode('edge-1', 'arm64'), fakeNode('edge-2', 'arm64'), fakeNode('cloud-1', 'amd64')], build: await buildAgent(), dir });
  process.env.KUBECONFIG = fake.writeKubeconfig(join(dir, 'kubeconfig'));
}, 120_000);

afterAll(async () => {
  if (saved === undefined) delete process.env.KUBECONFIG;
  else process.env.KUBECONFIG = saved;
  await fake?.close();
}, 60_000);

defineRuntimeSuite('kubernetes', false);
