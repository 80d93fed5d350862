/**
 * USB accelerators plugged into this machine (Coral Edge TPU, Intel NCS2), in the Cluster panel:
 * each stick with its state and whether this user can open it (and the udev rule when not), and
 * where it is used — it joins the laptop node as capability tpu / vpu when the cluster starts.
 * Hot-plug arrives as accelerators.changed events; the list is fetched again on each.
 */
import { useEffect, useState } from 'react';
import type { AcceleratorDto, ApiError, ClusterStatusDto, MethodResponse } from '../../cluster/api/contract';
import { call, errorOf, studio } from '../api';
import { ErrorBox } from './ErrorBox';

type List = MethodResponse<'accelerators.list'>;

/** Where a stick is used, given the cluster's state (the host is the node sticks join, default laptop). */
export function stickUse(a: AcceleratorDto, status: ClusterStatusDto | undefined, host = 'laptop'): { text: string; tone: 'ok' | 'warn' | 'muted' } {
  if (!status?.up) return { text: `joins ${host} as ${a.capability} when the cluster starts`, tone: 'muted' };
  const node = status.nodes.find((n) => n.name === host);
  if (!node) return { text: `not used: topology ${status.topology} has no node ${host}`, tone: 'muted' };
  if (node.capabilities.includes(a.capability)) return { text: `${host} offers ${a.capability}`, tone: 'ok' };
  return { text: `plugged in after the cluster started: stop and start it to use this stick`, tone: 'warn' };
}

export function AcceleratorsSection({ status }: { status: ClusterStatusDto | undefined }) {
  const [list, setList] = useState<List>();
  const [error, setError] = useState<ApiError>();
  const [changes, setChanges] = useState(0);
  useEffect(() => studio().on('accelerators.changed', () => setChanges((n) => n + 1)), []);
  useEffect(() => {
    call('accelerators.list', {}).then(
      (l) => (setList(l), setError(undefined)),
      (e) => setError(errorOf(e)),
    );
  }, [changes]);

  return (
    <div className="accelerators" data-testid="accelerators">
      <div className="rt-head">
        <h3>USB accelerators</h3>
        <span className="muted small">{list ? `${list.accelerators.length} plugged in` : '…'}</span>
      </div>
      {error && <ErrorBox error={error} />}
      {list && !list.accelerators.length && (
        <div className="muted small pad" data-testid="accelerators-empty">
          {list.note ?? 'None found. Plug in a Google Coral USB Accelerator or an Intel Neural Compute Stick 2: it joins the laptop node as capability tpu / vpu when the cluster starts, and functions with policy.fn({ capability: … }) are placed there.'}
        </div>
      )}
      {list && list.accelerators.length > 0 && (
        <table className="rt-table">
          <thead>
            <tr>
              <th>stick</th>
              <th>state</th>
              <th>port · device</th>
              <th>access</th>
              <th>use</th>
            </tr>
          </thead>
          <tbody>
            {list.accelerators.map((a) => {
              const use = stickUse(a, status);
              return (
                <tr key={a.port} data-testid={`accelerator-${a.port}`}>
                  <td>
                    <span className="strong">{a.name}</span> <span className="badge badge-cap">{a.capability}</span>
                    <div className="muted small mono">
                      {a.vendorId}:{a.productId}
                      {a.serial ? ` · ${a.serial}` : ''}
                    </div>
                  </td>
                  <td title={a.state === 'bootloader' ? 'the firmware loads at first use; the stick then re-enumerates with new ids' : undefined}>{a.state}</td>
                  <td className="mono small">
                    {a.port} · {a.devPath}
                  </td>
                  <td>{!a.access ? <span className="muted">–</span> : a.access.ok ? <span className="ok-text">ok</span> : <span className="error-text" title={a.access.hint}>{a.access.problem === 'denied' ? 'no permission' : 'no device node'}</span>}</td>
                  <td className={`small ${use.tone === 'ok' ? 'ok-text' : use.tone === 'warn' ? 'warn' : 'muted'}`}>{use.text}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {list?.accelerators.some((a) => a.access && !a.access.ok) && (
        <div className="pad small" data-testid="accelerator-hints">
          {list.accelerators
            .filter((a) => a.access && !a.access.ok)
            .map((a) => (
              <div key={a.port} className="warn pre">
                {a.name} ({a.port}): {a.access!.hint}
              </div>
            ))}
        </div>
      )}
      {list && (
        <details className="pad small">
          <summary className="muted">udev rules for access without root</summary>
          <div className="muted">
            put them in <span className="mono">{list.udevFile}</span>, then run <span className="mono">{list.udevReload}</span> and re-plug the stick:
          </div>
          <pre className="json">{list.udevRules}</pre>
        </details>
      )}
    </div>
  );
}
