import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../api/object.js';
import { aggregateMessage } from '../../api/field-errors.js';
import { ApiError } from '../../apiserver/errors.js';
import { defaultService } from './defaults.js';
import { serviceValidator } from './validation.js';
import { serviceStrategy } from './strategy.js';

type Any = Record<string, any>;
const svc = (spec: Any, name = 'web'): KObject => {
  const o = { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec } as KObject;
  defaultService(o);
  return o;
};
const errors = (o: KObject) => (serviceValidator.create(o).length ? aggregateMessage(serviceValidator.create(o)) : '');

test('defaults as upstream: None affinity, ClusterIP, TCP, targetPort = port, traffic policies by type', () => {
  const o = svc({ ports: [{ port: 80 }], type: 'LoadBalancer', sessionAffinity: 'ClientIP' });
  assert.deepEqual((o as Any).spec, {
    ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
    type: 'LoadBalancer',
    sessionAffinity: 'ClientIP',
    sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } },
    externalTrafficPolicy: 'Cluster',
    internalTrafficPolicy: 'Cluster',
    allocateLoadBalancerNodePorts: true,
  });
  const ext = svc({ type: 'ExternalName', externalName: 'example.com' });
  assert.equal((ext as Any).spec.internalTrafficPolicy, undefined);
  assert.deepEqual(serviceValidator.create(ext), []);
});

test('IP families: SingleStack IPv4 by default, RequireDualStack for a headless Service without selector, dual-stack refused', () => {
  const plain = svc({ ports: [{ port: 80 }] });
  serviceStrategy.prepareForCreate!(plain, undefined as never);
  assert.deepEqual([(plain as Any).spec.ipFamilyPolicy, (plain as Any).spec.ipFamilies], ['SingleStack', ['IPv4']]);
  assert.deepEqual((plain as Any).status, { loadBalancer: {} });
  const headless = svc({ clusterIP: 'None' });
  serviceStrategy.prepareForCreate!(headless, undefined as never);
  assert.deepEqual(
    [(headless as Any).spec.ipFamilyPolicy, (headless as Any).spec.ipFamilies, (headless as Any).spec.clusterIPs],
    ['RequireDualStack', ['IPv4'], ['None']],
  );
  assert.throws(
    () => serviceStrategy.prepareForCreate!(svc({ ports: [{ port: 80 }], ipFamilyPolicy: 'RequireDualStack' }), undefined as never),
    (e) =>
      e instanceof ApiError &&
      e.code === 422 &&
      e.message === 'Service "web" is invalid: spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services',
  );
  assert.throws(
    () => serviceStrategy.prepareForCreate!(svc({ ports: [{ port: 80 }], ipFamilies: ['IPv6'] }), undefined as never),
    /spec.ipFamilies\[0\]: Invalid value: "IPv6": not configured on this cluster/,
  );
});

test('validation: names, ports, types and type-dependent fields, with upstream messages', () => {
  assert.match(errors(svc({ ports: [{ port: 80 }] }, '1web')), /metadata.name: Invalid value: "1web": a DNS-1035 label must consist of/);
  assert.equal(errors(svc({})), 'spec.ports: Required value');
  assert.equal(errors(svc({ clusterIP: 'None' })), '', 'a headless Service may have no ports');
  // The defaulted targetPort (= port) is refused too, as upstream.
  assert.equal(
    errors(svc({ ports: [{ port: 0 }] })),
    '[spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive, spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive]',
  );
  assert.equal(
    errors(svc({ ports: [{ port: 80, protocol: 'ICMP' }] })),
    'spec.ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
  );
  assert.equal(errors(svc({ ports: [{ port: 80, name: 'Http' }] })).startsWith('spec.ports[0].name: Invalid value: "Http": a lowercase RFC 1123 label'), true);
  assert.equal(errors(svc({ ports: [{ port: 80, targetPort: 'http_x' }] })).startsWith('spec.ports[0].targetPort: Invalid value: "http_x"'), true);
  assert.equal(
    errors(svc({ ports: [{ name: 'a', port: 80, nodePort: 30000 }] })),
    "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'",
  );
  assert.equal(
    errors(svc({ type: 'Other', ports: [{ port: 80 }] })),
    'spec.type: Unsupported value: "Other": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
  );
  assert.equal(
    errors(svc({ type: 'NodePort', clusterIP: 'None', ports: [{ port: 80 }] })),
    'spec.clusterIPs[0]: Invalid value: "None": may not be set to \'None\' for NodePort services',
  );
  assert.equal(
    errors(svc({ clusterIP: '10.43.0.300', ports: [{ port: 80 }] })),
    'spec.clusterIPs[0]: Invalid value: "10.43.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
  );
  assert.equal(errors(svc({ type: 'ExternalName', externalName: 'not a name' })).startsWith('spec.externalName: Invalid value: "not a name"'), true);
  assert.equal(errors(svc({ type: 'ExternalName' })), 'spec.externalName: Required value');
  assert.equal(
    errors(svc({ type: 'ExternalName', externalName: 'a.b', clusterIP: '10.43.0.5' })),
    'spec.clusterIPs: Forbidden: may not be set for ExternalName services',
  );
  assert.equal(
    errors(svc({ ports: [{ port: 80 }], externalTrafficPolicy: 'Local' })),
    "spec.externalTrafficPolicy: Invalid value: \"Local\": may only be set when `type` is 'NodePort' or 'LoadBalancer'",
  );
  assert.equal(
    errors(svc({ ports: [{ port: 80 }], sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 86401 } } })),
    'spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 86401: must be greater than 0 and less than 86400',
  );
  assert.equal(
    errors(svc({ ports: [{ port: 80 }], externalIPs: ['nope'] })),
    'spec.externalIPs[0]: Invalid value: "nope": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
  );
  assert.equal(
    errors(
      svc({
        type: 'NodePort',
        ports: [
          { name: 'a', port: 80, nodePort: 30001 },
          { name: 'b', port: 80, protocol: 'TCP', nodePort: 30001 },
        ],
      }),
    ),
    '[spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}, spec.ports[1].nodePort: Duplicate value: 30001]',
  );
  assert.equal(
    errors(svc({ ports: [{ port: 80 }], trafficDistribution: 'Random' })),
    'spec.trafficDistribution: Unsupported value: "Random": supported values: "PreferClose"',
  );
  // TCP and UDP on one port (DNS) are two different ports.
  assert.equal(
    errors(
      svc({
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP' },
          { name: 'dns-tcp', port: 53, protocol: 'TCP' },
        ],
      }),
    ),
    '',
  );
});

test('updates: the cluster IP never changes, except to or from ExternalName; omitted allocations are kept', () => {
  const old = svc({ type: 'NodePort', clusterIP: '10.43.0.5', ports: [{ name: 'http', port: 80, nodePort: 30080 }] });
  const changed = svc({ type: 'NodePort', clusterIP: '10.43.0.6', ports: [{ name: 'http', port: 80, nodePort: 30080 }] });
  assert.equal(aggregateMessage(serviceValidator.update!(changed, old)), 'spec.clusterIPs[0]: Invalid value: []string{"10.43.0.6"}: may not change once set');
  // A PUT of the manifest without clusterIP and nodePort keeps both.
  const put = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'default' },
    spec: { type: 'NodePort', ports: [{ name: 'http', port: 80 }] },
  } as KObject;
  serviceStrategy.prepareForUpdate!(put, old, '');
  defaultService(put);
  assert.equal((put as Any).spec.clusterIP, '10.43.0.5');
  assert.equal((put as Any).spec.ports[0].nodePort, 30080);
  assert.deepEqual(serviceValidator.update!(put, old), []);
  // NodePort -> ClusterIP drops the node ports and the external traffic policy it did not change.
  const toClusterIP = structuredClone(old);
  (toClusterIP as Any).spec.type = 'ClusterIP';
  serviceStrategy.prepareForUpdate!(toClusterIP, old, '');
  assert.equal((toClusterIP as Any).spec.ports[0].nodePort, undefined);
  assert.equal((toClusterIP as Any).spec.externalTrafficPolicy, undefined);
  assert.deepEqual(serviceValidator.update!(toClusterIP, old), []);
});

test('loadBalancerSourceRanges as upstream: LoadBalancer only, each a CIDR (space padding, host bits, leading zeros allowed); else the annotation', () => {
  const lb = (extra: Any, meta: Any = {}) => {
    const o = svc({ type: 'LoadBalancer', ports: [{ port: 80 }], ...extra });
    Object.assign((o as Any).metadata, meta);
    return o;
  };
  assert.equal(errors(lb({ loadBalancerSourceRanges: ['10.0.0.0/8', ' 192.168.1.7/24 ', '010.1.0.0/16', '2001:db8::/64'] })), '');
  assert.equal(
    errors(lb({ loadBalancerSourceRanges: ['10.0.0.0/8', '10.0.0.1', ' 1.2.3.4/33 '] })),
    '[spec.LoadBalancerSourceRanges[1]: Invalid value: "10.0.0.1": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64), spec.LoadBalancerSourceRanges[2]: Invalid value: "1.2.3.4/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)]',
  );
  assert.equal(
    errors(svc({ type: 'NodePort', ports: [{ port: 80 }], loadBalancerSourceRanges: ['10.0.0.0/8'] })),
    "spec.LoadBalancerSourceRanges: Forbidden: may only be used when `type` is 'LoadBalancer'",
  );
  const key = 'service.beta.kubernetes.io/load-balancer-source-ranges';
  assert.equal(errors(lb({}, { annotations: { [key]: ' 10.0.0.0/8, 192.168.0.0/16 ' } })), '');
  assert.equal(errors(lb({}, { annotations: { [key]: '' } })), '', 'an empty annotation is no range');
  assert.equal(
    errors(lb({}, { annotations: { [key]: '10.0.0.0/8,nope' } })),
    `metadata.annotations[${key}]: Invalid value: "nope": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)`,
  );
  // The field wins: the annotation is not read when the field is set.
  assert.equal(errors(lb({ loadBalancerSourceRanges: ['10.0.0.0/8'] }, { annotations: { [key]: 'nope' } })), '');
  const o = svc({ ports: [{ port: 80 }] });
  (o as Any).metadata.annotations = { [key]: '10.0.0.0/8' };
  assert.equal(errors(o), `metadata.annotations[${key}]: Forbidden: may only be used when \`type\` is 'LoadBalancer'`);
});
