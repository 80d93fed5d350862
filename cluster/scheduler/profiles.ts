/**
 * Scheduler profiles: which filters run (in order) and which scores with which weights.
 *
 *   skippy        docs/reference.md §1: PodFitsResources + storage/no-schedule; Balanced,
 *                 LatencyAwareImageLocality, LocalityType, DataLocality, Capability, weight 1 each
 *                 (`skippy:urban-sensing` etc. use the weights tuned per scenario for FGCS)
 *   kube-default  docs/reference.md §1 baseline: BalancedResource + ImageLocality, weight 1 each
 *   edge-ai       ours: Skippy's filters and priorities plus policy.fn node type and capability,
 *                 strict policy.data networks and deadline feasibility as filters, and
 *                 non-strict policy.data as a score
 */
import { didYouMeanSuffix } from '../spec/names';
import { StudioError } from '../common/errors';
import {
  BalancedResource,
  CapabilityFilter,
  CapabilityScore,
  DataLocality,
  DataNetworkPreference,
  DataNetworkStrict,
  DeadlineFeasible,
  ImageLocality,
  LatencyAwareImageLocality,
  LocalityType,
  NodeSchedulable,
  NodeType,
  PodFitsResources,
  type FilterPlugin,
  type ScorePlugin,
} from './plugins';

export interface WeightedScore {
  plugin: ScorePlugin;
  weight: number;
}

export interface Profile {
  name: string;
  filters: FilterPlugin[];
  scores: WeightedScore[];
  /** docs/reference.md §1: Skippy scores 100% of nodes; ≤ 0 = Kubernetes' adaptive rule */
  percentageOfNodesToScore: number;
}

export const PROFILE_NAMES = ['edge-ai', 'skippy', 'kube-default'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

/** Skippy weights tuned per scenario, order Balanced, LatencyAwareImageLocality, LocalityType, DataLocality, Capability (docs/reference.md §1). */
export const SKIPPY_TUNED_WEIGHTS: Record<string, [number, number, number, number, number]> = {
  'urban-sensing': [6.66109, 2.77657, 6.69114, 8.47306, 1.06714],
  'industrial-iot': [8.29646, 1.54538, 0.62121, 9.67983, 6.96152],
  'cloud-regions': [0.65992, 6.92733, 0.73502, 5.81942, 0.6711],
};

const SKIPPY_SCORES = [BalancedResource, LatencyAwareImageLocality, LocalityType, DataLocality, CapabilityScore];

export function skippyProfile(weights: [number, number, number, number, number] = [1, 1, 1, 1, 1], name = 'skippy'): Profile {
  return {
    name,
    filters: [NodeSchedulable, PodFitsResources],
    scores: SKIPPY_SCORES.map((plugin, i) => ({ plugin, weight: weights[i] })),
    percentageOfNodesToScore: 100,
  };
}

export function kubeDefaultProfile(percentageOfNodesToScore = 100): Profile {
  return {
    name: 'kube-default',
    filters: [NodeSchedulable, PodFitsResources],
    scores: [
      { plugin: BalancedResource, weight: 1 },
      { plugin: ImageLocality, weight: 1 },
    ],
    percentageOfNodesToScore,
  };
}

export function edgeAiProfile(): Profile {
  return {
    name: 'edge-ai',
    // cheap, selective filters first; the deadline estimate last
    filters: [NodeSchedulable, NodeType, CapabilityFilter, DataNetworkStrict, PodFitsResources, DeadlineFeasible],
    scores: [
      ...SKIPPY_SCORES.map((plugin) => ({ plugin, weight: 1 })),
      // our choice: a non-strict data policy weighs like one Skippy priority
      { plugin: DataNetworkPreference, weight: 1 },
    ],
    percentageOfNodesToScore: 100,
  };
}

export class ProfileError extends StudioError {
  constructor(message: string, hint?: string) {
    super('bad-profile', message, hint);
    this.name = 'ProfileError';
  }
}

/**
 * `edge-ai`, `skippy`, `skippy:urban-sensing` (tuned weights), `kube-default`,
 * `kube-default:50` (score 50% of nodes). Throws ProfileError naming the choices.
 */
export function profileByName(spec: string): Profile {
  const [name, opt, ...junk] = spec.trim().split(':');
  if (junk.length) throw new ProfileError(`profile '${spec}': one option at most after the name (edge-ai, skippy[:<scenario>], kube-default[:<percent>])`);
  switch (name) {
    case 'edge-ai':
      if (opt) throw new ProfileError(`profile edge-ai takes no option (got '${opt}')`);
      return edgeAiProfile();
    case 'skippy': {
      if (!opt) return skippyProfile();
      const w = SKIPPY_TUNED_WEIGHTS[opt];
      if (!w) throw new ProfileError(`no tuned Skippy weights for '${opt}'${didYouMeanSuffix(opt, Object.keys(SKIPPY_TUNED_WEIGHTS))}; tuned: ${Object.keys(SKIPPY_TUNED_WEIGHTS).join(', ')}`);
      return skippyProfile(w, `skippy:${opt}`);
    }
    case 'kube-default': {
      if (!opt) return kubeDefaultProfile();
      const p = Number(opt);
      if (!/^\d+(\.\d+)?$/.test(opt) || !Number.isFinite(p) || p > 100) throw new ProfileError(`kube-default:${opt}: give the percentage of nodes to score, e.g. kube-default:50`);
      return { ...kubeDefaultProfile(p), name: `kube-default:${opt}` };
    }
    default:
      throw new ProfileError(`unknown scheduler profile '${name}'${didYouMeanSuffix(name, PROFILE_NAMES)}; profiles: ${PROFILE_NAMES.join(', ')} (skippy:<scenario> for tuned weights)`);
  }
}
