// securityContext on a real containerd (agent-fixture.ts): pod-level user, groups and fsGroup
// with a container's override, runAsNonRoot refusing a root image, a read-only root filesystem
// beside a writable emptyDir, no_new_privs, a dropped and an added capability, and what a
// privileged container can do that an ordinary one can't. The pods are created together.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Container, Event, Pod } from 'kubernetes-types/core/v1';
import { eventually, kubectl, skipIfMissing } from './harness.js';
import { BUSYBOX, missingAgentPrerequisite, startAgentEnv, type AgentEnv } from './agent-fixture.js';

const missing = skipIfMissing(await missingAgentPrerequisite(), 'the agent securityContext e2e test');

const b64 = (s: string) => Buffer.from(s).toString('base64');
const sleeper = (name: string, extra: Partial<Container> = {}): Container => ({ name, image: BUSYBOX, command: ['sleep', '3600'], ...extra });

describe('node agent securityContext', { skip: missing ?? false }, () => {
  let env: AgentEnv;

  const pod = (name: string, spec: Partial<Pod['spec']> & { containers: Container[] }): Pod =>
    ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { terminationGracePeriodSeconds: 2, ...spec } }) as Pod;
  const running = (name: string) =>
    eventually(
      () => {
        const p = env.getPod(name);
        return p.status?.phase === 'Running' && p.status.containerStatuses?.every((c) => c.state?.running) ? true : undefined;
      },
      `pod ${name} Running`,
      30_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}: ${JSON.stringify(env.getPod(name).status?.containerStatuses?.map((c) => [c.name, c.state]))}`);
    });
  const exec = (name: string, container: string, script: string) => {
    const r = kubectl(env.server, ['exec', name, '-c', container, '--', 'sh', '-c', script]);
    return { code: r.code, out: r.stdout, err: r.stderr };
  };
  const groups = (out: string) => new Set(out.trim().split(/\s+/).map(Number));

  before(async () => {
    env = await startAgentEnv();
    env.apply(
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'sc-cfg' }, data: { key: 'value' } },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'sc-sec' }, type: 'Opaque', data: { password: b64('s3cret') } },
      pod('ids', {
        securityContext: { runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000, supplementalGroups: [4000], runAsNonRoot: true },
        volumes: [
          { name: 'scratch', emptyDir: {} },
          { name: 'cfg', configMap: { name: 'sc-cfg' } },
          { name: 'sec', secret: { secretName: 'sc-sec', defaultMode: 0o400 } },
        ],
        containers: [
          sleeper('podlevel', {
            volumeMounts: [
              { name: 'scratch', mountPath: '/scratch' },
              { name: 'cfg', mountPath: '/cfg' },
              { name: 'sec', mountPath: '/sec' },
            ],
          }),
          sleeper('override', { securityContext: { runAsUser: 1500, runAsGroup: 2500 } }),
        ],
      }),
      // A container's group without a user: the image's user (root) is passed along with it, or
      // the runtime refuses the group (at pod level the sandbox gets it alone, and containerd
      // refuses the sandbox, with upstream's kubelet too).
      pod('grouponly', { containers: [sleeper('c', { securityContext: { runAsGroup: 3000 } })] }),
      pod('nonroot', {
        securityContext: { runAsNonRoot: true },
        containers: [sleeper('image-root'), sleeper('uid-zero', { securityContext: { runAsUser: 0 } })],
      }),
      pod('rofs', {
        volumes: [{ name: 'data', emptyDir: {} }],
        containers: [
          sleeper('c', {
            securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
            volumeMounts: [{ name: 'data', mountPath: '/data' }],
          }),
        ],
      }),
      pod('caps', {
        containers: [
          sleeper('plain'),
          sleeper('nochown', { securityContext: { capabilities: { drop: ['CHOWN'] } } }),
          sleeper('netadmin', { securityContext: { capabilities: { add: ['NET_ADMIN'] } } }),
        ],
      }),
      pod('priv', { containers: [sleeper('c', { securityContext: { privileged: true } })] }),
    );
  });

  after(async () => {
    await env?.stop();
  });

  test('pod-level runAsUser, runAsGroup, fsGroup and supplementalGroups, and a container overriding user and group', async () => {
    await running('ids');
    const pod = exec('ids', 'podlevel', 'id -u; id -g; id -G');
    const [uid, gid, all] = pod.out.split('\n');
    assert.equal(uid, '1000');
    assert.equal(gid, '3000');
    for (const g of [2000, 3000, 4000]) assert.ok(groups(all!).has(g), `group ${g} in ${all}`);
    const over = exec('ids', 'override', 'id -u; id -g; id -G').out.split('\n');
    assert.equal(over[0], '1500');
    assert.equal(over[1], '2500');
    assert.ok(groups(over[2]!).has(2000) && groups(over[2]!).has(4000), `the pod's fsGroup and supplementalGroups stay (${over[2]})`);
    assert.ok(!groups(over[2]!).has(3000), `the pod's runAsGroup is overridden (${over[2]})`);
  });

  test('fsGroup: volumes are group-owned, setgid and group-writable (emptyDir) or group-readable (configMap, secret)', async () => {
    await running('ids');
    assert.equal(exec('ids', 'podlevel', 'stat -c "%g %a" /scratch').out, '2000 2777\n');
    // What the user creates there gets the fsGroup through the setgid directory.
    assert.equal(exec('ids', 'podlevel', 'touch /scratch/mine && stat -c "%u %g" /scratch/mine').out, '1000 2000\n');
    assert.equal(exec('ids', 'podlevel', 'stat -L -c "%g %a" /cfg/key').out, '2000 644\n');
    // A 0400 secret becomes 0440 group fsGroup: readable by the non-root user only through fsGroup.
    assert.equal(exec('ids', 'podlevel', 'stat -L -c "%u %g %a" /sec/password').out, '0 2000 440\n');
    assert.equal(exec('ids', 'podlevel', 'cat /sec/password').out, 's3cret');
  });

  test("a container's runAsGroup without runAsUser runs as the image's user with that group", async () => {
    await running('grouponly');
    assert.equal(exec('grouponly', 'c', 'id -u; id -g').out, '0\n3000\n');
  });

  test('runAsNonRoot refuses a root image and runAsUser 0 with CreateContainerConfigError', async () => {
    const uid = await eventually(
      () => {
        const p = env.getPod('nonroot');
        const reasons = p.status?.containerStatuses?.map((c) => c.state?.waiting?.reason);
        return reasons?.length === 2 && reasons.every((r) => r === 'CreateContainerConfigError') ? p.metadata!.uid : undefined;
      },
      'both containers in CreateContainerConfigError',
      30_000,
    );
    const st = (n: string) => env.getPod('nonroot').status!.containerStatuses!.find((c) => c.name === n)!.state!.waiting!.message;
    assert.equal(st('image-root'), `container has runAsNonRoot and image will run as root (pod: "nonroot_default(${uid})", container: image-root)`);
    assert.equal(st('uid-zero'), `container's runAsUser breaks non-root policy (pod: "nonroot_default(${uid})", container: uid-zero)`);
    const events = (
      JSON.parse(kubectl(env.server, ['get', 'events', '--field-selector', 'involvedObject.name=nonroot', '-o', 'json']).stdout) as { items: Event[] }
    ).items;
    assert.ok(events.some((e) => e.type === 'Warning' && e.reason === 'Failed' && e.message === `Error: ${st('image-root')}`));
    assert.match(kubectl(env.server, ['get', 'pod', 'nonroot', '--no-headers']).stdout, /^nonroot\s+0\/2\s+CreateContainerConfigError/);
    assert.equal((await env.rt.listContainers({ labelSelector: { 'io.kubernetes.pod.uid': uid! } })).length, 0, 'nothing was created');
  });

  test('readOnlyRootFilesystem refuses writes to / but not to an emptyDir; allowPrivilegeEscalation false sets no_new_privs', async () => {
    await running('rofs');
    const root = exec('rofs', 'c', 'touch /written');
    assert.notEqual(root.code, 0);
    assert.match(root.err, /Read-only file system/);
    assert.equal(exec('rofs', 'c', 'touch /data/written && echo ok').out, 'ok\n');
    assert.match(exec('rofs', 'c', 'grep NoNewPrivs /proc/self/status').out, /NoNewPrivs:\s+1/);
  });

  test('a dropped CHOWN makes chown fail; an added NET_ADMIN lets the container change the pod network', async () => {
    await running('caps');
    assert.equal(exec('caps', 'plain', 'touch /tmp/f && chown 1:1 /tmp/f && echo ok').out, 'ok\n');
    const chown = exec('caps', 'nochown', 'touch /tmp/f && chown 1:1 /tmp/f');
    assert.notEqual(chown.code, 0);
    assert.match(chown.err, /Operation not permitted/);
    const plainIp = exec('caps', 'plain', 'ip link set lo mtu 1400');
    assert.notEqual(plainIp.code, 0, 'without NET_ADMIN the link stays as it is');
    assert.equal(exec('caps', 'netadmin', 'ip link set lo mtu 1400 && echo ok').out, 'ok\n');
    // The containers share the pod's network namespace: the change shows everywhere.
    assert.equal(exec('caps', 'plain', 'cat /sys/class/net/lo/mtu').out, '1400\n');
    assert.match(exec('caps', 'plain', 'grep NoNewPrivs /proc/self/status').out, /NoNewPrivs:\s+0/);
  });

  test("privileged sees the host's devices and can mount; an ordinary container can't", async () => {
    await running('priv');
    await running('caps');
    const count = (name: string, c: string) => Number(exec(name, c, 'ls /dev | wc -l').out.trim());
    const privDevs = count('priv', 'c');
    const plainDevs = count('caps', 'plain');
    assert.ok(privDevs > plainDevs, `privileged /dev has ${privDevs} entries, ordinary ${plainDevs}`);
    assert.equal(exec('priv', 'c', 'mkdir -p /mnt/t && mount -t tmpfs tmpfs /mnt/t && echo mounted').out, 'mounted\n');
    const denied = exec('caps', 'plain', 'mkdir -p /mnt/t && mount -t tmpfs tmpfs /mnt/t');
    assert.notEqual(denied.code, 0);
    assert.match(denied.err, /denied|not permitted/i);
  });
});
