import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../api/object.js';
import { servicePrinter } from './printer.js';
import { endpointsPrinter } from '../endpoints/printer.js';
import { endpointSlicePrinter } from '../endpointslices/printer.js';

const NOW = new Date('2026-01-01T01:00:00Z');
const obj = (o: Record<string, unknown>): KObject =>
  ({ apiVersion: 'v1', kind: 'X', metadata: { name: 'n', creationTimestamp: '2026-01-01T00:00:00Z' }, ...o }) as KObject;
const svcRow = (spec: Record<string, unknown>, status?: Record<string, unknown>) => servicePrinter.cells(obj({ spec, status }), NOW);

test('services: columns and cells as upstream printService', () => {
  assert.deepEqual(
    servicePrinter.columns.map((c) => [c.name, c.priority]),
    [
      ['Name', 0],
      ['Type', 0],
      ['Cluster-IP', 0],
      ['External-IP', 0],
      ['Port(s)', 0],
      ['Age', 0],
      ['Selector', 1],
    ],
  );
  assert.deepEqual(
    svcRow({
      type: 'NodePort',
      clusterIPs: ['10.43.0.9'],
      ports: [
        { port: 80, nodePort: 30080, protocol: 'TCP' },
        { port: 53, protocol: 'UDP' },
      ],
      selector: { b: '2', a: '1' },
    }),
    ['n', 'NodePort', '10.43.0.9', '<none>', '80:30080/TCP,53/UDP', '60m', 'a=1,b=2'],
  );
  assert.deepEqual(svcRow({ type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'] }).slice(1, 5), ['ClusterIP', 'None', '<none>', '<none>']);
  assert.deepEqual(svcRow({ type: 'ExternalName', externalName: 'example.com' }).slice(1, 4), ['ExternalName', '<none>', 'example.com']);
  assert.equal(svcRow({ type: 'LoadBalancer', clusterIPs: ['10.43.0.9'] })[3], '<pending>');
  assert.equal(
    svcRow({ type: 'LoadBalancer', externalIPs: ['1.2.3.4'] }, { loadBalancer: { ingress: [{ ip: '192.168.1.10' }, { hostname: 'lb.example' }] } })[3],
    '192.168.1.10,lb.example,1.2.3.4',
  );
  assert.equal(svcRow({ type: 'ClusterIP', externalIPs: ['1.2.3.4', '5.6.7.8'] })[3], '1.2.3.4,5.6.7.8');
});

test('endpoints: three ip:port entries, then "+ N more..."; none is <none>', () => {
  const row = (subsets: unknown) => endpointsPrinter.cells(obj({ subsets }), NOW)[1];
  assert.equal(row(undefined), '<none>');
  assert.equal(
    row([{ addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }], ports: [{ port: 80 }, { port: 443 }] }]),
    '10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 1 more...',
  );
  assert.equal(row([{ addresses: [{ ip: '10.0.0.1' }] }]), '10.0.0.1', 'a headless Service without ports: bare addresses');
  assert.equal(row([{ addresses: [{ ip: 'fd00::1' }], ports: [{ port: 80 }] }]), '[fd00::1]:80');
});

test('endpointslices: ports and addresses, three then "+ N more...", <unset> for none', () => {
  const row = (o: Record<string, unknown>) => endpointSlicePrinter.cells(obj(o), NOW);
  assert.deepEqual(row({ addressType: 'IPv4' }), ['n', 'IPv4', '<unset>', '<unset>', '60m']);
  assert.deepEqual(
    row({ addressType: 'IPv4', ports: [{ port: 80 }, { name: 'x' }, {}, { port: 9 }], endpoints: [{ addresses: ['10.0.0.1'] }, { addresses: ['10.0.0.2'] }] }),
    ['n', 'IPv4', '80,x,* + 1 more...', '10.0.0.1,10.0.0.2', '60m'],
  );
});
