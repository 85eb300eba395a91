// The pod's resolver and names on a real containerd (agent-fixture.ts), as kubelet makes them:
// /etc/resolv.conf for each dnsPolicy (ClusterFirst, Default from the node's resolv.conf, None
// with dnsConfig, ClusterFirstWithHostNet), /etc/hosts with the hostname.subdomain FQDN and
// hostAliases, setHostnameAsFQDN; and the node's own DNS server, which a pod reaches on its
// bridge's gateway at the port the node's kube-dns EndpointSlice carries.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, kubectl, skipIfMissing } from './harness.js';
import { BUSYBOX, missingAgentPrerequisite, startAgentEnv, type AgentEnv } from './agent-fixture.js';

const missing = skipIfMissing(await missingAgentPrerequisite(), 'the agent DNS e2e test');

/** resolv.conf's lines as data (containerd writes them in its own order). */
function resolv(text: string): { nameservers: string[]; search: string[]; options: string[] } {
  const lines = text.split('\n').map((l) => l.trim().split(/\s+/));
  return {
    nameservers: lines.filter((l) => l[0] === 'nameserver').map((l) => l[1]!),
    search: lines.find((l) => l[0] === 'search')?.slice(1) ?? [],
    options: lines.filter((l) => l[0] === 'options').flatMap((l) => l.slice(1)),
  };
}

describe('node agent: pod DNS config, hosts file and the node DNS server', { skip: missing ?? false }, () => {
  let env: AgentEnv;
  let dir: string;
  const sections = (pod: string) => env.podLog(pod, 'c').split('---\n');
  const show = 'cat /etc/resolv.conf; echo ---; cat /etc/hosts; echo ---; hostname; sleep 3600';
  const pod = (name: string, spec: Record<string, unknown>) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: BUSYBOX, command: ['sh', '-c', show] }], ...spec },
  });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-agent-dns-'));
    // The node's resolver config: only read here (no pod asks a name outside the cluster).
    writeFileSync(join(dir, 'resolv.conf'), 'nameserver 192.0.2.53\nsearch corp.example\noptions timeout:3\n');
    env = await startAgentEnv({ nodeName: 'dns-node', agentOptions: { resolvConf: join(dir, 'resolv.conf'), clusterDns: ['10.43.0.10'] } });
    env.apply(
      pod('cf', { hostname: 'web-0', subdomain: 'pg', hostAliases: [{ ip: '10.9.9.9', hostnames: ['alias.one', 'alias.two'] }] }),
      pod('dflt', { dnsPolicy: 'Default' }),
      pod('none', {
        dnsPolicy: 'None',
        dnsConfig: { nameservers: ['10.1.2.3'], searches: ['a.example'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] },
      }),
      pod('merged', { dnsConfig: { nameservers: ['10.1.2.3'], searches: ['extra.example'], options: [{ name: 'ndots', value: '1' }] } }),
      pod('fqdn', { hostname: 'db', subdomain: 'pg', setHostnameAsFQDN: true }),
      pod('hostnet', { hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' }),
    );
    for (const name of ['cf', 'dflt', 'none', 'merged', 'fqdn', 'hostnet']) {
      await eventually(() => env.getPod(name).status?.phase === 'Running' && sections(name).length === 3, `pod ${name} running and printing`, 60_000);
    }
  });

  after(async () => {
    await env?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('ClusterFirst: the cluster nameserver, the namespace search path then the node ones, ndots:5; hosts file with the FQDN and aliases', () => {
    const [conf, hosts, hostname] = sections('cf');
    assert.deepEqual(resolv(conf!), {
      nameservers: ['10.43.0.10'],
      search: ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example'],
      options: ['ndots:5'],
    });
    const ip = env.getPod('cf').status!.podIP!;
    assert.match(hosts!, new RegExp(`^${ip.replace(/\./g, '\\.')}\\tweb-0\\.pg\\.default\\.svc\\.cluster\\.local\\tweb-0$`, 'm'));
    assert.match(hosts!, /# Entries added by HostAliases\.\n10\.9\.9\.9\talias\.one\talias\.two\n/);
    assert.equal(hostname!.trim(), 'web-0');
  });

  test('Default: the node resolv.conf; None: only dnsConfig; dnsConfig merged into ClusterFirst', () => {
    assert.deepEqual(resolv(sections('dflt')[0]!), { nameservers: ['192.0.2.53'], search: ['corp.example'], options: ['timeout:3'] });
    assert.deepEqual(resolv(sections('none')[0]!), { nameservers: ['10.1.2.3'], search: ['a.example'], options: ['ndots:2', 'edns0'] });
    assert.deepEqual(resolv(sections('merged')[0]!), {
      nameservers: ['10.43.0.10', '10.1.2.3'],
      search: ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example', 'extra.example'],
      options: ['ndots:1'],
    });
  });

  test('setHostnameAsFQDN: the hostname is the FQDN; ClusterFirstWithHostNet on the host network: the cluster nameserver', () => {
    assert.equal(sections('fqdn')[2]!.trim(), 'db.pg.default.svc.cluster.local');
    assert.deepEqual(resolv(sections('hostnet')[0]!).nameservers, ['10.43.0.10']);
  });

  test('the node DNS server: its EndpointSlice names the bridge gateway and port, and a pod resolves a Service through it', async () => {
    const gateway = env.cidr.replace(/0\/24$/, '1');
    const slice = await eventually(
      () => {
        const r = kubectl(env.server, ['get', 'endpointslice', 'kube-dns-dns-node', '-n', 'kube-system', '-o', 'json']);
        return r.code === 0 ? JSON.parse(r.stdout) : undefined;
      },
      'the kube-dns slice of the node',
      30_000,
    );
    assert.deepEqual(slice.endpoints[0].addresses, [gateway]);
    const port = slice.ports.find((p: { name: string }) => p.name === 'dns').port as number;
    const out = await eventually(
      () => {
        const r = kubectl(env.server, ['exec', 'cf', '--', 'nslookup', 'kubernetes.default.svc.cluster.local', `${gateway}:${port}`]);
        return r.code === 0 ? r.stdout : undefined;
      },
      'nslookup from the pod',
      30_000,
    );
    const kubernetesIP = JSON.parse(kubectl(env.server, ['get', 'svc', 'kubernetes', '-o', 'json']).stdout).spec.clusterIP as string;
    assert.match(out!, new RegExp(`Address:\\s+${kubernetesIP.replace(/\./g, '\\.')}\\b`));
  });
});
