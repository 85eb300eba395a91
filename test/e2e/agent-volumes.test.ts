// Volumes in the node agent on a real containerd (agent-fixture.ts): an emptyDir shared by two
// containers (and a tmpfs one), subPath and readOnly mounts, configMap and secret env and
// volumes (items, modes, optional), a hostPath, the downward API; volumes following their
// sources while the pod runs; the managed /etc/hosts; all gone with the pod.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually, kubectl, skipIfMissing } from './harness.js';
import { BUSYBOX, missingAgentPrerequisite, startAgentEnv, type AgentEnv } from './agent-fixture.js';

const missing = skipIfMissing(await missingAgentPrerequisite(), 'the agent volumes e2e test');

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('node agent volumes', { skip: missing ?? false }, () => {
  let env: AgentEnv;

  const running = (name: string) =>
    eventually(
      () => {
        const p = env.getPod(name);
        return p.status?.phase === 'Running' && p.status.containerStatuses?.every((c) => c.state?.running) ? true : undefined;
      },
      `pod ${name} Running`,
      30_000,
    );
  const exec = (pod: string, container: string, script: string) => {
    const r = kubectl(env.server, ['exec', pod, '-c', container, '--', 'sh', '-c', script]);
    return { code: r.code, out: r.stdout, err: r.stderr };
  };

  before(async () => {
    env = await startAgentEnv();
  });

  after(async () => {
    await env?.stop();
  });

  test('an emptyDir is shared by two containers; subPath, readOnly and a tmpfs emptyDir', async () => {
    env.apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'shared' },
      spec: {
        terminationGracePeriodSeconds: 2,
        volumes: [
          { name: 'data', emptyDir: {} },
          { name: 'mem', emptyDir: { medium: 'Memory', sizeLimit: '8Mi' } },
        ],
        containers: [
          {
            name: 'writer',
            image: BUSYBOX,
            command: ['sh', '-c', 'echo hello-from-writer > /data/msg; echo in-sub > /sub/f; echo in-mem > /mem/m; exec sleep 3600'],
            volumeMounts: [
              { name: 'data', mountPath: '/data' },
              { name: 'data', mountPath: '/sub', subPath: 'nested/dir' },
              { name: 'mem', mountPath: '/mem' },
            ],
          },
          {
            name: 'reader',
            image: BUSYBOX,
            command: ['sh', '-c', 'until cat /data/msg; do sleep 0.2; done; exec sleep 3600'],
            volumeMounts: [
              { name: 'data', mountPath: '/data', readOnly: true },
              { name: 'mem', mountPath: '/mem' },
            ],
          },
        ],
      },
    });
    await running('shared');
    await eventually(() => env.podLog('shared', 'reader').includes('hello-from-writer'), 'reader read what writer wrote', 20_000);
    assert.equal(exec('shared', 'reader', 'cat /data/nested/dir/f').out, 'in-sub\n');
    assert.equal(exec('shared', 'reader', 'cat /mem/m').out, 'in-mem\n');
    const ro = exec('shared', 'reader', 'echo x > /data/other');
    assert.notEqual(ro.code, 0, 'a readOnly mount refuses writes');
    assert.match(ro.err, /Read-only file system/);
    assert.match(exec('shared', 'reader', 'grep " /mem " /proc/mounts').out, /^tmpfs \/mem tmpfs .*size=8192k/);
    const uid = env.getPod('shared').metadata!.uid!;
    const hostDir = join(env.agentDir, 'pods', uid, 'volumes', 'kubernetes.io~empty-dir', 'data');
    assert.equal(readFileSync(join(hostDir, 'msg'), 'utf8'), 'hello-from-writer\n');
  });

  test('configMap and secret as env and volumes (items, modes, optional), and a hostPath', async () => {
    const hostPath = join(env.dir, 'hostpath');
    mkdirSync(hostPath, { recursive: true });
    writeFileSync(join(hostPath, 'from-host'), 'host-file\n');
    env.apply(
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { alpha: 'one', beta: 'two' } },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'sec' }, type: 'Opaque', data: { password: b64('s3cret'), token: b64('tok') } },
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'cfgpod' },
        spec: {
          terminationGracePeriodSeconds: 2,
          volumes: [
            { name: 'cfg', configMap: { name: 'cfg' } },
            { name: 'items', configMap: { name: 'cfg', items: [{ key: 'beta', path: 'sub/bee', mode: 0o600 }] } },
            { name: 'sec', secret: { secretName: 'sec', defaultMode: 0o400 } },
            { name: 'opt', configMap: { name: 'absent', optional: true } },
            { name: 'host', hostPath: { path: hostPath, type: 'Directory' } },
            { name: 'made', hostPath: { path: join(env.dir, 'made-by-agent'), type: 'DirectoryOrCreate' } },
          ],
          containers: [
            {
              name: 'c',
              image: BUSYBOX,
              command: ['sh', '-c', 'echo "A=$A P=$P X_alpha=$X_alpha"; echo from-pod > /host/from-pod; exec sleep 3600'],
              env: [
                { name: 'A', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'alpha' } } },
                { name: 'P', valueFrom: { secretKeyRef: { name: 'sec', key: 'password' } } },
              ],
              envFrom: [{ configMapRef: { name: 'cfg' }, prefix: 'X_' }],
              volumeMounts: [
                { name: 'cfg', mountPath: '/cfg' },
                { name: 'items', mountPath: '/items' },
                { name: 'sec', mountPath: '/sec', readOnly: true },
                { name: 'opt', mountPath: '/opt' },
                { name: 'host', mountPath: '/host' },
                { name: 'made', mountPath: '/made' },
              ],
            },
          ],
        },
      },
    );
    await running('cfgpod');
    await eventually(() => env.podLog('cfgpod', 'c').includes('A=one P=s3cret X_alpha=one'), 'env from configMap and secret', 10_000);
    assert.equal(exec('cfgpod', 'c', 'cat /cfg/alpha; echo; cat /cfg/beta').out, 'one\ntwo');
    assert.equal(exec('cfgpod', 'c', 'ls /items; cat /items/sub/bee; echo; stat -L -c %a /items/sub/bee').out, 'sub\ntwo\n600\n');
    assert.equal(exec('cfgpod', 'c', 'cat /sec/password; echo; stat -L -c %a /sec/password /sec/token').out, 's3cret\n400\n400\n');
    assert.equal(exec('cfgpod', 'c', 'stat -L -c %a /cfg/alpha').out, '644\n');
    assert.equal(exec('cfgpod', 'c', 'ls -A /opt | grep -v "^\\.\\." | wc -l').out.trim(), '0');
    assert.equal(exec('cfgpod', 'c', 'cat /host/from-host').out, 'host-file\n');
    assert.equal(readFileSync(join(env.dir, 'hostpath', 'from-pod'), 'utf8'), 'from-pod\n');
    assert.ok(existsSync(join(env.dir, 'made-by-agent')), 'DirectoryOrCreate made the host dir');
  });

  test('a missing configMap keeps the container in ContainerCreating with FailedMount until it exists', async () => {
    env.apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'waitcm' },
      spec: {
        terminationGracePeriodSeconds: 2,
        volumes: [{ name: 'v', configMap: { name: 'later' } }],
        containers: [{ name: 'c', image: BUSYBOX, command: ['sh', '-c', 'cat /v/k; echo; exec sleep 3600'], volumeMounts: [{ name: 'v', mountPath: '/v' }] }],
      },
    });
    await eventually(() => env.getPod('waitcm').status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ContainerCreating', 'ContainerCreating', 20_000);
    await eventually(
      () => /FailedMount.*configmap "later" not found/.test(kubectl(env.server, ['get', 'events', '--field-selector', 'involvedObject.name=waitcm']).stdout),
      'FailedMount event',
      20_000,
    );
    assert.equal(env.getPod('waitcm').status!.phase, 'Pending');
    assert.match(kubectl(env.server, ['get', 'pod', 'waitcm']).stdout, /waitcm\s+0\/1\s+ContainerCreating/);
    env.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'later' }, data: { k: 'now-here' } });
    await running('waitcm');
    await eventually(() => env.podLog('waitcm', 'c').includes('now-here'), 'configMap content read', 10_000).catch((e: Error) => {
      throw new Error(`${e.message}: log ${JSON.stringify(env.podLog('waitcm', 'c'))}, status ${JSON.stringify(env.getPod('waitcm').status)}`);
    });
  });

  test('a downward API volume shows the pod labels, annotations, name, namespace and a resource limit', async () => {
    env.apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'dw', labels: { app: 'dw', tier: 'front' }, annotations: { note: 'a "quoted" value' } },
      spec: {
        terminationGracePeriodSeconds: 2,
        volumes: [
          {
            name: 'podinfo',
            downwardAPI: {
              items: [
                { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
                { path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } },
                { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
                { path: 'ns/namespace', fieldRef: { fieldPath: 'metadata.namespace' } },
                { path: 'app', fieldRef: { fieldPath: "metadata.labels['app']" } },
                { path: 'mem_limit', resourceFieldRef: { containerName: 'c', resource: 'limits.memory', divisor: '1Mi' } },
              ],
            },
          },
        ],
        containers: [
          {
            name: 'c',
            image: BUSYBOX,
            command: ['sleep', '3600'],
            resources: { limits: { memory: '32Mi' } },
            volumeMounts: [{ name: 'podinfo', mountPath: '/etc/podinfo' }],
          },
        ],
      },
    });
    await running('dw');
    assert.equal(exec('dw', 'c', 'cat /etc/podinfo/labels').out, 'app="dw"\ntier="front"');
    // kubectl apply's last-applied-configuration is an annotation too, as upstream shows it.
    assert.match(exec('dw', 'c', 'cat /etc/podinfo/annotations').out, /^note="a \\"quoted\\" value"$/m);
    assert.equal(
      exec('dw', 'c', 'cat /etc/podinfo/name; echo; cat /etc/podinfo/ns/namespace; echo; cat /etc/podinfo/app; echo; cat /etc/podinfo/mem_limit').out,
      'dw\ndefault\ndw\n32',
    );
  });

  test('configMap, secret, projected and downwardAPI volumes follow their sources; a subPath mount keeps its file', async () => {
    env.apply(
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'live' }, data: { key: 'one' } },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'live-s' }, type: 'Opaque', data: { s: b64('one') } },
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'livepod', labels: { tier: 'a' } },
        spec: {
          terminationGracePeriodSeconds: 2,
          volumes: [
            { name: 'cm', configMap: { name: 'live' } },
            { name: 'sec', secret: { secretName: 'live-s' } },
            {
              name: 'proj',
              projected: {
                sources: [
                  { configMap: { name: 'live', items: [{ key: 'key', path: 'p/key' }] } },
                  { downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
                ],
              },
            },
          ],
          containers: [
            {
              name: 'c',
              image: BUSYBOX,
              command: ['sleep', '3600'],
              volumeMounts: [
                { name: 'cm', mountPath: '/vol' },
                { name: 'cm', mountPath: '/sub/key', subPath: 'key' },
                { name: 'sec', mountPath: '/sec' },
                { name: 'proj', mountPath: '/proj' },
              ],
            },
          ],
        },
      },
    );
    await running('livepod');
    const show = 'cat /vol/key; echo; cat /sub/key; echo; cat /sec/s; echo; cat /proj/p/key; echo; cat /proj/labels';
    assert.equal(exec('livepod', 'c', show).out, 'one\none\none\none\ntier="a"');
    // kubelet's atomic writer layout: ..data -> ..<timestamp>, key -> ..data/key.
    assert.match(exec('livepod', 'c', 'readlink /vol/key; readlink /vol/..data').out, /^\.\.data\/key\n\.\.\d{4}-.*\n$/);
    const t0 = Date.now();
    env.apply(
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'live' }, data: { key: 'two' } },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'live-s' }, type: 'Opaque', data: { s: b64('two') } },
    );
    assert.equal(kubectl(env.server, ['label', 'pod', 'livepod', 'tier=b', '--overwrite']).code, 0);
    await eventually(
      () => (exec('livepod', 'c', show).out === 'two\none\ntwo\ntwo\ntier="b"' ? true : undefined),
      'the volumes updated, the subPath mount not',
      45_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}: now ${JSON.stringify(exec('livepod', 'c', show).out)}`);
    });
    process.stderr.write(`volumes followed their sources ${Date.now() - t0} ms after the update\n`);
    // The container never restarted for it.
    assert.equal(env.getPod('livepod').status!.containerStatuses![0]!.restartCount, 0);
  });

  test("the managed /etc/hosts: hostname with the subdomain FQDN and hostAliases; the node's file for hostNetwork", async () => {
    env.apply(
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'hosts' },
        spec: {
          terminationGracePeriodSeconds: 2,
          hostname: 'web',
          subdomain: 'backend',
          hostAliases: [{ ip: '10.1.2.3', hostnames: ['foo.local', 'bar.local'] }],
          containers: [{ name: 'c', image: BUSYBOX, command: ['sleep', '3600'] }],
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'hosts-hostnet' },
        spec: {
          terminationGracePeriodSeconds: 2,
          hostNetwork: true,
          hostAliases: [{ ip: '10.9.9.9', hostnames: ['alias.local'] }],
          containers: [{ name: 'c', image: BUSYBOX, command: ['sleep', '3600'] }],
        },
      },
    );
    await running('hosts');
    const ip = env.getPod('hosts').status!.podIP!;
    assert.equal(
      exec('hosts', 'c', 'cat /etc/hosts').out,
      '# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n' +
        `${ip}\tweb.backend.default.svc.cluster.local\tweb\n\n# Entries added by HostAliases.\n10.1.2.3\tfoo.local\tbar.local\n`,
    );
    assert.equal(exec('hosts', 'c', 'hostname').out.trim(), 'web');
    await running('hosts-hostnet');
    assert.equal(
      exec('hosts-hostnet', 'c', 'cat /etc/hosts').out,
      `# Kubernetes-managed hosts file (host network).\n${readFileSync('/etc/hosts', 'utf8')}\n# Entries added by HostAliases.\n10.9.9.9\talias.local\n`,
    );
  });

  test('deleting the pods removes their volumes: no pod dirs, no tmpfs left', async () => {
    const r = kubectl(env.server, ['delete', 'pods', '--all', '--wait=true', '--timeout=60s']);
    assert.equal(r.code, 0, r.stderr);
    const pods = join(env.agentDir, 'pods');
    await eventually(() => !existsSync(pods) || readdirSync(pods).length === 0, 'pod volume dirs removed', 20_000);
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
    assert.ok(!mounts.includes(`${pods}/`), 'nothing mounted under the pods dir');
    assert.ok(existsSync(join(env.dir, 'hostpath', 'from-host')), 'a hostPath is left alone');
  });
});
