// The pod's /etc/hosts, as kubelet manages it (kubelet_pods.go: managedHostsFileContent,
// nodeHostsFileContent, hostsEntriesFromHostAliases): localhost entries and the pod's own
// addresses under its hostname (and FQDN with a subdomain), then the spec's hostAliases; a pod
// on the host's network gets the node's file instead, with its hostAliases after. The file is
// written once per pod (as kubelet: it is not re-created while it exists) and bind-mounted into
// every container that does not mount its own /etc/hosts.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HostAlias, Pod } from 'kubernetes-types/core/v1';
import type { Mount } from '../runtime/index.js';
import { podDir } from './volumes.js';

const MANAGED_HEADER = '# Kubernetes-managed hosts file.\n';
const HOST_NETWORK_HEADER = '# Kubernetes-managed hosts file (host network).\n';

function aliasEntries(aliases: HostAlias[] | undefined): string {
  if (!aliases?.length) return '';
  let out = '\n# Entries added by HostAliases.\n';
  for (const a of aliases) out += `${a.ip}\t${(a.hostnames ?? []).join('\t')}\n`;
  return out;
}

/** The pod's hostname and, with a subdomain, its domain (<subdomain>.<namespace>.svc.<clusterDomain>). */
export function podHostnameAndDomain(pod: Pod, clusterDomain: string): { hostname: string; domain: string } {
  const s = pod.spec!;
  const hostname = (s.hostname || pod.metadata!.name!).slice(0, 63).replace(/[.-]+$/, '');
  const domain = s.subdomain ? `${s.subdomain}.${pod.metadata!.namespace}.svc.${clusterDomain}` : '';
  return { hostname, domain };
}

/** The hosts file of a pod with its own network namespace. */
export function managedHostsContent(pod: Pod, podIPs: string[], clusterDomain: string): string {
  const { hostname, domain } = podHostnameAndDomain(pod, clusterDomain);
  let out =
    MANAGED_HEADER +
    '127.0.0.1\tlocalhost\n' +
    '::1\tlocalhost ip6-localhost ip6-loopback\n' +
    'fe00::0\tip6-localnet\n' +
    'fe00::0\tip6-mcastprefix\n' +
    'fe00::1\tip6-allnodes\n' +
    'fe00::2\tip6-allrouters\n';
  for (const ip of podIPs) out += domain ? `${ip}\t${hostname}.${domain}\t${hostname}\n` : `${ip}\t${hostname}\n`;
  return out + aliasEntries(pod.spec?.hostAliases);
}

/** The hosts file of a pod on the host's network: the node's own, plus the pod's hostAliases. */
export function nodeHostsContent(pod: Pod, nodeHosts: string): string {
  return HOST_NETWORK_HEADER + nodeHosts + aliasEntries(pod.spec?.hostAliases);
}

/**
 * Writes the pod's hosts file (<podDir>/etc-hosts) unless it exists, and returns the mount of
 * it for a container, or undefined: the container mounts its own /etc/hosts, or the pod has no
 * address yet (kubelet mounts none then either).
 */
export function hostsMount(
  pod: Pod,
  podsRoot: string,
  podIPs: string[],
  clusterDomain: string,
  containerMounts: Mount[],
  nodeHostsFile = '/etc/hosts',
): Mount | undefined {
  if (!podIPs.length || containerMounts.some((m) => m.containerPath.replace(/\/+$/, '') === '/etc/hosts')) return undefined;
  const dir = podDir(podsRoot, pod.metadata!.uid!);
  const file = join(dir, 'etc-hosts');
  if (!existsSync(file)) {
    let content: string;
    if (pod.spec?.hostNetwork) {
      let nodeHosts = '';
      try {
        nodeHosts = readFileSync(nodeHostsFile, 'utf8');
      } catch {
        // a node without /etc/hosts: the pod gets the header and its aliases
      }
      content = nodeHostsContent(pod, nodeHosts);
    } else content = managedHostsContent(pod, podIPs, clusterDomain);
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${file}.tmp`, content, { mode: 0o644 });
    renameSync(`${file}.tmp`, file);
  }
  return { containerPath: '/etc/hosts', hostPath: file, readonly: false, propagation: 'PROPAGATION_PRIVATE' };
}
