// Decoding protobuf bodies as client-go encodes them. The bytes are built by hand here, field
// numbers as in upstream's generated.proto; kubectl itself is exercised by the e2e tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeKubernetesProtobuf, PROTOBUF_MAGIC, ProtobufError } from './decode.js';
import { bytes, entry, envelope, int, str } from './test-encoder.js';

test('a ConfigMap as client-go sends it: empty fields dropped, maps and booleans kept', () => {
  // Go writes every non-pointer field, so generateName "" and a zero creationTimestamp arrive too.
  const meta = [
    ...str(1, 'cfg'),
    ...str(2, ''),
    ...str(3, 'apps'),
    ...int(7, 0),
    ...bytes(8, [...int(1, -62135596800n), ...int(2, 0)]),
    ...entry(11, 'app', 'web'),
  ];
  const raw = [...bytes(1, meta), ...entry(2, 'k1', 'v1'), ...entry(2, 'k2', ''), ...int(4, 1)];
  const obj = decodeKubernetesProtobuf(envelope('v1', 'ConfigMap', raw));
  assert.deepEqual(obj, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'cfg', namespace: 'apps', labels: { app: 'web' } },
    data: { k1: 'v1', k2: '' },
    immutable: true,
  });
});

test('a Namespace and a Deployment with nested messages, int-or-string and pointer zeros', () => {
  const ns = decodeKubernetesProtobuf(envelope('v1', 'Namespace', [...bytes(1, str(1, 'scratch')), ...bytes(2, []), ...bytes(3, [])]));
  assert.deepEqual(ns, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'scratch' }, spec: {}, status: {} });
  const container = [...str(1, 'web'), ...str(2, 'nginx:1.25')];
  const template = [...bytes(1, entry(11, 'app', 'web')), ...bytes(2, bytes(2, container))];
  const strategy = [...str(1, 'RollingUpdate'), ...bytes(2, [...bytes(1, [...int(1, 1), ...str(3, '25%')]), ...bytes(2, [...int(1, 0), ...int(2, 1)])])];
  const spec = [...int(1, 0), ...bytes(2, entry(1, 'app', 'web')), ...bytes(3, template), ...bytes(4, strategy)];
  const d = decodeKubernetesProtobuf(envelope('apps/v1', 'Deployment', [...bytes(1, str(1, 'web')), ...bytes(2, spec)])) as any;
  assert.equal(d.spec.replicas, 0, 'replicas is a pointer: an explicit 0 stays');
  assert.deepEqual(d.spec.selector, { matchLabels: { app: 'web' } });
  assert.deepEqual(d.spec.template.spec.containers, [{ name: 'web', image: 'nginx:1.25' }]);
  assert.deepEqual(d.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: 1 } });
});

test('garbage is refused with a ProtobufError', () => {
  assert.throws(() => decodeKubernetesProtobuf(Buffer.from('{"kind":"Pod"}')), ProtobufError);
  assert.throws(() => decodeKubernetesProtobuf(Buffer.concat([PROTOBUF_MAGIC, Buffer.from([0x0a, 0x50, 0x01])])), ProtobufError);
  assert.throws(() => decodeKubernetesProtobuf(envelope('v1', 'Frobnicator', [])), ProtobufError);
});

// Go embeds these structs with `json:",inline"`: protobuf nests them in a field of their own,
// JSON puts their fields directly into the parent.

test('a Volume with a hostPath, as kubectl debug node/NAME sends it: the VolumeSource is inlined', () => {
  // Volume{name 1, volumeSource 2{hostPath 1{path 1}}}; PodSpec{volumes 1, containers 2, nodeName 10, hostNetwork 11, hostPID 12}
  const volume = [...str(1, 'host-root'), ...bytes(2, bytes(1, str(1, '/')))];
  const container = [...str(1, 'debugger'), ...str(2, 'busybox')];
  const spec = [...bytes(1, volume), ...bytes(2, container), ...str(10, 'node-a'), ...int(11, 1), ...int(12, 1)];
  const pod = decodeKubernetesProtobuf(envelope('v1', 'Pod', [...bytes(1, str(1, 'node-debugger')), ...bytes(2, spec)])) as any;
  assert.deepEqual(pod.spec.volumes, [{ name: 'host-root', hostPath: { path: '/' } }]);
  assert.equal(pod.spec.nodeName, 'node-a');
  assert.equal(pod.spec.hostPID, true);
});

test('probes: the ProbeHandler (exec, httpGet) is inlined next to the timings', () => {
  // Probe{handler 1{httpGet 2{path 1, port 2: IntOrString{type 0, intVal 8080}}}, initialDelaySeconds 2, periodSeconds 4}
  const http = [...str(1, '/healthz'), ...bytes(2, [...int(1, 0), ...int(2, 8080)]), ...str(4, 'HTTP')];
  const liveness = [...bytes(1, bytes(2, http)), ...int(2, 5), ...int(4, 10)];
  // Probe{handler 1{exec 1{command 1 (repeated)}}, failureThreshold 6}
  const readiness = [...bytes(1, bytes(1, [...str(1, 'cat'), ...str(1, '/tmp/ready')])), ...int(6, 3)];
  const container = [...str(1, 'web'), ...str(2, 'nginx'), ...bytes(10, liveness), ...bytes(11, readiness)];
  const pod = decodeKubernetesProtobuf(envelope('v1', 'Pod', [...bytes(1, str(1, 'web')), ...bytes(2, bytes(2, container))])) as any;
  assert.deepEqual(pod.spec.containers[0].livenessProbe, {
    httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP' },
    initialDelaySeconds: 5,
    periodSeconds: 10,
  });
  assert.deepEqual(pod.spec.containers[0].readinessProbe, { exec: { command: ['cat', '/tmp/ready'] }, failureThreshold: 3 });
});

test('an EphemeralContainer: the EphemeralContainerCommon is inlined beside targetContainerName', () => {
  // EphemeralContainer{ephemeralContainerCommon 1{name 1, image 2, command 3, stdin 16, tty 18}, targetContainerName 2}
  const common = [...str(1, 'debugger-x'), ...str(2, 'busybox'), ...str(3, 'sh'), ...int(16, 1), ...int(18, 1)];
  const spec = [...bytes(2, [...str(1, 'web'), ...str(2, 'nginx')]), ...bytes(34, [...bytes(1, common), ...str(2, 'web')])];
  const pod = decodeKubernetesProtobuf(envelope('v1', 'Pod', [...bytes(1, str(1, 'web')), ...bytes(2, spec)])) as any;
  assert.deepEqual(pod.spec.ephemeralContainers, [
    { name: 'debugger-x', image: 'busybox', command: ['sh'], stdin: true, tty: true, targetContainerName: 'web' },
  ]);
});

test('a PersistentVolumeSpec: the PersistentVolumeSource is inlined beside capacity and accessModes', () => {
  // PersistentVolumeSpec{capacity 1 map{storage: Quantity{string 1}}, persistentVolumeSource 2{nfs 5{server 1, path 2}}, accessModes 3, storageClassName 6}
  const capacity = bytes(1, [...str(1, 'storage'), ...bytes(2, str(1, '5Gi'))]);
  const spec = [...capacity, ...bytes(2, bytes(5, [...str(1, 'nfs.example'), ...str(2, '/exports')])), ...str(3, 'ReadWriteMany'), ...str(6, 'slow')];
  const pv = decodeKubernetesProtobuf(envelope('v1', 'PersistentVolume', [...bytes(1, str(1, 'pv1')), ...bytes(2, spec)])) as any;
  assert.deepEqual(pv.spec, {
    capacity: { storage: '5Gi' },
    nfs: { server: 'nfs.example', path: '/exports' },
    accessModes: ['ReadWriteMany'],
    storageClassName: 'slow',
  });
});

test('key selectors: the LocalObjectReference (name) is inlined beside key', () => {
  // EnvVar{name 1, valueFrom 3{configMapKeyRef 3{localObjectReference 1{name 1}, key 2}}}
  const env = [...str(1, 'MODE'), ...bytes(3, bytes(3, [...bytes(1, str(1, 'settings')), ...str(2, 'mode')]))];
  const spec = bytes(2, [...str(1, 'web'), ...str(2, 'nginx'), ...bytes(7, env)]);
  const pod = decodeKubernetesProtobuf(envelope('v1', 'Pod', [...bytes(1, str(1, 'web')), ...bytes(2, spec)])) as any;
  assert.deepEqual(pod.spec.containers[0].env, [{ name: 'MODE', valueFrom: { configMapKeyRef: { name: 'settings', key: 'mode' } } }]);
});

test('zeros: kept for Go pointers and fields without omitempty, dropped for the rest', () => {
  // Container{name 1, image 2, env 7: EnvVar{name 1, value 2 "", valueFrom 3}, stdin 16 false,
  // livenessProbe 10: Probe{handler 1{httpGet 2{httpHeaders 5: HTTPHeader{name 1, value 2 ""}}}},
  // securityContext 15: SecurityContext{privileged 2 false (a pointer)}}
  const env = [...str(1, 'MODE'), ...str(2, ''), ...bytes(3, bytes(4, [...bytes(1, str(1, 's')), ...str(2, 'k')]))];
  const probe = bytes(1, bytes(2, bytes(5, [...str(1, 'X-Empty'), ...str(2, '')])));
  const container = [...str(1, 'web'), ...str(2, 'nginx'), ...bytes(7, env), ...int(16, 0), ...bytes(10, probe), ...bytes(15, int(2, 0))];
  const pod = decodeKubernetesProtobuf(envelope('v1', 'Pod', [...bytes(1, str(1, 'web')), ...bytes(2, bytes(2, container))])) as any;
  assert.deepEqual(pod.spec.containers[0], {
    name: 'web',
    image: 'nginx',
    env: [{ name: 'MODE', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }],
    livenessProbe: { httpGet: { httpHeaders: [{ name: 'X-Empty', value: '' }] } },
    securityContext: { privileged: false },
  });
  // RollingUpdateDeployment{maxUnavailable 1: IntOrString{intVal 0} (a pointer), maxSurge 2: 1}
  const strategy = [...str(1, 'RollingUpdate'), ...bytes(2, [...bytes(1, [...int(1, 0), ...int(2, 0)]), ...bytes(2, [...int(1, 0), ...int(2, 1)])])];
  const d = decodeKubernetesProtobuf(envelope('apps/v1', 'Deployment', [...bytes(1, str(1, 'web')), ...bytes(2, bytes(4, strategy))])) as any;
  assert.deepEqual(d.spec.strategy.rollingUpdate, { maxUnavailable: 0, maxSurge: 1 });
});
