import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, Service } from 'kubernetes-types/core/v1';
import { NAMESPACE_INDEX, byNamespace, createInformer, resources } from '../client/index.js';
import { FakeApi, recordingReads, waitFor } from '../controllers/fake-api.js';
import { ContainerConfigError } from './env.js';
import { ServiceEnv, podServices, serviceEnvVars } from './service-env.js';

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

test('a headless Service of the namespace named kubernetes does not hide the master Service', () => {
  const master = { metadata: { namespace: 'default', name: 'kubernetes' }, spec: { clusterIP: '10.43.0.1', ports: [{ port: 443 }] } };
  const headless = { metadata: { namespace: 'team', name: 'kubernetes' }, spec: { clusterIP: 'None', ports: [{ port: 80 }] } };
  assert.deepEqual(podServices(master, [headless], true), [master]);
});

/** A FakeApi with its reads recorded, and the agent's Services informer over it (not started). */
function servicesApi(t: TestContext) {
  const api = new FakeApi();
  const { client, reads } = recordingReads(api);
  const informer = createInformer<Service>(client, resources.services, { indexers: { [NAMESPACE_INDEX]: byNamespace } });
  t.after(() => informer.stop());
  return { api, reads, informer };
}

const service = (namespace: string, name: string, clusterIP: string): Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { namespace, name },
  spec: { clusterIP, ports: [{ port: 80, protocol: 'TCP' }] },
});

const podIn = (namespace: string, enableServiceLinks?: boolean): Pod => ({
  metadata: { namespace, name: 'p' },
  spec: { containers: [{ name: 'c' }], ...(enableServiceLinks === undefined ? {} : { enableServiceLinks }) },
});

const keys = (env: Array<{ key: string }>) => env.map((e) => e.key).filter((k) => k.endsWith('_SERVICE_HOST'));

test('Service variables come from the informer: no request per pod, and a new Service shows once watched', async (t) => {
  const { api, reads, informer } = servicesApi(t);
  await api.create(resources.services, service('default', 'kubernetes', '10.43.0.1'));
  await api.create(resources.services, service('team', 'web', '10.43.0.5'));
  await api.create(resources.services, service('other', 'db', '10.43.0.6'));
  await informer.start().waitForSync();
  const env = new ServiceEnv(informer);
  const before = reads.length;
  assert.deepEqual(keys(env.forPod(podIn('team'))).sort(), ['KUBERNETES_SERVICE_HOST', 'WEB_SERVICE_HOST']);
  assert.deepEqual(keys(env.forPod(podIn('other'))).sort(), ['DB_SERVICE_HOST', 'KUBERNETES_SERVICE_HOST']);
  assert.deepEqual(reads.slice(before), [], 'pods read the informer, not the API');

  await api.create(resources.services, service('team', 'cache', '10.43.0.7'));
  await waitFor(() => informer.get('team', 'cache'), 'the new Service in the informer');
  assert.deepEqual(keys(env.forPod(podIn('team'))).sort(), ['CACHE_SERVICE_HOST', 'KUBERNETES_SERVICE_HOST', 'WEB_SERVICE_HOST']);
  assert.equal(env.forPod(podIn('team')).find((e) => e.key === 'CACHE_SERVICE_HOST')?.value, '10.43.0.7');
});

test('enableServiceLinks false: only the master Service, from the default namespace', async (t) => {
  const { api, informer } = servicesApi(t);
  await api.create(resources.services, service('default', 'kubernetes', '10.43.0.1'));
  await api.create(resources.services, service('default', 'other', '10.43.0.2'));
  await api.create(resources.services, service('team', 'web', '10.43.0.5'));
  await informer.start().waitForSync();
  const env = new ServiceEnv(informer);
  assert.deepEqual(keys(env.forPod(podIn('team', false))), ['KUBERNETES_SERVICE_HOST']);
  // In the default namespace too: its other Services are service links.
  assert.deepEqual(keys(env.forPod(podIn('default', false))), ['KUBERNETES_SERVICE_HOST']);
  assert.deepEqual(keys(env.forPod(podIn('default'))).sort(), ['KUBERNETES_SERVICE_HOST', 'OTHER_SERVICE_HOST']);
});

test('before the informer has listed once, a container cannot get its variables (kubelet: "not yet been read")', async (t) => {
  const { api, informer } = servicesApi(t);
  await api.create(resources.services, service('default', 'kubernetes', '10.43.0.1'));
  const env = new ServiceEnv(informer);
  assert.throws(
    () => env.forPod(podIn('team')),
    (e: Error) => e instanceof ContainerConfigError && e.message === 'services have not yet been read at least once, cannot construct envvars',
  );
  await informer.start().waitForSync();
  assert.deepEqual(keys(env.forPod(podIn('team'))), ['KUBERNETES_SERVICE_HOST']);
});
