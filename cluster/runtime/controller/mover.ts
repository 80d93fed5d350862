/**
 * Moving bytes between nodes, and knowing where they are. Bytes travel over loopback, but each
 * transfer takes as long as the topology says (docs/reference.md §5, runtime/transfer.ts) and
 * is counted on every link of its route, per direction. A strict data policy is judged on the
 * route before any byte moves.
 *
 * Where an artifact is: on the ready nodes that hold it, and in the registry's store on the
 * topology's registry node when the store holds its bytes. A data source that names a node
 * lives on that node alone: its bytes are put there when the workflow is deployed — the data is
 * there, as a camera's frames are on the camera — and no copy in the registry's store stands in
 * for it, so a strict policy sees where the data really is.
 */
import { StudioError } from '../../common/errors';
import type { Artifact } from '../../spec/artifact';
import type { DataSource } from '../../spec/workflow';
import { importDataSource, readDataSource, type DataSourceBytes } from '../../registry/import';
import { registryNode, type PlannedArtifact } from '../../planning/artifacts';
import { AgentRefused, AgentUnreachable } from '../agent/client';
import { checkDataPolicy, sleep, type TransferPlan } from '../transfer';
import type { ControllerContext } from './context';

export interface DataPolicyCheck {
  networks: string[];
  strict: boolean;
  /** the function the policy belongs to (named in a refusal) */
  fn: string;
}

export class Mover {
  constructor(private readonly ctx: ControllerContext) {}

  /** The nodes holding the artifact's bytes now: ready nodes with a copy, and the registry node when the store has them. */
  locationsOf(a: Artifact): string[] {
    const ready = this.ctx.readyNodes();
    const locs = a.locations.map((l) => l.node).filter((n) => ready.has(n));
    const reg = this.ctx.topology ? registryNode(this.ctx.topology) : undefined;
    if (reg && this.ctx.registry.hasBytes(a) && !locs.includes(reg)) locs.push(reg);
    return locs;
  }

  /** An artifact as a plan sees it. */
  planned(a: Artifact): PlannedArtifact {
    return { urn: a.urn, kind: a.kind === 'model' ? 'model' : 'data', ...(a.type ? { type: a.type } : {}), tags: a.tags, size: a.size, locations: this.locationsOf(a) };
  }

  /**
   * Puts a workflow.json data source where it lives: into the registry's store, or — when it
   * names a node — onto that node (no emulated transfer: the data is there). Idempotent by
   * content: the same bytes already there are not put again.
   */
  async placeDataSource(projectDir: string, ds: DataSource): Promise<Artifact> {
    const { ctx } = this;
    if (!ds.node) return importDataSource(ctx.registry, projectDir, ds).artifact;
    const { topology } = ctx.requireUp();
    if (!topology.nodes.some((n) => n.name === ds.node)) {
      throw new StudioError('unknown-node', `data source ${ds.urn} lives on node '${ds.node}', which topology '${topology.name}' does not have`, `nodes: ${topology.nodes.map((n) => n.name).join(', ')}`);
    }
    if (!ctx.readyNodes().has(ds.node)) {
      throw new StudioError('artifact-unavailable', `data source ${ds.urn} lives on node ${ds.node}, which is not running`, 'start the cluster again (`edgeai cluster down`, then `up`), or move the data source to another node in workflow.json');
    }
    return (await this.putOnNode(ds.node, readDataSource(projectDir, ds), { urn: ds.urn, ...(ds.type !== undefined ? { type: ds.type } : {}), tags: ds.tags })).artifact;
  }

  /**
   * Data that lives on a node (a data source's, or `edgeai data add --node`): its bytes go onto
   * the node, and the registry records them there. Idempotent: the same bytes already there as
   * the urn's latest version are not put again (`added: false`).
   */
  async putOnNode(node: string, data: DataSourceBytes, meta: { urn: string; type?: string; tags: string[] }): Promise<{ artifact: Artifact; added: boolean }> {
    const { ctx } = this;
    const client = ctx.client(node);
    if (!client || !ctx.readyNodes().has(node)) throw new StudioError('artifact-unavailable', `node ${node} is not running: ${meta.urn} cannot be put there`, 'check `edgeai cluster status`');
    const latest = ctx.registry.artifact(meta.urn);
    if (latest && latest.sha256 === data.sha256 && latest.format === data.format && latest.locations.some((l) => l.node === node) && (await client.hasBlob(data.sha256))) return { artifact: latest, added: false };
    await client.putBlob(data.sha256, data.bytes);
    const artifact = ctx.registry.putRemote(
      {
        kind: 'data',
        urn: meta.urn,
        format: data.format,
        ...(meta.type !== undefined ? { type: meta.type } : {}),
        tags: meta.tags,
        lineage: { inputs: [], source: data.source },
        locations: [{ node, networks: ctx.links!.networksOf(node) }],
      },
      { sha256: data.sha256, size: data.bytes.byteLength },
    );
    return { artifact, added: true };
  }

  /**
   * Makes sure `node` holds the artifact's bytes; returns the emulated transfer time in ms (0:
   * already there). With a strict policy, the route the bytes would take is checked first, and
   * only sources whose route stays inside the allowed networks are used.
   */
  async ensureOn(a: Artifact, node: string, policy: DataPolicyCheck | undefined): Promise<number> {
    const { ctx } = this;
    const { links, topology } = ctx.requireUp();
    const dst = ctx.client(node);
    if (!dst) throw new StudioError('node-unreachable', `node ${node} is not running`);
    if (a.locations.some((l) => l.node === node) && (await dst.hasBlob(a.sha256))) return 0;
    // candidate sources: ready nodes that hold it, and the registry's own store
    const ready = ctx.readyNodes();
    const sources: Array<{ node: string; fromRegistry: boolean }> = a.locations.filter((l) => l.node !== node && ready.has(l.node)).map((l) => ({ node: l.node, fromRegistry: false }));
    const reg = registryNode(topology);
    if (reg && ctx.registry.hasBytes(a)) sources.push({ node: reg, fromRegistry: true });
    if (!sources.length) {
      throw new StudioError('artifact-unavailable', `${a.urn} version ${a.version} is unavailable: its only copies were on ${a.locations.map((l) => l.node).join(', ') || '(no node)'}, which ${a.locations.length > 1 ? 'are' : 'is'} not running`, 'restart that node, or run the function that produces it again');
    }
    const plans = sources.map((s) => ({ s, plan: links.plan(s.node, node, a.size) })).sort((x, y) => x.plan.delayMs - y.plan.delayMs);
    // the policy is judged on the routes the bytes would take, before any byte moves
    const allowed = policy?.strict ? plans.filter((p) => policyAllows(p.plan, policy)) : plans;
    if (policy?.strict && !allowed.length) checkDataPolicy(plans[0].plan, policy.networks, `${a.urn} version ${a.version}`, policy.fn);
    let bytes: Uint8Array | undefined;
    let best = allowed[0];
    const failures: string[] = [];
    for (const p of allowed) {
      if (p.s.fromRegistry) bytes = ctx.registry.read(a);
      else {
        try {
          bytes = await ctx.client(p.s.node)!.getBlob(a.sha256);
        } catch (e) {
          failures.push(`${p.s.node}: ${(e as Error).message}`);
          continue;
        }
      }
      best = p;
      break;
    }
    if (!bytes) throw new StudioError('transfer-failed', `could not read ${a.urn} version ${a.version} from any node holding it (${failures.join('; ')})`, 'run the function that produces it again');
    const t0 = Date.now();
    try {
      await dst.putBlob(a.sha256, bytes);
    } catch (e) {
      if (e instanceof AgentRefused || e instanceof AgentUnreachable) throw new StudioError('transfer-failed', `node ${node} refused ${a.urn} version ${a.version}: ${e.detail}`);
      throw e;
    }
    await sleep(best.plan.delayMs * ctx.timeScale - (Date.now() - t0));
    for (const l of best.plan.links) ctx.state.countLink(l, a.size);
    ctx.registry.addLocation({ urn: a.urn, version: a.version }, { node, networks: links.networksOf(node) });
    return best.plan.delayMs * ctx.timeScale;
  }
}

function policyAllows(plan: TransferPlan, policy: DataPolicyCheck): boolean {
  try {
    checkDataPolicy(plan, policy.networks, '', policy.fn);
    return true;
  } catch {
    return false;
  }
}
