/**
 * The state words of the platform, defined once: the runtime writes them, the contract
 * validates them, the CLI and the studio show them. Browser-safe: no imports.
 */

/** A node of a running cluster. */
export const NODE_STATUSES = ['Starting', 'Ready', 'NotReady', 'Stopped'] as const;
export type NodeStatus = (typeof NODE_STATUSES)[number];

/** One function's deploy steps: scheduled → shipped → started → ready, or failed (with the reason). */
export const PLACEMENT_STATUSES = ['scheduled', 'shipped', 'started', 'ready', 'failed'] as const;
export type PlacementStatus = (typeof PLACEMENT_STATUSES)[number];

/** One invocation. */
export const RUN_STATUSES = ['running', 'ok', 'failed', 'deadline-miss', 'gate-failed'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** A deployment (one workflow on one cluster). */
export const DEPLOYMENT_STATUSES = ['deploying', 'restarting', 'ready', 'failed', 'stopped'] as const;
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];

/**
 * How a deploy treats the functions of a workflow:
 * - `full`: every function is placed by the scheduler and its bundle shipped (the default);
 * - `changed`: only functions whose code (the function's own bundle) or contract differ from
 *   their ready placement; the others keep their node and warm workers;
 * - `restart`: no new code: every deployed function's workers are retired and started again on
 *   its node from the bundle already there; the revision stays.
 * In every mode functions that left the project are undeployed.
 */
export const DEPLOY_MODES = ['full', 'changed', 'restart'] as const;
export type DeployMode = (typeof DEPLOY_MODES)[number];

/** What a deploy did with one function. */
export const DEPLOY_ACTIONS = ['deployed', 'unchanged', 'restarted'] as const;
export type DeployAction = (typeof DEPLOY_ACTIONS)[number];

/** Where the agents of a local cluster live. */
export const BACKEND_KINDS = ['process', 'docker', 'kubernetes'] as const;
export type BackendKind = (typeof BACKEND_KINDS)[number];
