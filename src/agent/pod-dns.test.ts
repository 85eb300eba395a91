// The pod's resolver configuration and hostname, as kubelet's dns.Configurer and
// GeneratePodHostNameAndDomain make them (container-config.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1';
import { HostnameTooLongError, podDnsConfig, sandboxConfig, sandboxHostname, type DnsSettings } from './container-config.js';

const host = { servers: ['192.168.1.1', '192.168.1.2'], searches: ['corp.example', 'lab.example'], options: ['edns0', 'timeout:2'] };
const cluster: DnsSettings = { clusterDns: ['10.43.0.10'], clusterDomain: 'cluster.local', host };

function pod(spec: Partial<Pod['spec']> = {}, name = 'web-0'): Pod {
  return { metadata: { name, namespace: 'shop', uid: 'u1' }, spec: { containers: [{ name: 'c' }], ...spec } } as Pod;
}

test('ClusterFirst: the cluster nameserver, the namespace search path then the host search domains, ndots:5', () => {
  assert.deepEqual(podDnsConfig(pod(), cluster), {
    servers: ['10.43.0.10'],
    searches: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example', 'lab.example'],
    options: ['ndots:5'],
  });
});

test('Default, and hostNetwork with ClusterFirst: the node resolv.conf; ClusterFirstWithHostNet: the cluster one', () => {
  assert.deepEqual(podDnsConfig(pod({ dnsPolicy: 'Default' }), cluster), host);
  assert.deepEqual(podDnsConfig(pod({ hostNetwork: true }), cluster), host);
  assert.deepEqual(podDnsConfig(pod({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' }), cluster).servers, ['10.43.0.10']);
  // Without cluster DNS, ClusterFirst falls back to Default (kubelet without --cluster-dns).
  assert.deepEqual(podDnsConfig(pod(), { ...cluster, clusterDns: [] }), host);
});

test('None takes only dnsConfig; dnsConfig is appended without duplicates, options merged by name', () => {
  assert.deepEqual(
    podDnsConfig(
      pod({
        dnsPolicy: 'None',
        dnsConfig: { nameservers: ['1.1.1.1'], searches: ['a.example'], options: [{ name: 'ndots', value: '2' }, { name: 'rotate' }] },
      }),
      cluster,
    ),
    {
      servers: ['1.1.1.1'],
      searches: ['a.example'],
      options: ['ndots:2', 'rotate'],
    },
  );
  const merged = podDnsConfig(
    pod({
      dnsConfig: {
        nameservers: ['10.43.0.10', '8.8.8.8'],
        searches: ['svc.cluster.local', 'extra.example'],
        options: [{ name: 'ndots', value: '1' }, { name: 'edns0' }],
      },
    }),
    cluster,
  );
  assert.deepEqual(merged.servers, ['10.43.0.10', '8.8.8.8']);
  assert.deepEqual(merged.searches, ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example', 'lab.example', 'extra.example']);
  assert.deepEqual(merged.options, ['ndots:1', 'edns0']);
  // Default's own options are merged the same way: the pod's value replaces the host's.
  assert.deepEqual(podDnsConfig(pod({ dnsPolicy: 'Default', dnsConfig: { options: [{ name: 'timeout', value: '5' }] } }), cluster).options, [
    'edns0',
    'timeout:5',
  ]);
});

test('limits as kubelet applies them: 3 nameservers, 32 search domains, none over 253 characters, 2048 characters in all', () => {
  const many = podDnsConfig(pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1', '1.1.1.2', '1.1.1.3', '1.1.1.4'] } }), cluster);
  assert.deepEqual(many.servers, ['1.1.1.1', '1.1.1.2', '1.1.1.3']);
  const forty = Array.from({ length: 40 }, (_, i) => `d${i}.example`);
  assert.equal(podDnsConfig(pod({ dnsPolicy: 'None', dnsConfig: { searches: forty } }), cluster).searches!.length, 32);
  const long = 'x'.repeat(254);
  assert.deepEqual(podDnsConfig(pod({ dnsPolicy: 'None', dnsConfig: { searches: ['a.example', long, 'b.example'] } }), cluster).searches, [
    'a.example',
    'b.example',
  ]);
  // 20 domains of 200 characters: 4019 characters; the last ones go until the line fits.
  const wide = Array.from({ length: 20 }, (_, i) => `${String(i).padStart(2, '0')}${'y'.repeat(198)}`);
  const cut = podDnsConfig(pod({ dnsPolicy: 'None', dnsConfig: { searches: wide } }), cluster).searches!;
  assert.equal(cut.length, 10);
  assert.ok(cut.join(' ').length <= 2048);
  assert.deepEqual(cut, wide.slice(0, 10));
});

test('hostname: spec.hostname or the name; with setHostnameAsFQDN and a subdomain, the FQDN; too long an FQDN is an error', () => {
  assert.equal(sandboxHostname(pod(), 'cluster.local'), 'web-0');
  assert.equal(sandboxHostname(pod({ hostname: 'db', subdomain: 'pg' }), 'cluster.local'), 'db');
  assert.equal(sandboxHostname(pod({ hostname: 'db', subdomain: 'pg', setHostnameAsFQDN: true }), 'cluster.local'), 'db.pg.shop.svc.cluster.local');
  // Without a subdomain there is no FQDN to set.
  assert.equal(sandboxHostname(pod({ setHostnameAsFQDN: true }), 'cluster.local'), 'web-0');
  assert.throws(() => sandboxHostname(pod({ hostname: 'h'.repeat(40), subdomain: 's', setHostnameAsFQDN: true }), 'cluster.local'), HostnameTooLongError);
  const s = sandboxConfig(pod({ hostname: 'db', subdomain: 'pg', setHostnameAsFQDN: true }), { attempt: 0, logRoot: '/l', cgroupRoot: '/b', dns: cluster });
  assert.equal(s.hostname, 'db.pg.shop.svc.cluster.local');
  assert.deepEqual(s.dnsConfig!.servers, ['10.43.0.10']);
  assert.equal(sandboxConfig(pod({ hostNetwork: true }), { attempt: 0, logRoot: '/l', cgroupRoot: '/b', dns: cluster }).hostname, '');
});
