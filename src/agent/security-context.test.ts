import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Container, Pod, PodSecurityContext } from 'kubernetes-types/core/v1';
import { containerConfig, sandboxConfig } from './container-config.js';
import { effectiveSecurityContext, imageUser, runAsNonRootViolation } from './security-context.js';

const pod = (psc: PodSecurityContext, c: Container): Pod => ({
  metadata: { name: 'p', namespace: 'ns', uid: 'u1' },
  spec: { securityContext: psc, containers: [c] },
  status: { qosClass: 'BestEffort' },
});
const cfg = (p: Pod, user = imageUser(undefined)) =>
  containerConfig(p, p.spec!.containers[0]!, { attempt: 0, image: 'img', envs: [], memoryCapacity: 1 << 30, imageUser: user }).linux!.securityContext!;

test('pod-level user, group and non-root apply unless the container sets its own', () => {
  const c: Container = { name: 'c', securityContext: { runAsUser: 2000, readOnlyRootFilesystem: true } };
  const sc = effectiveSecurityContext(pod({ runAsUser: 1000, runAsGroup: 3000, runAsNonRoot: true }, c), c);
  assert.equal(sc.runAsUser, 2000);
  assert.equal(sc.runAsGroup, 3000);
  assert.equal(sc.runAsNonRoot, true);
  assert.equal(sc.readOnlyRootFilesystem, true);
});

test('the CRI security context: effective user and group, fsGroup then supplementalGroups, on container and sandbox', () => {
  const p = pod({ runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000, supplementalGroups: [4000, 5000] }, { name: 'c', securityContext: { runAsGroup: 3500 } });
  const sc = cfg(p);
  assert.deepEqual(sc.runAsUser, { value: 1000 });
  assert.deepEqual(sc.runAsGroup, { value: 3500 });
  assert.deepEqual(sc.supplementalGroups, [2000, 4000, 5000]);
  const sb = sandboxConfig(p, {
    attempt: 0,
    logRoot: '/l',
    cgroupRoot: '/b',
    dns: { clusterDns: [], clusterDomain: 'cluster.local', host: { servers: [], searches: [], options: [] } },
  });
  assert.deepEqual(sb.linux!.securityContext!.supplementalGroups, [2000, 4000, 5000]);
});

test("without runAsUser the image's user is passed on (a group alone would be refused by the runtime)", () => {
  const p = pod({ runAsGroup: 3000 }, { name: 'c' });
  assert.deepEqual(cfg(p, imageUser(undefined)).runAsUser, { value: 0 });
  assert.deepEqual(cfg(p, imageUser({ uid: 65534 })).runAsUser, { value: 65534 });
  const named = cfg(p, imageUser({ username: 'nobody' }));
  assert.equal(named.runAsUser, undefined);
  assert.equal(named.runAsUsername, 'nobody');
  assert.deepEqual(cfg(pod({ runAsUser: 7 }, { name: 'c' }), imageUser({ username: 'nobody' })).runAsUser, { value: 7 });
  assert.equal(cfg(pod({ runAsUser: 7 }, { name: 'c' }), imageUser({ username: 'nobody' })).runAsUsername, undefined);
});

test('runAsNonRoot: root images, runAsUser 0 and unverifiable user names are refused in upstream words', () => {
  const c: Container = { name: 'c' };
  const where = '(pod: "p_ns(u1)", container: c)';
  assert.equal(
    runAsNonRootViolation(pod({ runAsNonRoot: true }, c), c, imageUser(undefined)),
    `container has runAsNonRoot and image will run as root ${where}`,
  );
  assert.equal(
    runAsNonRootViolation(pod({ runAsNonRoot: true }, c), c, imageUser({ uid: 0 })),
    `container has runAsNonRoot and image will run as root ${where}`,
  );
  assert.equal(runAsNonRootViolation(pod({ runAsNonRoot: true }, c), c, imageUser({ uid: 1000 })), undefined);
  assert.equal(
    runAsNonRootViolation(pod({ runAsNonRoot: true }, c), c, imageUser({ username: 'app' })),
    `container has runAsNonRoot and image has non-numeric user (app), cannot verify user is non-root ${where}`,
  );
  assert.equal(
    runAsNonRootViolation(pod({ runAsNonRoot: true, runAsUser: 0 }, c), c, imageUser({ uid: 1000 })),
    `container's runAsUser breaks non-root policy ${where}`,
  );
  assert.equal(runAsNonRootViolation(pod({ runAsNonRoot: true, runAsUser: 1000 }, c), c, imageUser(undefined)), undefined);
  // The container's own setting overrides the pod's, both ways.
  const off: Container = { name: 'c', securityContext: { runAsNonRoot: false } };
  assert.equal(runAsNonRootViolation(pod({ runAsNonRoot: true }, off), off, imageUser(undefined)), undefined);
  const on: Container = { name: 'c', securityContext: { runAsNonRoot: true } };
  assert.match(runAsNonRootViolation(pod({}, on), on, imageUser(undefined)) ?? '', /image will run as root/);
});
