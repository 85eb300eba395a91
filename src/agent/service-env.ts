// The environment variables kubelet gives containers for Services (pkg/kubelet/envvars): for
// each, NAME_SERVICE_HOST/_PORT (+ _PORT_<portname>) and the Docker-link style NAME_PORT,
// NAME_PORT_<port>_<PROTO> (+ _PROTO, _PORT, _ADDR), for the Services of the pod's namespace
// when enableServiceLinks (the default) — and the API server's own Service
// (default/kubernetes) always, whatever enableServiceLinks says: it is how in-cluster clients
// find the API server (KUBERNETES_SERVICE_HOST/PORT). The Services come from one informer on
// all of the cluster's (kubelet's serviceLister), so a container start asks the API nothing.
import type { Pod, Service } from 'kubernetes-types/core/v1';
import { NAMESPACE_INDEX, type Informer } from '../client/index.js';
import { ContainerConfigError } from './env.js';

const envName = (s: string) => s.toUpperCase().replace(/-/g, '_');
const hostPort = (ip: string, port: number) => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);
const hasClusterIP = (s: Service) => !!s.spec?.clusterIP && s.spec.clusterIP !== 'None';

/**
 * Which Services a pod gets variables for (kubelet's getServiceEnvVarMap): default/kubernetes,
 * and with service links those of its namespace, which win a name clash. Services without a
 * cluster IP are left out first, as upstream: a headless Service does not hide the master's.
 */
export function podServices(master: Service | undefined, namespaceServices: Service[], enableServiceLinks: boolean): Service[] {
  const byName = new Map<string, Service>();
  if (master && hasClusterIP(master)) byName.set(master.metadata!.name!, master);
  if (enableServiceLinks) for (const s of namespaceServices) if (hasClusterIP(s)) byName.set(s.metadata!.name!, s);
  return [...byName.values()];
}

/** What ServiceEnv reads of the Services informer (an Informer<Service> with a namespace index). */
export type ServiceLister = Pick<Informer<Service>, 'hasSynced' | 'get' | 'byIndex'>;

/** The Service variables of pods, from an informer on all Services indexed by namespace (NAMESPACE_INDEX). */
export class ServiceEnv {
  constructor(private readonly services: ServiceLister) {}

  /** The pod's Service variables; a ContainerConfigError until the informer has listed once (kubelet's words). */
  forPod(pod: Pod): Array<{ key: string; value: string }> {
    if (!this.services.hasSynced()) throw new ContainerConfigError('services have not yet been read at least once, cannot construct envvars');
    const links = pod.spec?.enableServiceLinks !== false;
    const own = links ? this.services.byIndex(NAMESPACE_INDEX, pod.metadata?.namespace ?? '') : [];
    return serviceEnvVars(podServices(this.services.get('default', 'kubernetes'), own, links));
  }
}

/** The variables of these Services, in kubelet's order; Services without a cluster IP have none. */
export function serviceEnvVars(services: Service[]): Array<{ key: string; value: string }> {
  const out: Array<{ key: string; value: string }> = [];
  const add = (key: string, value: string | number) => out.push({ key, value: String(value) });
  for (const svc of services) {
    const ip = svc.spec?.clusterIP;
    const ports = svc.spec?.ports ?? [];
    if (!ip || !hasClusterIP(svc) || !ports.length) continue;
    const name = envName(svc.metadata!.name!);
    add(`${name}_SERVICE_HOST`, ip);
    add(`${name}_SERVICE_PORT`, ports[0]!.port);
    for (const p of ports) if (p.name) add(`${name}_SERVICE_PORT_${envName(p.name)}`, p.port);
    const first = ports[0]!;
    add(`${name}_PORT`, `${(first.protocol ?? 'TCP').toLowerCase()}://${hostPort(ip, first.port)}`);
    for (const p of ports) {
      const proto = (p.protocol ?? 'TCP').toUpperCase();
      const prefix = `${name}_PORT_${p.port}_${proto}`;
      add(prefix, `${proto.toLowerCase()}://${hostPort(ip, p.port)}`);
      add(`${prefix}_PROTO`, proto.toLowerCase());
      add(`${prefix}_PORT`, p.port);
      add(`${prefix}_ADDR`, ip);
    }
  }
  return out;
}
