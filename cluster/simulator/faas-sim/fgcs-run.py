# Produces cluster/simulator/faas-sim/fgcs-figures.json (see its "how"): /usr/bin/python3 fgcs-run.py [seed] with faas-sim@9c6e1b3,
# skippy-core@754b20b and srds v0.1.0 unpacked under /tmp/fs (git archive of each), printing the figures as JSON.
# faas-sim@9c6e1b3's UrbanSensingScenario(4) as its CLI runs it (faassim/cli/faassim.py: stats.seed(0),
# the CLI's scheduler_params, faas_idler on), then the figures the edge-ai-studio preset is compared on:
# bytes over the edge cells' up- and downlinks (network metric, tags type uplink/downlink, zone edge)
# and mean t_wait + t_exec per function kind (invocations metric).
import collections, collections.abc, json, sys, time
for n in ('Iterable', 'Mapping', 'MutableMapping', 'Sequence', 'Callable', 'MutableSet', 'Set'):
    setattr(collections, n, getattr(collections.abc, n))  # Python >= 3.10 moved these
sys.path[:0] = ['/tmp/fs/faas-sim', '/tmp/fs/skippy', '/tmp/fs/srds']
import srds.srds as stats
from faassim.cli.faassim import scheduler_params
from faassim.faassim import Simulation
from faassim.scenarios import UrbanSensingScenario

seed = int(sys.argv[1]) if len(sys.argv) > 1 else 0  # fgcs-figures.json: seed 0 (faas-sim's CLI), its 'seeds': 0 to 9
stats.seed(seed)
sim = Simulation(UrbanSensingScenario(4), scheduler_params, True)
t = time.time()
sim.run()
wall = time.time() - t
net = sim.dataframe('network')
inv = sim.dataframe('invocations')
edge = net[net['zone'] == 'edge'] if 'zone' in net.columns else net.iloc[0:0]
out = {
    'seed': seed,
    'simulated_s': float(sim.env.now),
    'invocations': int(len(inv)),
    'wall_s': wall,
    'edge_uplink_bytes': float(edge[edge['type'] == 'uplink']['value'].sum()),
    'edge_downlink_bytes': float(edge[edge['type'] == 'downlink']['value'].sum()),
    'per_kind': {},
}
inv['kind'] = inv['function_name'].str.extract(r'(preprocess|train|inference)')[0]
for kind, g in inv.groupby('kind'):
    out['per_kind'][kind] = {'count': int(len(g)), 'mean_wait_s': float(g['t_wait'].mean()), 'mean_exec_s': float(g['t_exec'].mean()), 'mean_wait_plus_exec_s': float((g['t_wait'] + g['t_exec']).mean())}
out['edge_bytes_by_type_and_data'] = {f'{k[0]} {k[1]}': float(v) for k, v in edge.groupby(['type', 'data_type'])['value'].sum().items()}
print(json.dumps(out, indent=1))
print(sorted(inv['function_name'].unique())[:6], file=sys.stderr)
print(net.columns.tolist(), net.groupby(['type'] + (['zone'] if 'zone' in net.columns else []))['value'].sum().to_dict(), file=sys.stderr)
