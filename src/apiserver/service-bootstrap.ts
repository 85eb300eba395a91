// The Services every cluster has from the start, as upstream's bootstrap controller and k3s:
// default/kubernetes (the range's first IP, port 443 "https" to the API server's own port, no
// selector: its endpoints are the API servers, kept by the endpoints reconciler) and
// kube-system/kube-dns (the cluster DNS address, 53/UDP "dns" and 53/TCP "dns-tcp", no
// selector: each node agent's DNS server adds itself; internalTrafficPolicy Local keeps a
// node's queries on its own server). Before them, the repair pass puts the reservations of
// cluster IPs and node ports right.
import type { KObject } from '../api/object.js';
import { resourceByKey } from '../registry/index.js';
import { firstServiceIP, type ServiceNetwork } from '../registry/services/network.js';
import { repairServiceAllocations, type RepairReport } from '../registry/services/repair.js';
import { ApiError } from './errors.js';
import type { RestStorage } from './rest-storage.js';

export interface ClusterServices {
  network: ServiceNetwork;
  /** kube-dns's cluster IP (`--cluster-dns`). */
  clusterDNS: string;
}

export function kubernetesService(network: ServiceNetwork, apiPort: number): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: {
      type: 'ClusterIP',
      clusterIP: firstServiceIP(network),
      sessionAffinity: 'None',
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: apiPort }],
    },
  } as KObject;
}

export function kubeDnsService(clusterDNS: string): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kube-dns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } },
    spec: {
      type: 'ClusterIP',
      clusterIP: clusterDNS,
      internalTrafficPolicy: 'Local',
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
        { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
      ],
    },
  } as KObject;
}

export function describeRepair(r: RepairReport): string[] {
  return [
    ...r.restored.map((s) => `service allocations: restored the reservation of ${s}`),
    ...r.released.map((s) => `service allocations: released ${s} (no Service holds it)`),
    ...r.doubled.map((s) => `service allocations: WARNING: ${s} hold the same value; delete and recreate all but the first`),
    ...r.outOfRange.map((s) => `service allocations: WARNING: ${s} is outside the configured range`),
  ];
}

/** Repairs the reservations, then creates (or brings back in line) the two Services. */
export async function bootstrapServices(storage: RestStorage, c: ClusterServices, apiPort: number, log: (m: string) => void): Promise<void> {
  for (const line of describeRepair(await repairServiceAllocations(storage.store, c.network))) log(line);
  const services = resourceByKey('services');
  const k8s = kubernetesService(c.network, apiPort);
  try {
    const cur = await storage.get(services, 'default', 'kubernetes');
    // The API server's port may differ from the last start's (--listen :0): follow it.
    const wantPorts = (k8s.spec as { ports: unknown[] }).ports;
    const samePort = JSON.stringify((cur.spec as { ports?: unknown[] }).ports) === JSON.stringify(wantPorts);
    if (!samePort) await storage.update(services, 'default', 'kubernetes', (o) => ({ ...o, spec: { ...(o.spec as object), ports: wantPorts } }));
  } catch (e) {
    if (!(e instanceof ApiError && e.code === 404)) throw e;
    await createOrSay(storage, k8s, log);
  }
  try {
    await storage.get(services, 'kube-system', 'kube-dns');
  } catch (e) {
    if (!(e instanceof ApiError && e.code === 404)) throw e;
    await createOrSay(storage, kubeDnsService(c.clusterDNS), log);
  }
}

async function createOrSay(storage: RestStorage, obj: KObject, log: (m: string) => void): Promise<void> {
  try {
    await storage.create(resourceByKey('services'), obj);
  } catch (e) {
    if (e instanceof ApiError && e.code === 409) return;
    if (e instanceof ApiError && e.code === 422) {
      // Another API server starting at the same moment created it (and holds its address).
      const exists = await storage.get(resourceByKey('services'), obj.metadata.namespace, obj.metadata.name!).then(
        () => true,
        () => false,
      );
      // Otherwise an address taken by another Service: the cluster still serves, and says what is wrong.
      if (!exists) log(`WARNING: cannot create ${obj.metadata.namespace}/${obj.metadata.name}: ${e.message}`);
      return;
    }
    throw e;
  }
}
