/**
 * What the controller's jobs (lifecycle, deployer, mover, invoker, gates, triggers) share: the
 * cluster's durable state and registry, the nodes that run and the agent client of each, the
 * topology and its link model, and the event stream. One instance per Controller; the jobs
 * hold it, not each other's internals. The cluster's agent secret is kept in its directory
 * (agent/secret.ts): made at `up`, read by a controller that adopts the running nodes.
 */
import type { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { StudioError } from '../../common/errors';
import type { BackendKind } from '../../common/status';
import type { Registry } from '../../registry/registry';
import type { Topology } from '../../topology/model';
import { AgentClient } from '../agent/client';
import { readClusterSecret, removeClusterSecret, writeClusterSecret } from '../agent/secret';
import type { Health } from '../agent/protocol';
import type { Backend, NodeHandle } from '../backend';
import type { ClusterState } from '../state';
import { LinkModel } from '../transfer';
import type { ClusterEvent } from './types';

export interface Running {
  backend: Backend;
  topology: Topology;
  links: LinkModel;
}

export class ControllerContext {
  backend: Backend | undefined;
  topology: Topology | undefined;
  links: LinkModel | undefined;
  /** the running nodes: their handles and clients */
  readonly handles = new Map<string, NodeHandle>();
  private readonly clients = new Map<string, AgentClient>();
  readonly health = new Map<string, Health>();
  readonly lastSeen = new Map<string, number>();
  closed = false;
  /**
   * where this host's USB sticks are looked for (a fake tree in tests; default hostSysfsRoot:
   * EDGEAI_SYSFS_ROOT, else /sys): the agents of the nodes they join at `up` watch the same tree
   */
  sysfsRoot: string | undefined;

  constructor(
    readonly cluster: string,
    readonly dir: string,
    readonly state: ClusterState,
    readonly registry: Registry,
    readonly timeScale: number,
    private readonly events: EventEmitter,
  ) {}

  emit(e: ClusterEvent): void {
    this.events.emit('event', e);
  }

  progress(step: string, message: string): void {
    this.emit({ type: 'progress', step, message });
  }

  /** Makes the cluster's agent secret for the nodes about to start (the last one is replaced). */
  newAgentSecret(): string {
    return writeClusterSecret(this.dir);
  }

  /**
   * The secret of the running nodes, from the cluster's directory; undefined when there is none (a
   * cluster brought up before agents authenticated their controller: no agent answers then).
   */
  agentSecret(): string | undefined {
    return readClusterSecret(this.dir);
  }

  /** The nodes are gone: their secret goes with them. */
  dropAgentSecret(): void {
    removeClusterSecret(this.dir);
  }

  storeDirOf(name: string): string {
    return join(this.dir, 'nodes', name);
  }

  backendKind(): BackendKind {
    return (this.state.get('backend') as BackendKind | undefined) ?? 'process';
  }

  loadTopology(): Topology | undefined {
    const raw = this.state.get('topology');
    return raw ? (JSON.parse(raw) as Topology) : undefined;
  }

  setTopology(t: Topology): void {
    this.topology = t;
    this.links = new LinkModel(t);
  }

  isUp(): boolean {
    return this.state.get('up') === 'true';
  }

  requireUp(): Running {
    if (!this.isUp() || !this.backend || !this.topology || !this.links) {
      throw new StudioError('cluster-down', `cluster '${this.cluster}' is not running`, 'start it with `edgeai cluster up` (or the Cluster panel)');
    }
    return { backend: this.backend, topology: this.topology, links: this.links };
  }

  addNode(h: NodeHandle): void {
    this.handles.set(h.name, h);
    this.clients.set(h.name, new AgentClient(h.name, h.port, h.secret, h.host, h.via));
    this.lastSeen.set(h.name, Date.now());
  }

  clearNodes(): void {
    this.handles.clear();
    this.clients.clear();
    this.health.clear();
  }

  /** The agent client of a running node (undefined: the node is not running). */
  client(node: string): AgentClient | undefined {
    return this.clients.get(node);
  }

  readyNodes(): Set<string> {
    return new Set(this.state.nodes().filter((n) => n.status === 'Ready').map((n) => n.name));
  }
}
