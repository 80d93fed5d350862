/**
 * What every `edgeai` command is called, takes and does: the table `edgeai --help` prints
 * without loading any command (each command's module loads only when it runs), and that each
 * command's own usage line reads. Add a command here and in ./index.ts.
 */
export const COMMANDS = {
  accelerators: {
    usage: 'accelerators [--json] [--sysfs <root>] [--dev <root>] [--watch [--interval <ms>] [--events <n>]] [--save <topology.json> [--topology <t>] [--host <node>]] [--cluster <name>] [--home <dir>]',
    summary: 'list USB accelerators (Coral, NCS2), watch hot-plug, attach them to a topology',
  },
  artifacts: {
    usage: 'artifacts list|show|lineage|gc|verify [<urn[@version]>] [--store cluster|project] [--cluster c] [--project <dir>] [--json]',
    summary: 'list, show, trace the lineage of, verify and garbage-collect registry artifacts',
  },
  cluster: {
    usage: 'cluster up|status|down|inspect [--backend process|docker|kubernetes] [--topology <name|file>] [--accelerators-on <node>|none] [--kubeconfig f] [--context c] [--namespace n] [--privileged-usb] [--keep-state] [--json]',
    summary: 'start, inspect or stop the edge cluster (process, docker or kubernetes backend)',
  },
  data: {
    usage: 'data add <project> <file> --urn <urn> [--tags a,b] [--node n] | data import <project> | data show <project> <urn[@version]>  [--store cluster|project] [--cluster c]',
    summary: 'import data files and workflow.json data sources into the registry; preview data',
  },
  deploy: {
    usage: 'deploy <project> [--mode full|changed|restart] [--expect-revision N] [--accept-warnings] [--replace] [--strict-accelerators] [--json]',
    summary: 'validate, schedule and ship a workflow to the running cluster (per-function progress)',
  },
  export: {
    usage: 'export kubernetes <project> -o <dir> [--topology <file|scenario>] [--kubeconfig f] [--context c] [--namespace n] [--cluster name] [--image ref] [--privileged-usb] [--controller [--controller-image ref]]',
    summary: 'write the cluster as plain Kubernetes YAML (namespace, agent Secret, one agent pod per node, node labels)',
  },
  gateway: {
    usage: 'gateway [--port N] [--token <secret>]',
    summary: 'serve POST /fn/<workflow>/<function> on 127.0.0.1 for http triggers (runs until Ctrl+C)',
  },
  inspect: {
    usage: 'inspect <project> [--json]',
    summary: "print each function's contract, the derived graph and the diagnostics; exit 1 on errors",
  },
  invoke: {
    usage: 'invoke <workflow>/<function> [--input <file|json>] [--param k=v]… [--json]',
    summary: 'run one function on the node it is placed on and print the answer',
  },
  load: {
    usage: 'load <workflow>/<function> --rate <per_s> --duration <d> [--seed N] [--input <file|json>] [--record <file>] [--json]',
    summary: 'drive a deployed function at a Poisson rate through the gateway (127.0.0.1; bounded) and record it',
  },
  new: {
    usage: 'new <dir> [--name <workflow name>]',
    summary: 'create a workflow project from a template that inspects clean',
  },
  resolve: {
    usage: "resolve '<selector json>' [--param k=v]… [--best <metric>] [--store cluster|project] [--cluster c] [--project <dir>] [--json]",
    summary: 'resolve a selector against the registry, explaining every candidate',
  },
  runs: {
    usage: 'runs list|show|logs [<run>] [--workflow w] [--function f] [--output] [--json]',
    summary: 'the recorded runs: inputs, outputs, node, timings, logs',
  },
  schedule: {
    usage: 'schedule <project> [--topology <file|scenario>] [--profile edge-ai|skippy|kube-default] [--exec fn=workload]… [--explain] [--json]',
    summary: 'place every function of a project on a topology and say why',
  },
  schema: {
    usage: 'schema workflow|topology',
    summary: 'print the JSON Schema of workflow.json or topology.json',
  },
  simulate: {
    usage: 'simulate <project> [--topology <t>] [--profile p[,p2…]] [--seed N] [--duration 1h] [--rate fn=per_s]… [--exec fn=workload]… [--workers N] [--service s] [--replicas n] [--cold-starts off] [--start fn=d]… [--exec-from-runs [--compare-runs <load record>]] [--json]',
    summary: 'simulate a workflow on a topology with the real scheduler (latency, cold starts, bytes, cost)',
  },
} as const satisfies Record<string, { usage: string; summary: string }>;

export type CommandName = keyof typeof COMMANDS;
