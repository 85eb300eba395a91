// Upstream's table printers (pkg/printers/internalversion) for every served resource: the
// columns `kubectl get` shows, with the same names, priorities (1 = only with -o wide) and cells.
import type { Node } from 'kubernetes-types/core/v1';
import type { KObject } from '../object.js';
import type { Printer, TableColumn } from '../resource.js';
import { labelSelectorAsString } from '../labels.js';
import { age, humanDuration } from './duration.js';

export { humanDuration, age } from './duration.js';
import { AGE, NAME, col, created, name, orNone, type Any } from './columns.js';


function containersAndImages(template: Any | undefined): [string, string] {
  const cs: Any[] = template?.spec?.containers ?? [];
  return [cs.map((c) => c.name).join(','), cs.map((c) => c.image).join(',')];
}

function selectorString(sel: Any | undefined): string {
  if (!sel) return '<none>';
  try {
    return orNone(labelSelectorAsString(sel));
  } catch {
    return '<error>';
  }
}

function eventCells(o: KObject, now: Date, v1: boolean): unknown[] {
  const e = o as Any;
  const regarding = v1 ? e.regarding ?? {} : e.involvedObject ?? {};
  const series = e.series;
  const count = v1 ? (series?.count ?? e.deprecatedCount ?? 1) : (series?.count ?? e.count ?? 1);
  const first = v1 ? e.deprecatedFirstTimestamp : e.firstTimestamp;
  const last = series?.lastObservedTime ?? (v1 ? e.deprecatedLastTimestamp : e.lastTimestamp) ?? e.eventTime ?? first;
  let lastSeen = age(last, now);
  if (count > 1 && first) lastSeen = `${lastSeen} (x${count} over ${age(first, now)})`;
  const source = v1
    ? [e.reportingController, e.reportingInstance].filter(Boolean).join(', ')
    : [e.source?.component ?? e.reportingComponent, e.source?.host ?? e.reportingInstance].filter(Boolean).join(', ');
  return [
    lastSeen,
    e.type ?? '',
    e.reason ?? '',
    `${String(regarding.kind ?? '').toLowerCase()}/${regarding.name ?? ''}`,
    regarding.fieldPath ?? '',
    source,
    v1 ? e.note ?? '' : e.message ?? '',
    age(first ?? e.eventTime, now),
    count,
    name(o),
  ];
}

const EVENT_COLUMNS = [
  col('Last Seen'),
  col('Type'),
  col('Reason'),
  col('Object'),
  col('Subobject', 'string', 1),
  col('Source', 'string', 1),
  col('Message'),
  col('First Seen', 'string', 1),
  col('Count', 'string', 1),
  col('Name', 'string', 1),
];

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

export const printers: Record<string, Printer> = {
  nodes: {
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
  },
  events: { columns: EVENT_COLUMNS, cells: (o, now) => eventCells(o, now, false) },
  'events.events.k8s.io': { columns: EVENT_COLUMNS, cells: (o, now) => eventCells(o, now, true) },
  configmaps: {
    columns: [NAME, col('Data', 'integer', 0, 'Data contains the configuration data.'), AGE],
    cells: (o, now) => [name(o), Object.keys((o as Any).data ?? {}).length + Object.keys((o as Any).binaryData ?? {}).length, created(o, now)],
  },
  secrets: {
    columns: [NAME, col('Type', 'string', 0, 'The type of secret'), col('Data', 'integer', 0, 'Data contains the secret data.'), AGE],
    cells: (o, now) => [name(o), (o as Any).type ?? '', Object.keys((o as Any).data ?? {}).length, created(o, now)],
  },
  serviceaccounts: {
    columns: [NAME, col('Secrets', 'string', 0, 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.'), AGE],
    cells: (o, now) => [name(o), ((o as Any).secrets ?? []).length, created(o, now)],
  },
  'replicasets.apps': {
    columns: [
      NAME,
      col('Desired', 'integer', 0, 'Replicas is the number of desired replicas.'),
      col('Current', 'integer', 0, 'Replicas is the most recently observed number of replicas.'),
      col('Ready', 'integer', 0, 'The number of ready replicas for this replica set.'),
      AGE,
      col('Containers', 'string', 1, 'Names of each container in the template.'),
      col('Images', 'string', 1, 'Images referenced by each container in the template.'),
      col('Selector', 'string', 1, 'Selector is a label query over pods that should match the replica count.'),
    ],
    cells: (o, now) => {
      const rs = o as Any;
      const [cs, images] = containersAndImages(rs.spec?.template);
      return [name(o), rs.spec?.replicas ?? 0, rs.status?.replicas ?? 0, rs.status?.readyReplicas ?? 0, created(o, now), cs, images, selectorString(rs.spec?.selector)];
    },
  },
  'deployments.apps': {
    columns: [
      NAME,
      col('Ready', 'string', 0, 'Number of the pod with ready state'),
      col('Up-to-date', 'string', 0, 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
      col('Available', 'string', 0, 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
      AGE,
      col('Containers', 'string', 1, 'Names of each container in the template.'),
      col('Images', 'string', 1, 'Images referenced by each container in the template.'),
      col('Selector', 'string', 1, 'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.'),
    ],
    cells: (o, now) => {
      const d = o as Any;
      const [cs, images] = containersAndImages(d.spec?.template);
      return [
        name(o),
        `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`,
        d.status?.updatedReplicas ?? 0,
        d.status?.availableReplicas ?? 0,
        created(o, now),
        cs,
        images,
        selectorString(d.spec?.selector),
      ];
    },
  },
  'leases.coordination.k8s.io': {
    columns: [NAME, col('Holder', 'string', 0, 'HolderIdentity contains the identity of the holder of a current lease.'), AGE],
    cells: (o, now) => [name(o), (o as Any).spec?.holderIdentity ?? '', created(o, now)],
  },
  'priorityclasses.scheduling.k8s.io': {
    columns: [
      NAME,
      col('Value', 'integer', 0, 'The value of this priority class.'),
      col('Global-Default', 'boolean', 0, 'globalDefault specifies whether this PriorityClass should be considered as the default priority.'),
      AGE,
      col('PreemptionPolicy', 'string', 0, 'PreemptionPolicy is the Policy for preempting pods with lower priority.'),
    ],
    cells: (o, now) => [name(o), (o as Any).value ?? 0, (o as Any).globalDefault ?? false, created(o, now), (o as Any).preemptionPolicy ?? ''],
  },
};

/** Resources without their own printer: upstream's default table (name and creation time). */
export const defaultPrinter: Printer = {
  columns: [NAME, col('Created At', 'date', 0, 'CreationTimestamp is a timestamp representing the server time when this object was created.')],
  cells: (o) => [name(o), o.metadata.creationTimestamp ?? ''],
};
