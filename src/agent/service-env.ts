// The environment variables kubelet gives containers for Services (pkg/kubelet/envvars): for
// each, NAME_SERVICE_HOST/_PORT (+ _PORT_<portname>) and the Docker-link style NAME_PORT,
// NAME_PORT_<port>_<PROTO> (+ _PROTO, _PORT, _ADDR), for the Services of the pod's namespace
// when enableServiceLinks (the default) — and the API server's own Service
// (default/kubernetes) always, whatever enableServiceLinks says: it is how in-cluster clients
// find the API server (KUBERNETES_SERVICE_HOST/PORT).
import type { Service } from 'kubernetes-types/core/v1';

const envName = (s: string) => s.toUpperCase().replace(/-/g, '_');
const hostPort = (ip: string, port: number) => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);

/**
 * Which Services a pod gets variables for (kubelet's getServiceEnvVarMap): default/kubernetes,
 * and with service links those of its namespace, which win a name clash.
 */
export function podServices(master: Service | undefined, namespaceServices: Service[], enableServiceLinks: boolean): Service[] {
  const byName = new Map<string, Service>();
  if (master) byName.set(master.metadata!.name!, master);
  if (enableServiceLinks) for (const s of namespaceServices) byName.set(s.metadata!.name!, s);
  return [...byName.values()];
}

/** The variables of these Services, in kubelet's order; Services without a cluster IP have none. */
export function serviceEnvVars(services: Service[]): Array<{ key: string; value: string }> {
  const out: Array<{ key: string; value: string }> = [];
  const add = (key: string, value: string | number) => out.push({ key, value: String(value) });
  for (const svc of services) {
    const ip = svc.spec?.clusterIP;
    const ports = svc.spec?.ports ?? [];
    if (!ip || ip === 'None' || !ports.length) continue;
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
