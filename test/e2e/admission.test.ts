// Admission as kubectl 1.32 meets it: PodSecurity enforce refusing a privileged pod and warn
// warning on apply (and on labelling a namespace whose pods would be refused), a ResourceQuota
// of two pods refusing the third and shown by describe, the quota controller giving the unit
// back when a pod goes, and a LimitRange's defaults on a pod without resources and its max.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { BERTH, api, eventually, kubectl, kubectlOk, startServer } from './harness.js';

const podYaml = (name: string, namespace: string, extra = '') => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  containers:
  - name: c
    image: busybox
${extra}`;

test('admission: PodSecurity enforce and warn, ResourceQuota, LimitRange, through kubectl', async () => {
  const s = await startServer();
  try {
    // PodSecurity: enforce=restricted refuses a privileged pod with upstream's message.
    kubectlOk(s, ['create', 'namespace', 'secure']);
    kubectlOk(s, ['label', 'namespace', 'secure', 'pod-security.kubernetes.io/enforce=restricted']);
    const privileged = '    securityContext:\n      privileged: true\n';
    const refused = kubectl(s, ['create', '-f', '-'], { input: podYaml('priv', 'secure', privileged) });
    assert.equal(refused.code, 1);
    assert.equal(
      refused.stderr.trim(),
      'Error from server (Forbidden): error when creating "STDIN": pods "priv" is forbidden: violates PodSecurity "restricted:latest": ' +
        'privileged (container "c" must not set securityContext.privileged=true), ' +
        'allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), ' +
        'unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), ' +
        'runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), ' +
        'seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    );
    const hardened =
      '    securityContext:\n      allowPrivilegeEscalation: false\n      runAsNonRoot: true\n      capabilities:\n        drop: ["ALL"]\n      seccompProfile:\n        type: RuntimeDefault\n';
    kubectlOk(s, ['create', '-f', '-'], { input: podYaml('hardened', 'secure', hardened) });

    // warn=baseline: admitted, with the warning line; then enforce=baseline warns about that pod.
    kubectlOk(s, ['create', 'namespace', 'warned']);
    kubectlOk(s, ['label', 'namespace', 'warned', 'pod-security.kubernetes.io/warn=baseline']);
    const applied = kubectl(s, ['apply', '-f', '-'], { input: podYaml('priv', 'warned', privileged) });
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, /^pod\/priv created$/m);
    assert.equal(
      applied.stderr.trim(),
      'Warning: would violate PodSecurity "baseline:latest": privileged (container "c" must not set securityContext.privileged=true)',
    );
    const labelled = kubectl(s, ['label', 'namespace', 'warned', 'pod-security.kubernetes.io/enforce=baseline']);
    assert.equal(labelled.code, 0, labelled.stderr);
    assert.equal(
      labelled.stderr.trim(),
      'Warning: existing pods in namespace "warned" violate the new PodSecurity enforce level "baseline:latest"\nWarning: priv: privileged',
    );
    const badLabel = kubectl(s, ['label', 'namespace', 'warned', 'pod-security.kubernetes.io/enforce=strict', '--overwrite']);
    assert.equal(badLabel.code, 1);
    assert.match(
      badLabel.stderr,
      /Namespace "warned" is invalid: metadata\.labels\[pod-security\.kubernetes\.io\/enforce\]: Invalid value: "strict": must be one of privileged, baseline, restricted/,
    );

    // ResourceQuota: two pods, the third refused, describe shows Used 2 / Hard 2.
    kubectlOk(s, ['create', 'namespace', 'quota']);
    kubectlOk(s, ['create', 'quota', 'pods', '--hard=pods=2', '-n', 'quota']);
    await eventually(
      () => kubectlOk(s, ['get', 'quota', 'pods', '-n', 'quota', '-o', 'jsonpath={.status.used.pods}']) === '0' || undefined,
      'the quota controller fills status',
    );
    kubectlOk(s, ['run', 'p1', '--image=busybox', '-n', 'quota']);
    kubectlOk(s, ['run', 'p2', '--image=busybox', '-n', 'quota']);
    const third = kubectl(s, ['run', 'p3', '--image=busybox', '-n', 'quota']);
    assert.equal(third.code, 1);
    assert.equal(
      third.stderr.trim(),
      'Error from server (Forbidden): pods "p3" is forbidden: exceeded quota: pods, requested: pods=1, used: pods=2, limited: pods=2',
    );
    const described = kubectlOk(s, ['describe', 'quota', 'pods', '-n', 'quota']);
    assert.match(described, /^Name:\s+pods\nNamespace:\s+quota\nResource\s+Used\s+Hard\n-+\s+-+\s+-+\npods\s+2\s+2\n$/m);
    assert.match(kubectlOk(s, ['get', 'quota', '-n', 'quota']), /^NAME\s+AGE\s+REQUEST\s+LIMIT\npods\s+\S+\s+pods: 2\/2\s*\n$/);
    // A pod deleted gives its unit back (the controller's replenishment), and the third fits.
    kubectlOk(s, ['delete', 'pod', 'p1', '-n', 'quota', '--wait=false']);
    await eventually(() => kubectlOk(s, ['get', 'quota', 'pods', '-n', 'quota', '-o', 'jsonpath={.status.used.pods}']) === '1' || undefined, 'usage back to 1');
    kubectlOk(s, ['run', 'p3', '--image=busybox', '-n', 'quota']);
    // An object count of another group: the controller lists what it has no informer for.
    kubectlOk(s, ['create', 'quota', 'deploys', '--hard=count/deployments.apps=1', '-n', 'quota']);
    const deploysUsed = () => JSON.parse(kubectlOk(s, ['get', 'quota', 'deploys', '-n', 'quota', '-o', 'json'])).status?.used?.['count/deployments.apps'];
    await eventually(() => deploysUsed() === '0' || undefined, 'the deployments count filled in');
    kubectlOk(s, ['create', 'deployment', 'd1', '--image=busybox', '-n', 'quota']);
    const d2 = kubectl(s, ['create', 'deployment', 'd2', '--image=busybox', '-n', 'quota']);
    assert.equal(d2.code, 1);
    assert.match(
      d2.stderr,
      /deployments\.apps "d2" is forbidden: exceeded quota: deploys, requested: count\/deployments\.apps=1, used: count\/deployments\.apps=1, limited: count\/deployments\.apps=1$/m,
    );
    assert.equal(deploysUsed(), '1');

    // Ten creates at once against a quota of three: exactly three pass, the store holds three.
    kubectlOk(s, ['create', 'namespace', 'race']);
    kubectlOk(s, ['create', 'quota', 'three', '--hard=pods=3', '-n', 'race']);
    await eventually(
      () => kubectlOk(s, ['get', 'quota', 'three', '-n', 'race', '-o', 'jsonpath={.status.used.pods}']) === '0' || undefined,
      'quota three filled in',
    );
    const racers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        api(s, 'POST', '/api/v1/namespaces/race/pods', {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: `r${i}` },
          spec: { containers: [{ name: 'c', image: 'busybox' }] },
        }),
      ),
    );
    assert.deepEqual(racers.map((r) => r.status).sort(), [201, 201, 201, 403, 403, 403, 403, 403, 403, 403]);
    for (const r of racers.filter((x) => x.status === 403))
      assert.match(r.json.message, /exceeded quota: three, requested: pods=1, used: pods=3, limited: pods=3$/);
    assert.equal(kubectlOk(s, ['get', 'pods', '-n', 'race', '-o', 'name']).trim().split('\n').length, 3);
    assert.equal(kubectlOk(s, ['get', 'quota', 'three', '-n', 'race', '-o', 'jsonpath={.status.used.pods}']), '3');

    // LimitRange: defaults for a pod without resources, a container over max refused.
    kubectlOk(s, ['create', 'namespace', 'limits']);
    kubectlOk(s, ['apply', '-f', '-'], {
      input: `apiVersion: v1
kind: LimitRange
metadata:
  name: limits
  namespace: limits
spec:
  limits:
  - type: Container
    max: {cpu: "1"}
    default: {cpu: 500m, memory: 256Mi}
    defaultRequest: {cpu: 100m, memory: 128Mi}
`,
    });
    assert.match(kubectlOk(s, ['get', 'limits', '-n', 'limits']), /^NAME\s+CREATED AT\nlimits\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$/);
    assert.match(kubectlOk(s, ['describe', 'limitrange', 'limits', '-n', 'limits']), /^\s*Container\s+cpu\s+-\s+1\s+100m\s+500m\s+-\s*$/m);
    kubectlOk(s, ['run', 'plain', '--image=busybox', '-n', 'limits']);
    const plain = JSON.parse(kubectlOk(s, ['get', 'pod', 'plain', '-n', 'limits', '-o', 'json']));
    assert.deepEqual(plain.spec.containers[0].resources, { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } });
    assert.equal(
      plain.metadata.annotations['kubernetes.io/limit-ranger'],
      'LimitRanger plugin set: cpu, memory request for container plain; cpu, memory limit for container plain',
    );
    assert.equal(plain.status.qosClass, 'Burstable');
    const big = kubectl(s, ['create', '-f', '-'], { input: podYaml('big', 'limits', '    resources:\n      limits: {cpu: "2"}\n') });
    assert.equal(big.code, 1);
    assert.equal(
      big.stderr.trim(),
      'Error from server (Forbidden): error when creating "STDIN": pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2',
    );
  } finally {
    await s.stop();
    s.cleanup();
  }
});

test('--disable-admission-plugins: ServiceAccount and DefaultTolerationSeconds off leave pods as written; a wrong name is one line and exit 1', async () => {
  const bad = spawnSync(process.execPath, [BERTH, 'server', '--data-dir', '/nonexistent/berth-never', '--disable-admission-plugins', 'ServiceAccount,Nope'], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  assert.equal(bad.status, 1);
  assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
  assert.match(bad.stderr, /disable-admission-plugins plugin "Nope" is unknown/);

  const s = await startServer({ args: ['--disable-admission-plugins', 'ServiceAccount,DefaultTolerationSeconds'] });
  try {
    kubectlOk(s, ['run', 'bare', '--image=busybox']);
    const bare = JSON.parse(kubectlOk(s, ['get', 'pod', 'bare', '-o', 'json']));
    assert.equal(bare.spec.volumes, undefined, 'no token volume');
    assert.equal(bare.spec.containers[0].volumeMounts, undefined);
    assert.equal(bare.spec.tolerations, undefined, 'no default tolerations');
  } finally {
    await s.stop();
    s.cleanup();
  }
  // With the defaults, the same pod gets both (the other test's server has every plugin).
  const d = await startServer();
  try {
    kubectlOk(d, ['run', 'full', '--image=busybox']);
    const full = JSON.parse(kubectlOk(d, ['get', 'pod', 'full', '-o', 'json']));
    assert.match(full.spec.volumes[0].name, /^kube-api-access-[a-z0-9]{5}$/);
    assert.deepEqual(
      full.spec.tolerations.map((t: { key: string; tolerationSeconds: number }) => [t.key, t.tolerationSeconds]),
      [
        ['node.kubernetes.io/not-ready', 300],
        ['node.kubernetes.io/unreachable', 300],
      ],
    );
  } finally {
    await d.stop();
    d.cleanup();
  }
});
