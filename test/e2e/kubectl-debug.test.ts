// kubectl debug through the real kubectl 1.32 and 1.33, whose typed clients send protobuf
// bodies: the structs Go inlines into JSON (VolumeSource, ProbeHandler, the key selectors'
// LocalObjectReference) must arrive where JSON has them. The server runs without an agent:
// the pods are only stored, never run, and kubectl debug is used without -i so it doesn't attach.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { kubectl, kubectlPath, requireFile, startServer, type RunningServer } from './harness.js';

const VERSIONS = ['1.32', '1.33'];
const PROTOBUF_BODY = /Content-Type: application\/vnd\.kubernetes\.protobuf/;

let s: RunningServer;

function ok(version: string, args: string[], input?: string): { stdout: string; stderr: string } {
  const r = kubectl(s, args, { version, input });
  assert.equal(r.code, 0, `kubectl ${version} ${args.join(' ')} failed: ${r.stderr}`);
  return r;
}
const getPod = (version: string, name: string) => JSON.parse(ok(version, ['get', 'pod', name, '-o', 'json']).stdout);

before(async () => {
  for (const v of VERSIONS) requireFile(undefined, kubectlPath(v), `kubectl ${v}`);
  s = await startServer();
});
after(async () => {
  await s?.stop();
  s?.cleanup();
});

for (const version of VERSIONS) {
  test(`kubectl ${version} debug node/NAME: the debugging pod mounts the node's / as a hostPath`, () => {
    const node = `debug-node-${version.replace('.', '-')}`;
    ok(version, ['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: node } }));
    // -v=7 logs the request headers: the pod must have been sent as protobuf for this test to mean anything.
    const r = ok(version, ['debug', `node/${node}`, '--image=busybox', '-v=7']);
    assert.match(r.stderr, PROTOBUF_BODY);
    const name = new RegExp(`Creating debugging pod (\\S+) with container debugger on node ${node}`).exec(r.stdout)?.[1];
    assert.ok(name, `kubectl names the pod it created: ${r.stdout}`);
    const pod = getPod(version, name);
    assert.equal(pod.spec.nodeName, node);
    const volume = pod.spec.volumes.find((v: { name: string }) => v.name === 'host-root');
    assert.ok(volume, `a host-root volume: ${JSON.stringify(pod.spec.volumes)}`);
    assert.equal(volume.hostPath?.path, '/', `host-root is a hostPath of /: ${JSON.stringify(volume)}`);
    assert.equal(volume.emptyDir, undefined);
    // Besides host-root, ServiceAccount admission's token volume, as on any cluster.
    const token = pod.spec.volumes.find((v: { name: string }) => v.name.startsWith('kube-api-access-'));
    assert.deepEqual(pod.spec.containers[0].volumeMounts, [
      { name: 'host-root', mountPath: '/host' },
      { name: token.name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' },
    ]);
  });

  test(`kubectl ${version} debug POD --copy-to: probes and key selectors survive the copy`, () => {
    const source = `web-${version.replace('.', '-')}`;
    const copy = `${source}-copy`;
    const container = {
      name: 'web',
      image: 'nginx',
      livenessProbe: { httpGet: { path: '/healthz', port: 8080 }, initialDelaySeconds: 3, periodSeconds: 7 },
      readinessProbe: { exec: { command: ['cat', '/tmp/ready'] } },
      startupProbe: { tcpSocket: { port: 8080 }, failureThreshold: 30 },
      env: [{ name: 'MODE', valueFrom: { configMapKeyRef: { name: 'settings', key: 'mode' } } }],
    };
    // Created from JSON (kubectl create -f sends unstructured JSON), so the source is stored as written.
    ok(version, ['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: source }, spec: { containers: [container] } }));
    const r = ok(version, ['debug', source, `--copy-to=${copy}`, '--image=busybox', '--container=dbg', '-v=7']);
    assert.match(r.stderr, PROTOBUF_BODY);
    const original = getPod(version, source).spec.containers[0];
    assert.deepEqual(original.livenessProbe.httpGet, { path: '/healthz', port: 8080, scheme: 'HTTP' });
    const copied = getPod(version, copy).spec.containers;
    assert.deepEqual(
      copied.map((c: { name: string }) => c.name),
      ['web', 'dbg'],
    );
    // The copy went through protobuf; it must be the same container as the source, field for field.
    assert.deepEqual(copied[0], original);
  });
}
