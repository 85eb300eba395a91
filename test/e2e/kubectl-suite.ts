// The real kubectl (1.32) against a real Berth server: what a user types, what a user sees.
// One suite, run over each datastore (kubectl.test.ts: SQLite, kubectl-etcd.test.ts: etcd).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import YAML from 'yaml';
import { api, eventually, kubectl, kubectlBackground, kubectlPath, requireFile, startServer, kubectlOk, type RunningServer } from './harness.js';
import { startEtcd, type RunningEtcd } from './etcd-harness.js';

/** Template literals here are indented with the code; YAML needs them flush left. */
function dedent(text: string): string {
  const lines = text.split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length));
  return lines.map((l) => l.slice(indent)).join('\n');
}

export function kubectlSuite(backend: 'sqlite' | 'etcd'): void {
  let s: RunningServer;
  let etcd: RunningEtcd | undefined;
  const k = (args: string[], input?: string) => kubectl(s, args, { input });
  const ok = (args: string[], input?: string) => kubectlOk(s, args, { input });

  before(async () => {
    requireFile(undefined, kubectlPath('1.32'), 'kubectl 1.32');
    if (backend === 'etcd') {
      etcd = await startEtcd();
      s = await startServer({ args: ['--datastore', `etcd://${etcd.endpoints.join(',')}`] });
    } else {
      s = await startServer();
    }
  });
  after(async () => {
    await s?.stop();
    s?.cleanup();
    await etcd?.stop();
  });

  const deployment = (image: string, env?: Record<string, string>) =>
    dedent(`
  apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: web
    namespace: apps
    labels: {app: web}
  spec:
    replicas: 2
    selector: {matchLabels: {app: web}}
    template:
      metadata: {labels: {app: web}}
      spec:
        containers:
        - name: web
          image: ${image}
          ports: [{containerPort: 80}]
${
  env
    ? `          env:\n${Object.entries(env)
        .map(([n, v]) => `          - {name: ${n}, value: "${v}"}`)
        .join('\n')}\n`
    : ''
}        - name: sidecar
          image: busybox:1.36
          command: [sleep, infinity]
  `);

  test(`${backend}: kubectl version and api-resources`, () => {
    const v = JSON.parse(ok(['version', '-o', 'json']));
    assert.equal(v.serverVersion.major, '1');
    const res = ok(['api-resources']);
    for (const line of [
      /^pods\s+po\s+v1\s+true\s+Pod$/m,
      /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m,
      /^namespaces\s+ns\s+v1\s+false\s+Namespace$/m,
      /^leases\s+coordination\.k8s\.io\/v1\s+true\s+Lease$/m,
      /^priorityclasses\s+pc\s+scheduling\.k8s\.io\/v1\s+false\s+PriorityClass$/m,
    ]) {
      assert.match(res, line);
    }
  });

  test(`${backend}: create and delete a namespace`, () => {
    assert.equal(ok(['create', 'namespace', 'scratch']).trim(), 'namespace/scratch created');
    assert.match(ok(['get', 'ns', 'scratch']), /^NAME\s+STATUS\s+AGE\nscratch\s+Active\s+\d+s\n$/);
    ok(['create', 'configmap', 'x', '-n', 'scratch', '--from-literal=a=b']);
    assert.equal(ok(['delete', 'namespace', 'scratch', '--timeout=30s']).trim(), 'namespace "scratch" deleted');
    const r = k(['get', 'ns', 'scratch']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim(), 'Error from server (NotFound): namespaces "scratch" not found');
  });

  test(`${backend}: apply a multi-document file, re-apply with changes that merge as upstream`, () => {
    ok(['create', 'namespace', 'apps']);
    const multi =
      deployment('nginx:1.25') +
      dedent(`
  ---
  apiVersion: v1
  kind: ConfigMap
  metadata: {name: settings, namespace: apps}
  data: {mode: fast}
  ---
  apiVersion: v1
  kind: Pod
  metadata: {name: solo, namespace: apps, labels: {tier: one}}
  spec:
    containers:
    - name: main
      image: busybox
      command: [sleep, "3600"]
  `);
    const out = ok(['apply', '-f', '-'], multi);
    assert.equal(out, 'deployment.apps/web created\nconfigmap/settings created\npod/solo created\n');
    assert.equal(ok(['apply', '-f', '-'], multi), 'deployment.apps/web unchanged\nconfigmap/settings unchanged\npod/solo unchanged\n');

    // Add an env var to one container and change its image: the other container must stay as is.
    assert.equal(ok(['apply', '-f', '-'], deployment('nginx:1.27', { MODE: 'fast' })), 'deployment.apps/web configured\n');
    const d = JSON.parse(ok(['get', 'deploy', 'web', '-n', 'apps', '-o', 'json']));
    const [web, sidecar] = d.spec.template.spec.containers;
    assert.equal(web.image, 'nginx:1.27');
    assert.deepEqual(web.env, [{ name: 'MODE', value: 'fast' }]);
    assert.deepEqual(web.ports, [{ containerPort: 80, protocol: 'TCP' }]);
    assert.equal(sidecar.name, 'sidecar');
    assert.deepEqual(sidecar.command, ['sleep', 'infinity']);
    assert.equal(d.metadata.generation, 2);
    // Defaults as a real cluster shows them.
    assert.equal(d.spec.strategy.type, 'RollingUpdate');
    assert.deepEqual(d.spec.strategy.rollingUpdate, { maxSurge: '25%', maxUnavailable: '25%' });
    assert.equal(d.spec.revisionHistoryLimit, 10);
    assert.equal(d.spec.progressDeadlineSeconds, 600);
    assert.equal(web.imagePullPolicy, 'IfNotPresent');
    assert.equal(web.terminationMessagePath, '/dev/termination-log');
    assert.equal(d.spec.template.spec.restartPolicy, 'Always');
    assert.equal(d.spec.template.spec.dnsPolicy, 'ClusterFirst');

    // Removing the env var again through apply removes it (last-applied three-way merge).
    ok(['apply', '-f', '-'], deployment('nginx:1.27'));
    const d2 = JSON.parse(ok(['get', 'deploy', 'web', '-n', 'apps', '-o', 'json']));
    assert.equal(d2.spec.template.spec.containers[0].env, undefined);

    const pod = YAML.parse(ok(['get', 'pod', 'solo', '-n', 'apps', '-o', 'yaml']));
    assert.equal(pod.spec.containers[0].imagePullPolicy, 'Always');
    assert.equal(pod.spec.schedulerName, 'default-scheduler');
    assert.equal(pod.spec.terminationGracePeriodSeconds, 30);
    assert.equal(pod.spec.enableServiceLinks, true);
    assert.equal(pod.spec.priority, 0);
    assert.equal(pod.status.phase, 'Pending');
    assert.equal(pod.status.qosClass, 'BestEffort');
    const tolerations = pod.spec.tolerations.map((t: any) => `${t.key}:${t.effect}:${t.tolerationSeconds}`).sort();
    assert.deepEqual(tolerations, ['node.kubernetes.io/not-ready:NoExecute:300', 'node.kubernetes.io/unreachable:NoExecute:300']);
  });

  test(`${backend}: get: wide, name, jsonpath, selectors, all namespaces, labels`, () => {
    ok(['create', 'namespace', 'sel']);
    for (const [name, tier] of [
      ['a', 'front'],
      ['b', 'back'],
      ['c', 'front'],
    ]) {
      ok(['run', name, '-n', 'sel', '--image=busybox:1.36', `--labels=tier=${tier},app=shop`, '--', 'sleep', '3600']);
    }
    assert.match(ok(['get', 'pods', '-n', 'sel']), /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\na\s+0\/1\s+Pending\s+0\s+\d+s\n/);
    assert.match(
      ok(['get', 'pods', '-n', 'sel', '-o', 'wide']),
      /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES\na\s+0\/1\s+Pending\s+0\s+\d+s\s+<none>\s+<none>\s+<none>\s+<none>\n/,
    );
    assert.equal(ok(['get', 'pods', '-n', 'sel', '-o', 'name']), 'pod/a\npod/b\npod/c\n');
    assert.equal(ok(['get', 'pods', '-n', 'sel', '-l', 'tier=front', '-o', 'jsonpath={.items[*].metadata.name}']), 'a c');
    assert.equal(ok(['get', 'pods', '-n', 'sel', '-l', 'tier in (back),app=shop', '-o', 'name']), 'pod/b\n');
    assert.equal(ok(['get', 'pods', '-n', 'sel', '--field-selector', 'metadata.name=c', '-o', 'name']), 'pod/c\n');
    assert.equal(ok(['get', 'pods', '-n', 'sel', '--field-selector', 'status.phase=Pending,metadata.name!=a', '-o', 'name']), 'pod/b\npod/c\n');
    const all = ok(['get', 'pods', '-A']);
    assert.match(all, /^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\n/);
    assert.match(all, /^sel\s+b\s+0\/1\s+Pending/m);
    assert.match(ok(['get', 'pod', 'a', '-n', 'sel', '--show-labels']), /LABELS\na\s+.*app=shop,tier=front\n/);
    const bad = k(['get', 'pods', '-n', 'sel', '--field-selector', 'spec.bogus=x']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /field label not supported: spec.bogus/);
  });

  test(`${backend}: get -w sees ADDED and MODIFIED`, async () => {
    ok(['create', 'namespace', 'watch']);
    ok(['create', 'configmap', 'w1', '-n', 'watch', '--from-literal=a=1']);
    const w = kubectlBackground(s, ['get', 'configmaps', '-n', 'watch', '-w', '--output-watch-events']);
    try {
      await eventually(() => w.stdout().includes('w1'), 'initial ADDED for w1');
      ok(['label', 'configmap', 'w1', '-n', 'watch', 'x=y']);
      ok(['create', 'configmap', 'w2', '-n', 'watch', '--from-literal=a=1']);
      await eventually(() => /MODIFIED\s+w1/.test(w.stdout()) && /ADDED\s+w2/.test(w.stdout()), `MODIFIED w1 and ADDED w2 in:\n${w.stdout()}`);
      // The namespace's kube-root-ca.crt (published as upstream does) is listed too.
      assert.match(w.stdout(), /^EVENT\s+NAME\s+DATA\s+AGE\n(ADDED\s+kube-root-ca\.crt\s+1\s+\d+s\n)?ADDED\s+w1\s+1\s+\d+s\n/);
    } finally {
      w.proc.kill();
    }
  });

  test(`${backend}: describe shows the object and its events`, () => {
    ok(['create', 'namespace', 'desc']);
    ok(['run', 'd1', '-n', 'desc', '--image=busybox:1.36', '--', 'sleep', '1']);
    const uid = JSON.parse(ok(['get', 'pod', 'd1', '-n', 'desc', '-o', 'json'])).metadata.uid;
    ok(
      ['create', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: 'd1.1', namespace: 'desc' },
        involvedObject: { kind: 'Pod', name: 'd1', namespace: 'desc', uid, apiVersion: 'v1' },
        reason: 'Scheduled',
        message: 'Successfully assigned desc/d1 to node-1',
        type: 'Normal',
        source: { component: 'default-scheduler' },
        firstTimestamp: new Date().toISOString().replace(/\.\d+Z/, 'Z'),
        lastTimestamp: new Date().toISOString().replace(/\.\d+Z/, 'Z'),
        count: 1,
      }),
    );
    const out = ok(['describe', 'pod', 'd1', '-n', 'desc']);
    assert.match(out, /^Name:\s+d1$/m);
    assert.match(out, /^Namespace:\s+desc$/m);
    assert.match(out, /^Status:\s+Pending$/m);
    assert.match(out, /Image:\s+busybox:1.36/);
    assert.match(out, /Events:\n\s+Type\s+Reason\s+Age\s+From\s+Message\n\s+----.*\n/);
    assert.match(out, /^\s+Normal\s+Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned desc\/d1 to node-1$/m);
    // The cluster has no nodes: the real scheduler says so, as upstream's does.
    assert.match(out, /^\s+Warning\s+FailedScheduling\s+\S+\s+default-scheduler\s+no nodes available to schedule pods$/m);
  });

  test(`${backend}: label, annotate, patch (strategic, merge, json), replace`, async () => {
    ok(['create', 'namespace', 'edit']);
    ok(['apply', '-f', '-'], deployment('nginx:1.25').replace('namespace: apps', 'namespace: edit'));
    assert.equal(ok(['label', 'deploy', 'web', '-n', 'edit', 'team=blue']).trim(), 'deployment.apps/web labeled');
    assert.equal(ok(['annotate', 'deploy', 'web', '-n', 'edit', 'note=hello']).trim(), 'deployment.apps/web annotated');
    assert.equal(
      ok([
        'patch',
        'deploy',
        'web',
        '-n',
        'edit',
        '--type',
        'strategic',
        '-p',
        '{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox:1.37"}]}}}}',
      ]).trim(),
      'deployment.apps/web patched',
    );
    assert.equal(ok(['patch', 'deploy', 'web', '-n', 'edit', '--type', 'merge', '-p', '{"spec":{"minReadySeconds":5}}']).trim(), 'deployment.apps/web patched');
    assert.equal(
      ok(['patch', 'deploy', 'web', '-n', 'edit', '--type', 'json', '-p', '[{"op":"replace","path":"/spec/replicas","value":4}]']).trim(),
      'deployment.apps/web patched',
    );
    const d = JSON.parse(ok(['get', 'deploy', 'web', '-n', 'edit', '-o', 'json']));
    assert.equal(d.metadata.labels.team, 'blue');
    assert.equal(d.metadata.annotations.note, 'hello');
    assert.deepEqual(
      d.spec.template.spec.containers.map((c: any) => `${c.name}=${c.image}`),
      ['web=nginx:1.25', 'sidecar=busybox:1.37'],
    );
    assert.equal(d.spec.minReadySeconds, 5);
    assert.equal(d.spec.replicas, 4);
    // kubectl says "(no change)" when the patched object equals what it read just before; the
    // Deployment's controller may still be writing its status in between, so ask until it settles.
    await eventually(
      () =>
        ok(['patch', 'deploy', 'web', '-n', 'edit', '--type', 'merge', '-p', '{"spec":{"minReadySeconds":5}}']).trim() ===
        'deployment.apps/web patched (no change)',
      'a patch that changes nothing reported as "(no change)"',
    );

    // replace is compare-and-swap on resourceVersion. (A ConfigMap: the deployment's status is
    // being written by its controller meanwhile, as on any cluster.)
    ok(['create', 'configmap', 'swap', '-n', 'edit', '--from-literal=v=1']);
    const cm = JSON.parse(ok(['get', 'configmap', 'swap', '-n', 'edit', '-o', 'json']));
    cm.data.v = '2';
    assert.equal(ok(['replace', '-f', '-'], JSON.stringify(cm)).trim(), 'configmap/swap replaced');
    const stale = k(['replace', '-f', '-'], JSON.stringify(cm));
    assert.equal(stale.code, 1);
    assert.match(
      stale.stderr,
      /Error from server \(Conflict\): error when replacing "STDIN": Operation cannot be fulfilled on configmaps "swap": the object has been modified; please apply your changes to the latest version and try again/,
    );
  });

  test(`${backend}: scale a deployment, apply --server-side, create configmap --from-literal`, () => {
    ok(['create', 'namespace', 'misc']);
    ok(['apply', '-f', '-'], deployment('nginx:1.25').replace('namespace: apps', 'namespace: misc'));
    assert.equal(ok(['scale', 'deploy', 'web', '-n', 'misc', '--replicas=5']).trim(), 'deployment.apps/web scaled');
    assert.equal(ok(['get', 'deploy', 'web', '-n', 'misc', '-o', 'jsonpath={.spec.replicas}']), '5');
    assert.equal(ok(['scale', 'deploy', 'web', '-n', 'misc', '--current-replicas=5', '--replicas=3']).trim(), 'deployment.apps/web scaled');
    assert.equal(ok(['get', 'deploy', 'web', '-n', 'misc', '-o', 'jsonpath={.spec.replicas}']), '3');

    const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa, namespace: misc}\ndata: {a: "1"}\n';
    assert.equal(ok(['apply', '--server-side', '-f', '-'], cm).trim(), 'configmap/ssa serverside-applied');
    assert.equal(ok(['apply', '--server-side', '-f', '-'], cm.replace('a: "1"', 'a: "2", b: "3"')).trim(), 'configmap/ssa serverside-applied');
    const got = JSON.parse(ok(['get', 'cm', 'ssa', '-n', 'misc', '-o', 'json', '--show-managed-fields']));
    assert.deepEqual(got.data, { a: '2', b: '3' });
    const entry = got.metadata.managedFields.find((m: any) => m.manager === 'kubectl');
    assert.equal(entry.operation, 'Apply');
    assert.deepEqual(entry.fieldsV1, { 'f:data': { 'f:a': {}, 'f:b': {} } });

    assert.equal(ok(['create', 'configmap', 'lit', '-n', 'misc', '--from-literal=k1=v1', '--from-literal=k2=v2']).trim(), 'configmap/lit created');
    assert.deepEqual(JSON.parse(ok(['get', 'cm', 'lit', '-n', 'misc', '-o', 'json'])).data, { k1: 'v1', k2: 'v2' });
    assert.match(ok(['get', 'cm', 'lit', '-n', 'misc']), /^NAME\s+DATA\s+AGE\nlit\s+2\s+\d+s\n$/);
  });

  test(`${backend}: delete --wait, and delete of an object held by a finalizer`, async () => {
    ok(['create', 'namespace', 'del']);
    ok(['create', 'configmap', 'plain', '-n', 'del', '--from-literal=a=b']);
    assert.equal(ok(['delete', 'configmap', 'plain', '-n', 'del', '--wait=true']).trim(), 'configmap "plain" deleted');
    ok(['apply', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: held, namespace: del, finalizers: [example.com/hold]}\ndata: {a: b}\n');
    const del = kubectlBackground(s, ['delete', 'configmap', 'held', '-n', 'del', '--wait=true', '--timeout=30s']);
    await eventually(async () => {
      const r = await api(s, 'GET', '/api/v1/namespaces/del/configmaps/held');
      return r.json?.metadata?.deletionTimestamp;
    }, 'deletionTimestamp set');
    // Still there while the finalizer holds it, and kubectl is still waiting.
    assert.equal(del.proc.exitCode, null);
    ok(['patch', 'configmap', 'held', '-n', 'del', '--type', 'json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]']);
    assert.equal(await del.done, 0);
    assert.match(del.stdout(), /configmap "held" deleted/);
    const gone = k(['get', 'cm', 'held', '-n', 'del']);
    assert.equal(gone.stderr.trim(), 'Error from server (NotFound): configmaps "held" not found');
  });

  test(`${backend}: error lines for a missing object and an invalid manifest`, () => {
    const missing = k(['get', 'pod', 'x', '-n', 'default']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr.trim(), 'Error from server (NotFound): pods "x" not found');
    const invalid = k(['apply', '-f', '-'], 'apiVersion: v1\nkind: Pod\nmetadata: {name: x, namespace: default}\nspec:\n  containers:\n  - name: c\n');
    assert.equal(invalid.code, 1);
    assert.match(invalid.stderr, /The Pod "x" is invalid: spec\.containers\[0\]\.image: Required value/);
    const unknownField = k(['apply', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: default}\nbogus: 1\n');
    assert.equal(unknownField.code, 1);
    assert.match(unknownField.stderr, /unknown field "bogus"/);
  });

  for (const version of ['1.27', '1.33']) {
    test(`${backend}: kubectl ${version} smoke: apply, get, patch, delete`, (t) => {
      if (!requireFile(t, kubectlPath(version), `kubectl ${version}`)) return;
      const kv = (args: string[], input?: string) => {
        const r = kubectl(s, args, { version, input });
        assert.equal(r.code, 0, `kubectl ${version} ${args.join(' ')}: ${r.stderr}`);
        return r.stdout;
      };
      const ns = `smoke-${version.replace('.', '-')}`;
      kv(['create', 'namespace', ns]);
      assert.equal(kv(['apply', '-f', '-'], deployment('nginx:1.25').replace('namespace: apps', `namespace: ${ns}`)), 'deployment.apps/web created\n');
      assert.match(kv(['get', 'deploy', '-n', ns]), /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\nweb\s+0\/2\s+[02]\s+0\s+\d+s\n$/);
      kv(['patch', 'deploy', 'web', '-n', ns, '-p', '{"spec":{"replicas":1}}']);
      assert.equal(kv(['get', 'deploy', 'web', '-n', ns, '-o', 'jsonpath={.spec.replicas}']), '1');
      kv(['delete', 'deploy', 'web', '-n', ns]);
      kv(['delete', 'namespace', ns]);
    });
  }
}
