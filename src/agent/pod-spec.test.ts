import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1';
import { containerConfig, expandVars, linuxResources, parseResolvConf, podCgroupParent, podDnsConfig, sandboxConfig } from './container-config.js';
import { ContainerConfigError, containerEnv, resourceFieldValue } from './env.js';
import { renderLogs } from './logs.js';

const GI = 1024 ** 3;

function pod(spec: Partial<Pod['spec']> = {}, status: Pod['status'] = { qosClass: 'Burstable' }): Pod {
  return {
    metadata: { name: 'web', namespace: 'shop', uid: 'u-1', labels: { app: 'web' }, annotations: { a: 'b' } },
    spec: { nodeName: 'n1', serviceAccountName: 'default', containers: [{ name: 'c', image: 'busybox:1' }], ...spec },
    status,
  };
}

test('resources become cgroup settings as kubelet computes them', () => {
  const r = linuxResources(
    { name: 'c', resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } } },
    'Burstable',
    8 * GI,
  );
  assert.equal(r.cpuShares, 256);
  assert.equal(r.cpuPeriod, 100_000);
  assert.equal(r.cpuQuota, 50_000);
  assert.equal(r.memoryLimitInBytes, 128 * 1024 * 1024);
  assert.ok(r.oomScoreAdj! > 2 && r.oomScoreAdj! < 1000);
  const none = linuxResources({ name: 'c' }, 'BestEffort', 8 * GI);
  assert.deepEqual(none, { cpuShares: 2, oomScoreAdj: 1000 });
  assert.equal(
    linuxResources({ name: 'c', resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1', memory: '1Gi' } } }, 'Guaranteed', 8 * GI).oomScoreAdj,
    -997,
  );
});

test('sandbox config: metadata, hostname, labels, cgroup parent by QoS, namespaces, host ports', () => {
  const p = pod({ hostname: 'h', containers: [{ name: 'c', image: 'x:1', ports: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 81 }] }] });
  const dns = { clusterDns: [], clusterDomain: 'cluster.local', host: { servers: ['10.0.0.2'], searches: ['corp'], options: [] } };
  const s = sandboxConfig(p, { attempt: 1, logRoot: '/logs', cgroupRoot: '/berth', dns });
  assert.deepEqual(s.metadata, { name: 'web', uid: 'u-1', namespace: 'shop', attempt: 1 });
  assert.equal(s.hostname, 'h');
  assert.equal(s.logDirectory, '/logs/shop_web_u-1');
  assert.equal(s.labels!['io.kubernetes.pod.uid'], 'u-1');
  assert.equal(s.labels!.app, 'web');
  assert.equal(s.linux!.cgroupParent, '/berth/burstable/podu-1');
  assert.deepEqual(s.linux!.securityContext!.namespaceOptions, { network: 'POD', pid: 'CONTAINER', ipc: 'POD' });
  assert.deepEqual(s.portMappings, [{ protocol: 'TCP', containerPort: 80, hostPort: 8080, hostIp: '' }]);
  assert.equal(podCgroupParent(pod({}, { qosClass: 'Guaranteed' }), '/berth'), '/berth/podu-1');
});

test('DNS: ClusterFirst with cluster DNS searches the namespace; without it, the host resolv.conf', () => {
  const host = parseResolvConf('# c\nnameserver 10.0.0.2\nsearch corp.example\noptions edns0\n');
  assert.deepEqual(host, { servers: ['10.0.0.2'], searches: ['corp.example'], options: ['edns0'] });
  const cluster = podDnsConfig(pod(), { clusterDns: ['10.43.0.10'], clusterDomain: 'cluster.local', host });
  assert.deepEqual(cluster, {
    servers: ['10.43.0.10'],
    searches: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example'],
    options: ['ndots:5'],
  });
  assert.deepEqual(podDnsConfig(pod(), { clusterDns: [], clusterDomain: 'cluster.local', host }), host);
  const none = podDnsConfig(pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1'], options: [{ name: 'ndots', value: '2' }] } }), {
    clusterDns: [],
    clusterDomain: 'c',
    host,
  });
  assert.deepEqual(none, { servers: ['1.1.1.1'], searches: [], options: ['ndots:2'] });
});

test('env: fieldRef, $(VAR) references, configMap keys, and the errors that hold a container back', async () => {
  const p = pod({
    containers: [
      {
        name: 'c',
        image: 'x:1',
        command: ['echo', '$(GREETING)', '$$(GREETING)'],
        env: [
          { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
          { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          { name: 'GREETING', value: 'hi $(POD)' },
          { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'mode' } } },
          { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
        ],
      },
    ],
  });
  const src = {
    getConfigMap: async (_ns: string, name: string) => (name === 'cfg' ? { data: { mode: 'fast' } } : undefined),
    getSecret: async () => undefined,
    podIPs: ['10.42.0.5'],
    hostIPs: ['192.168.1.2'],
    allocatable: { cpuMilli: 2000, memory: 4 * GI },
  };
  const env = await containerEnv(p, p.spec!.containers[0]!, src);
  assert.deepEqual(Object.fromEntries(env.map((e) => [e.key, e.value])), {
    POD: 'web',
    APP: 'web',
    IP: '10.42.0.5',
    GREETING: 'hi web',
    MODE: 'fast',
    MEM: '4096',
  });
  const cfg = containerConfig(p, p.spec!.containers[0]!, { attempt: 2, image: 'sha256:abc', envs: env, memoryCapacity: 8 * GI });
  assert.deepEqual(cfg.command, ['echo', 'hi web', '$(GREETING)']);
  assert.equal(cfg.logPath, 'c/2.log');
  assert.equal(cfg.metadata.attempt, 2);
  assert.equal(cfg.labels!['io.kubernetes.container.name'], 'c');

  const missing = pod({ containers: [{ name: 'c', image: 'x:1', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'nope', key: 'k' } } }] }] });
  await assert.rejects(
    containerEnv(missing, missing.spec!.containers[0]!, src),
    (e) => e instanceof ContainerConfigError && /secret "nope" not found/.test(e.message),
  );
  assert.equal(expandVars('$(A)-$(B)', new Map([['A', '1']])), '1-$(B)');
  assert.equal(resourceFieldValue(p, { name: 'c', resources: { limits: { cpu: '250m' } } }, { resource: 'limits.cpu' }, src.allocatable), '1');
});

test('CRI log lines become the container output: partial lines joined, timestamps on request, tail kept for later', () => {
  const text = '2026-01-01T00:00:00.1Z stdout P hel\n2026-01-01T00:00:00.2Z stdout F lo\n2026-01-01T00:00:01Z stderr F oops\n2026-01-01T00:00:02Z stdout F par';
  assert.deepEqual(renderLogs(text), { out: ['hello\n', 'oops\n'], rest: '2026-01-01T00:00:02Z stdout F par' });
  // Upstream's RFC3339NanoFixed: nine fraction digits whatever the runtime trimmed.
  assert.deepEqual(renderLogs(text, { timestamps: true }).out, ['2026-01-01T00:00:00.100000000Z hello\n', '2026-01-01T00:00:01.000000000Z oops\n']);
  assert.deepEqual(renderLogs(text, { sinceTimeMs: Date.parse('2026-01-01T00:00:00.5Z') }).out, ['oops\n']);
});
