import { test } from 'node:test';
import assert from 'node:assert/strict';
import { podServices, serviceEnvVars } from './service-env.js';

test("kubelet's variables for a Service: host, ports by name and the docker-link ones", () => {
  const env = serviceEnvVars([
    { metadata: { name: 'kubernetes' }, spec: { clusterIP: '10.43.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP' }] } },
    { metadata: { name: 'headless' }, spec: { clusterIP: 'None', ports: [{ port: 80 }] } },
    { metadata: { name: 'my-db' }, spec: { clusterIP: 'fd00::5', ports: [{ port: 5432 }, { name: 'metrics', port: 9187, protocol: 'UDP' }] } },
  ]);
  assert.deepEqual(Object.fromEntries(env.map((e) => [e.key, e.value])), {
    KUBERNETES_SERVICE_HOST: '10.43.0.1',
    KUBERNETES_SERVICE_PORT: '443',
    KUBERNETES_SERVICE_PORT_HTTPS: '443',
    KUBERNETES_PORT: 'tcp://10.43.0.1:443',
    KUBERNETES_PORT_443_TCP: 'tcp://10.43.0.1:443',
    KUBERNETES_PORT_443_TCP_PROTO: 'tcp',
    KUBERNETES_PORT_443_TCP_PORT: '443',
    KUBERNETES_PORT_443_TCP_ADDR: '10.43.0.1',
    MY_DB_SERVICE_HOST: 'fd00::5',
    MY_DB_SERVICE_PORT: '5432',
    MY_DB_SERVICE_PORT_METRICS: '9187',
    MY_DB_PORT: 'tcp://[fd00::5]:5432',
    MY_DB_PORT_5432_TCP: 'tcp://[fd00::5]:5432',
    MY_DB_PORT_5432_TCP_PROTO: 'tcp',
    MY_DB_PORT_5432_TCP_PORT: '5432',
    MY_DB_PORT_5432_TCP_ADDR: 'fd00::5',
    MY_DB_PORT_9187_UDP: 'udp://[fd00::5]:9187',
    MY_DB_PORT_9187_UDP_PROTO: 'udp',
    MY_DB_PORT_9187_UDP_PORT: '9187',
    MY_DB_PORT_9187_UDP_ADDR: 'fd00::5',
  });
});

test("the kubernetes Service always; the namespace's Services only with service links, winning a name clash", () => {
  const svc = (ns: string, name: string) => ({ metadata: { namespace: ns, name }, spec: { clusterIP: '10.43.0.9', ports: [{ port: 80 }] } });
  const master = svc('default', 'kubernetes');
  const own = [svc('team', 'web'), svc('team', 'kubernetes')];
  assert.deepEqual(podServices(master, own, false), [master]);
  assert.deepEqual(podServices(master, own, true), [own[1], own[0]]);
  assert.deepEqual(podServices(undefined, [], true), []);
});
