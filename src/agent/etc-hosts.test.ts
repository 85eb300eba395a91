import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1';
import { hostsMount, managedHostsContent } from './etc-hosts.js';

const LOCAL =
  '# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n';

function pod(spec: Partial<Pod['spec']> = {}, name = 'web-0'): Pod {
  return { metadata: { name, namespace: 'shop', uid: 'u1' }, spec: { containers: [{ name: 'c' }], ...spec } } as Pod;
}

test('the managed hosts file: localhost entries, then the pod IP under its hostname', () => {
  assert.equal(managedHostsContent(pod(), ['10.42.0.7'], 'cluster.local'), `${LOCAL}10.42.0.7\tweb-0\n`);
});

test('with a subdomain the pod IP gets the FQDN first; spec.hostname replaces the name; hostAliases follow', () => {
  const p = pod({
    hostname: 'db',
    subdomain: 'backend',
    hostAliases: [
      { ip: '10.1.2.3', hostnames: ['foo.local', 'bar.local'] },
      { ip: '10.1.2.4', hostnames: ['baz'] },
    ],
  });
  assert.equal(
    managedHostsContent(p, ['10.42.0.7'], 'example.org'),
    `${LOCAL}10.42.0.7\tdb.backend.shop.svc.example.org\tdb\n\n# Entries added by HostAliases.\n10.1.2.3\tfoo.local\tbar.local\n10.1.2.4\tbaz\n`,
  );
});

test('the hosts mount: written once, the node file for hostNetwork, none when the container mounts its own', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'berth-hosts-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const m = hostsMount(pod(), root, ['10.42.0.7'], 'cluster.local', []);
  assert.deepEqual(m, { containerPath: '/etc/hosts', hostPath: join(root, 'u1', 'etc-hosts'), readonly: false, propagation: 'PROPAGATION_PRIVATE' });
  assert.equal(readFileSync(m!.hostPath, 'utf8'), `${LOCAL}10.42.0.7\tweb-0\n`);
  // Not re-created while it exists (kubelet's ensureHostsFile), e.g. for a later container.
  writeFileSync(m!.hostPath, 'edited\n');
  hostsMount(pod(), root, ['10.42.0.8'], 'cluster.local', []);
  assert.equal(readFileSync(m!.hostPath, 'utf8'), 'edited\n');
  // A container with its own /etc/hosts mount, or a pod without an address: no mount.
  assert.equal(
    hostsMount(pod(), root, ['10.42.0.7'], 'cluster.local', [
      { containerPath: '/etc/hosts/', hostPath: '/x', readonly: true, propagation: 'PROPAGATION_PRIVATE' },
    ]),
    undefined,
  );
  assert.equal(hostsMount(pod(), root, [], 'cluster.local', []), undefined);
  // hostNetwork: the node's file with a header, then the aliases.
  const nodeHosts = join(root, 'node-hosts');
  writeFileSync(nodeHosts, '127.0.0.1 localhost\n192.168.1.5 mynode\n');
  const hn = {
    ...pod({ hostNetwork: true, hostAliases: [{ ip: '10.9.9.9', hostnames: ['x'] }] }),
    metadata: { name: 'h', namespace: 'shop', uid: 'u2' },
  } as Pod;
  const hm = hostsMount(hn, root, ['192.168.1.5'], 'cluster.local', [], nodeHosts);
  assert.equal(
    readFileSync(hm!.hostPath, 'utf8'),
    '# Kubernetes-managed hosts file (host network).\n127.0.0.1 localhost\n192.168.1.5 mynode\n\n# Entries added by HostAliases.\n10.9.9.9\tx\n',
  );
});
