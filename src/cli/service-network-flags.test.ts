import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatCidr } from '../api/cidr.js';
import { serviceNetworkOptions } from './service-network-flags.js';

test('service flags: k3s defaults, the DNS address follows --service-cidr, mistakes named', () => {
  const d = serviceNetworkOptions({});
  assert.deepEqual(
    [formatCidr(d.network.serviceCidr), d.network.nodePorts, d.clusterDNS, d.clusterDomain],
    ['10.43.0.0/16', { base: 30000, size: 2768 }, '10.43.0.10', 'cluster.local'],
  );
  const c = serviceNetworkOptions({ serviceCidr: '10.96.0.0/12', serviceNodePortRange: '31000-31999', clusterDomain: 'example.internal.' });
  assert.deepEqual(
    [formatCidr(c.network.serviceCidr), c.network.nodePorts, c.clusterDNS, c.clusterDomain],
    ['10.96.0.0/12', { base: 31000, size: 1000 }, '10.96.0.10', 'example.internal'],
  );
  assert.throws(() => serviceNetworkOptions({ serviceCidr: 'fd00::/108' }), /^Error: --service-cidr fd00::\/108: only IPv4 ranges are supported$/);
  assert.throws(
    () => serviceNetworkOptions({ clusterDns: '10.43.0.1' }),
    /--cluster-dns 10\.43\.0\.1 must be an address of --service-cidr 10\.43\.0\.0\/16 other than/,
  );
  assert.throws(() => serviceNetworkOptions({ clusterDns: '10.43.255.255' }), /--cluster-dns 10\.43\.255\.255 must be/);
  assert.throws(() => serviceNetworkOptions({ clusterDns: 'dns' }), /--cluster-dns "dns" is not an IPv4 address/);
  assert.throws(() => serviceNetworkOptions({ clusterDomain: '-x' }), /--cluster-domain "-x"/);
});
