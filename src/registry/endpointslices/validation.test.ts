import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../api/object.js';
import { aggregateMessage } from '../../api/field-errors.js';
import { endpointSliceValidator } from './validation.js';
import { endpointsValidator } from '../endpoints/validation.js';

const slice = (o: Record<string, unknown>): KObject =>
  ({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 's', namespace: 'default' }, ...o }) as KObject;
const msg = (e: ReturnType<typeof endpointSliceValidator.create>) => (e.length ? aggregateMessage(e) : '');
const errs = (o: KObject) => msg(endpointSliceValidator.create(o));

test('endpointslices: addressType required and immutable, addresses of that type, upstream limits', () => {
  assert.equal(errs(slice({})), 'addressType: Required value');
  assert.equal(errs(slice({ addressType: 'IPv5' })), 'addressType: Unsupported value: "IPv5": supported values: "FQDN", "IPv4", "IPv6"');
  assert.equal(
    errs(slice({ addressType: 'IPv4', endpoints: [{ addresses: ['fd00::1'] }] })),
    'endpoints[0].addresses[0]: Invalid value: "fd00::1": must be a valid IPv4 address',
  );
  assert.equal(errs(slice({ addressType: 'IPv4', endpoints: [{ addresses: [] }] })), 'endpoints[0].addresses: Required value: must contain at least 1 address');
  assert.equal(
    errs(slice({ addressType: 'IPv4', endpoints: Array.from({ length: 1001 }, (_, i) => ({ addresses: [`10.0.${i >> 8}.${i & 255}`] })) })),
    'endpoints: Too many: 1001: must have at most 1000 items',
  );
  assert.equal(
    errs(slice({ addressType: 'IPv4', endpoints: Array.from({ length: 1000 }, (_, i) => ({ addresses: [`10.0.${i >> 8}.${i & 255 || 1}`] })) })),
    '',
  );
  assert.equal(
    errs(
      slice({
        addressType: 'FQDN',
        endpoints: [{ addresses: ['example.com'] }],
        ports: [
          { name: 'a', port: 1, protocol: 'TCP' },
          { name: 'a', port: 2, protocol: 'TCP' },
        ],
      }),
    ),
    'ports[1].name: Duplicate value: "a"',
  );
  const old = slice({ addressType: 'IPv4' });
  assert.equal(aggregateMessage(endpointSliceValidator.update!(slice({ addressType: 'IPv6' }), old)), 'addressType: Invalid value: "IPv6": field is immutable');
});

test('endpoints: a subset needs addresses, and an address must be one traffic may go to', () => {
  const ep = (subsets: unknown) =>
    msg(endpointsValidator.create({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'e', namespace: 'default' }, subsets } as KObject));
  assert.equal(ep([{ ports: [{ port: 80, protocol: 'TCP' }] }]), 'subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`');
  assert.equal(
    ep([{ addresses: [{ ip: '169.254.1.1' }] }]),
    'subsets[0].addresses[0].ip: Invalid value: "169.254.1.1": may not be in the link-local range (169.254.0.0/16, fe80::/10)',
  );
  assert.equal(
    ep([
      {
        addresses: [{ ip: '10.0.0.1' }],
        ports: [
          { port: 80, protocol: 'TCP' },
          { port: 81, protocol: 'TCP' },
        ],
      },
    ]),
    '[subsets[0].ports[0].name: Required value, subsets[0].ports[1].name: Required value]',
  );
  assert.equal(ep([{ addresses: [{ ip: '10.0.0.1' }], notReadyAddresses: [{ ip: '10.0.0.2' }], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }]), '');
});
