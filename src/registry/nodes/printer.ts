// The nodes table, as upstream's printNode: STATUS from the Ready condition and
// spec.unschedulable, ROLES from the node-role labels.
import type { Node } from 'kubernetes-types/core/v1';
import type { KObject } from '../../api/object.js';
import type { Printer } from '../../api/resource.js';
import { AGE, NAME, col, created, name } from '../../api/printers/columns.js';

function nodeCells(o: KObject, now: Date): unknown[] {
  const n = o as unknown as Node;
  const conds = n.status?.conditions ?? [];
  const ready = conds.find((c) => c.type === 'Ready');
  const states = [ready ? (ready.status === 'True' ? 'Ready' : ready.status === 'False' ? 'NotReady' : 'Unknown') : 'Unknown'];
  if (n.spec?.unschedulable) states.push('SchedulingDisabled');
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(n.metadata?.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) roles.add(k.slice('node-role.kubernetes.io/'.length));
    else if (k === 'kubernetes.io/role' && v) roles.add(v);
  }
  const addr = (t: string) => n.status?.addresses?.find((a) => a.type === t)?.address || '<none>';
  const info = n.status?.nodeInfo;
  return [
    name(o),
    states.join(','),
    roles.size ? [...roles].sort().join(',') : '<none>',
    created(o, now),
    info?.kubeletVersion ?? '',
    addr('InternalIP'),
    addr('ExternalIP'),
    info?.osImage || '<unknown>',
    info?.kernelVersion || '<unknown>',
    info?.containerRuntimeVersion || '<unknown>',
  ];
}

export const nodePrinter: Printer = {
  columns: [
    NAME,
    col('Status', 'string', 0, 'The status of the node'),
    col('Roles', 'string', 0, 'The roles of the node'),
    AGE,
    col('Version', 'string', 0, 'Kubelet Version reported by the node.'),
    col('Internal-IP', 'string', 1, 'List of internal IPs.'),
    col('External-IP', 'string', 1, 'List of external IPs.'),
    col('OS-Image', 'string', 1, 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).'),
    col('Kernel-Version', 'string', 1, 'Kernel Version reported by the node from uname -r (e.g. 3.16.0-0.bpo.4-amd64).'),
    col('Container-Runtime', 'string', 1, 'Container Runtime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).'),
  ],
  cells: nodeCells,
};
