// The services table, as upstream's printService: TYPE, CLUSTER-IP (<none> when headless or
// ExternalName), EXTERNAL-IP (<pending> for a LoadBalancer still waiting), PORT(S) as
// `80:30080/TCP`, and with -o wide the SELECTOR.
import type { Printer } from '../../api/resource.js';
import { AGE, NAME, col, created, name, orNone, type Any } from '../../api/printers/columns.js';

/** Upstream's getServiceExternalIP. */
export function serviceExternalIP(spec: Any, status: Any | undefined): string {
  switch (spec.type) {
    case 'ClusterIP':
    case 'NodePort':
      return (spec.externalIPs ?? []).length ? spec.externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const ips: string[] = [];
      for (const ing of (status?.loadBalancer?.ingress ?? []) as Any[]) {
        if (ing.ip) ips.push(ing.ip);
        else if (ing.hostname) ips.push(ing.hostname);
      }
      ips.push(...((spec.externalIPs ?? []) as string[]));
      // The server's table is generated wide, so the list is never cut here.
      return ips.length ? ips.join(',') : '<pending>';
    }
    case 'ExternalName':
      return spec.externalName ?? '';
  }
  return '<unknown>';
}

/** Upstream's makePortString: `80/TCP`, `80:30080/TCP`, joined with commas. */
export function servicePorts(ports: Any[] | undefined): string {
  const out = (ports ?? []).map((p) => (p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol ?? 'TCP'}` : `${p.port}/${p.protocol ?? 'TCP'}`));
  return out.length ? out.join(',') : '<none>';
}

function selectorOf(sel: Record<string, string> | undefined): string {
  const keys = Object.keys(sel ?? {}).sort();
  return orNone(keys.map((k) => `${k}=${sel![k]}`).join(','));
}

/** The primary cluster IP: `None` for a headless service, <none> when there is none (ExternalName). */
function clusterIPOf(spec: Any): string {
  return spec.clusterIPs?.[0] || spec.clusterIP || '<none>';
}

export const servicePrinter: Printer = {
  columns: [
    NAME,
    col(
      'Type',
      'string',
      0,
      'type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer.',
    ),
    col('Cluster-IP', 'string', 0, 'clusterIP is the IP address of the service and is usually assigned randomly.'),
    col('External-IP', 'string', 0, 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.'),
    col('Port(s)', 'string', 0, 'The list of ports that are exposed by this service.'),
    AGE,
    col('Selector', 'string', 1, 'Route service traffic to pods with label keys and values matching this selector.'),
  ],
  cells: (o, now) => {
    const spec: Any = (o as Any).spec ?? {};
    return [
      name(o),
      spec.type ?? '',
      clusterIPOf(spec),
      serviceExternalIP(spec, (o as Any).status),
      servicePorts(spec.ports),
      created(o, now),
      selectorOf(spec.selector),
    ];
  },
};
