// RBAC as kubectl 1.32 meets it: who am I, what may a user do under each default role (through
// --as / --as-group impersonation), upstream's 403 text, escalation refused, roleRef immutable,
// ClusterRole aggregation, and the default policy reconciled across a restart unless an admin
// pinned a role with autoupdate=false.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, eventually, kubectl, kubectlOk, startServer, type RunningServer } from './harness.js';

const canI = (s: RunningServer, args: string[]) => {
  const r = kubectl(s, ['auth', 'can-i', ...args]);
  assert.ok(r.code === 0 || r.code === 1, `kubectl auth can-i ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
};

test('rbac: whoami, default roles through --as, can-i --list, 403 text, escalation, roleRef, aggregation', async () => {
  const s = await startServer();
  try {
    assert.match(kubectlOk(s, ['auth', 'whoami']), /Username\s+system:admin\nGroups\s+\[system:masters system:authenticated\]/);
    assert.match(kubectlOk(s, ['auth', 'whoami', '--as', 'u', '--as-group', 'g']), /Username\s+u\nGroups\s+\[g system:authenticated\]/);

    kubectlOk(s, ['create', 'namespace', 'team']);
    kubectlOk(s, ['create', 'namespace', 'elsewhere']);
    kubectlOk(s, ['create', 'rolebinding', 'viewers', '--clusterrole=view', '--user=viewer', '-n', 'team']);
    kubectlOk(s, ['create', 'rolebinding', 'editors', '--clusterrole=edit', '--group=editors', '-n', 'team']);
    kubectlOk(s, ['create', 'rolebinding', 'admins', '--clusterrole=admin', '--user=adm', '-n', 'team']);
    assert.match(
      kubectlOk(s, ['get', 'rolebinding', 'editors', '-n', 'team', '-o', 'wide']),
      /^NAME\s+ROLE\s+AGE\s+USERS\s+GROUPS\s+SERVICEACCOUNTS\neditors\s+ClusterRole\/edit\s+\S+\s+editors\s*\n$/,
    );

    // admin, edit and view get their rules from the controller manager's aggregation, as
    // upstream's: a moment after the server is ready (in a process of its own on 2+ cores).
    for (const role of ['view', 'edit', 'admin']) {
      await eventually(
        async () => ((await api(s, 'GET', `/apis/rbac.authorization.k8s.io/v1/clusterroles/${role}`)).json.rules ?? []).length > 0,
        `the ${role} ClusterRole aggregated`,
      );
    }
    const expectations: Array<[string[], string, string]> = [
      [['--as', 'viewer'], 'list pods', 'yes'],
      [['--as', 'viewer'], 'get pods --subresource=log', 'yes'],
      [['--as', 'viewer'], 'create pods', 'no'],
      [['--as', 'viewer'], 'get secrets', 'no'],
      [['--as', 'viewer'], 'create pods --subresource=exec', 'no'],
      [['--as', 'someone', '--as-group', 'editors'], 'create deployments.apps', 'yes'],
      [['--as', 'someone', '--as-group', 'editors'], 'get secrets', 'yes'],
      [['--as', 'someone', '--as-group', 'editors'], 'create pods --subresource=exec', 'yes'],
      [['--as', 'someone', '--as-group', 'editors'], 'create rolebindings.rbac.authorization.k8s.io', 'no'],
      [['--as', 'adm'], 'create rolebindings.rbac.authorization.k8s.io', 'yes'],
      [['--as', 'adm'], 'create localsubjectaccessreviews.authorization.k8s.io', 'yes'],
      [['--as', 'adm'], 'delete nodes', 'no'],
    ];
    for (const [who, what, want] of expectations) {
      assert.equal(canI(s, [...what.split(' '), '-n', 'team', ...who]), want, `${who.join(' ')} can-i ${what} in team`);
    }
    assert.equal(canI(s, ['list', 'pods', '-n', 'elsewhere', '--as', 'viewer']), 'no', 'a RoleBinding grants in its namespace only');
    assert.equal(canI(s, ['list', 'pods', '-n', 'elsewhere', '--as', 'someone', '--as-group', 'system:masters']), 'yes');

    const list = kubectlOk(s, ['auth', 'can-i', '--list', '-n', 'team', '--as', 'viewer']);
    assert.match(list, /^pods\s+\[\]\s+\[\]\s+\[get list watch\]$/m);
    assert.match(list, /^selfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]$/m);
    assert.match(list, /^\s+\[\/api\/\*\]\s+\[\]\s+\[get\]$/m, 'system:discovery URLs');
    assert.doesNotMatch(list, /^secrets\s/m);

    const denied = kubectl(s, ['get', 'secrets', '-n', 'team', '--as', 'viewer']);
    assert.equal(denied.code, 1);
    assert.equal(
      denied.stderr.trim(),
      'Error from server (Forbidden): secrets is forbidden: User "viewer" cannot list resource "secrets" in API group "" in the namespace "team"',
    );
    const node = kubectl(s, ['get', 'node', 'n1', '--as', 'viewer']);
    assert.equal(
      node.stderr.trim(),
      'Error from server (Forbidden): nodes "n1" is forbidden: User "viewer" cannot get resource "nodes" in API group "" at the cluster scope',
    );

    // Anonymous: health and version, nothing else.
    assert.equal((await api(s, 'GET', '/version', undefined, { Authorization: '' })).status, 200);
    const anon = await api(s, 'GET', '/api/v1/namespaces/team/pods', undefined, { Authorization: '' });
    assert.equal(anon.status, 403);
    assert.equal(anon.json.message, 'pods is forbidden: User "system:anonymous" cannot list resource "pods" in API group "" in the namespace "team"');

    // Escalation: adm administers team but holds nothing cluster-wide.
    const boom = kubectl(s, ['create', 'rolebinding', 'boom', '--clusterrole=cluster-admin', '--user=adm', '-n', 'team', '--as', 'adm']);
    assert.equal(boom.code, 1);
    assert.match(
      boom.stderr,
      /rolebindings\.rbac\.authorization\.k8s\.io "boom" is forbidden: user "adm" \(groups=\["system:authenticated"\]\) is attempting to grant RBAC permissions not currently held:\n\{APIGroups:\["\*"\], Resources:\["\*"\], Verbs:\["\*"\]\}/,
    );
    const nodesRole = kubectl(s, ['create', 'role', 'nodes', '--verb=get', '--resource=nodes', '-n', 'team', '--as', 'adm']);
    assert.equal(nodesRole.code, 1);
    assert.match(
      nodesRole.stderr,
      /roles\.rbac\.authorization\.k8s\.io "nodes" is forbidden: user "adm" .* not currently held:\n\{APIGroups:\[""\], Resources:\["nodes"\], Verbs:\["get"\]\}/,
    );
    kubectlOk(s, ['create', 'role', 'pod-reader', '--verb=get,list', '--resource=pods', '-n', 'team', '--as', 'adm']);
    kubectlOk(s, ['create', 'rolebinding', 'readers', '--role=pod-reader', '--user=reader', '-n', 'team', '--as', 'adm']);
    assert.equal(canI(s, ['list', 'pods', '-n', 'team', '--as', 'reader']), 'yes');
    // An editor may not grant view through a binding (edit has no rolebindings).
    assert.equal(kubectl(s, ['create', 'rolebinding', 'x', '--clusterrole=view', '--user=z', '-n', 'team', '--as', 'e', '--as-group', 'editors']).code, 1);

    // roleRef is immutable.
    const patched = kubectl(s, ['patch', 'rolebinding', 'viewers', '-n', 'team', '--type', 'merge', '-p', '{"roleRef":{"name":"edit"}}']);
    assert.equal(patched.code, 1);
    assert.match(
      patched.stderr,
      /The RoleBinding "viewers" is invalid: roleRef: Invalid value: rbac\.RoleRef\{APIGroup:"rbac\.authorization\.k8s\.io", Kind:"ClusterRole", Name:"edit"\}: cannot change roleRef/,
    );

    // Aggregation: a ClusterRole labelled aggregate-to-view shows up in view, edit and admin.
    kubectlOk(s, ['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'crontab-viewer', labels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } },
        rules: [{ apiGroups: ['stable.example.com'], resources: ['crontabs'], verbs: ['get', 'list', 'watch'] }],
      }),
    });
    for (const role of ['view', 'edit', 'admin']) {
      await eventually(() => kubectlOk(s, ['get', 'clusterrole', role, '-o', 'json']).includes('"crontabs"'), `crontabs in ${role}`);
    }
    // kubectl cannot name a group the server does not serve: ask with a SubjectAccessReview.
    const sar = (user: string) => ({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: { user, resourceAttributes: { namespace: 'team', verb: 'list', group: 'stable.example.com', resource: 'crontabs' } },
    });
    const review = await api(s, 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', sar('viewer'));
    assert.equal(review.status, 201);
    assert.equal(review.json.status.allowed, true);
    assert.equal((await api(s, 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', sar('nobody'))).json.status.allowed, false);
    const bad = await api(s, 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: { user: 'u' },
    });
    assert.equal(bad.status, 422);
    assert.equal(
      bad.json.message,
      'SubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
    );
    kubectlOk(s, ['delete', 'clusterrole', 'crontab-viewer']);
    await eventually(() => !kubectlOk(s, ['get', 'clusterrole', 'view', '-o', 'json']).includes('"crontabs"'), 'crontabs gone from view');
    assert.equal(await s.stop(), 0);
  } finally {
    s.cleanup();
  }
});

test('rbac: the default policy is reconciled at start, except roles pinned with autoupdate=false', async () => {
  const first = await startServer();
  try {
    const rules = (srv: RunningServer, name: string) => JSON.parse(kubectlOk(srv, ['get', 'clusterrole', name, '-o', 'json'])).rules;
    const trimmed = '[{"op":"replace","path":"/rules","value":[{"nonResourceURLs":["/version"],"verbs":["get"]}]}]';
    kubectlOk(first, ['annotate', 'clusterrole', 'system:discovery', 'rbac.authorization.kubernetes.io/autoupdate=false', '--overwrite']);
    kubectlOk(first, ['patch', 'clusterrole', 'system:discovery', '--type', 'json', '-p', trimmed]);
    kubectlOk(first, ['patch', 'clusterrole', 'system:public-info-viewer', '--type', 'json', '-p', trimmed]);
    kubectlOk(first, ['delete', 'clusterrolebinding', 'system:basic-user']);
    assert.equal(await first.stop(), 0);
    const second = await startServer({ dataDir: first.dataDir });
    try {
      assert.deepEqual(rules(second, 'system:discovery'), [{ nonResourceURLs: ['/version'], verbs: ['get'] }], 'pinned: left as the admin made it');
      const restored = rules(second, 'system:public-info-viewer');
      assert.equal(restored.length, 2, "the missing rule is back, the admin's own kept");
      assert.deepEqual(restored[1].nonResourceURLs, ['/healthz', '/livez', '/readyz', '/version', '/version/']);
      assert.match(
        kubectlOk(second, ['get', 'clusterrolebinding', 'system:basic-user', '-o', 'wide']),
        /ClusterRole\/system:basic-user\s+\S+\s+system:authenticated/,
      );
      assert.equal(await second.stop(), 0);
    } finally {
      second.cleanup();
    }
  } finally {
    first.cleanup();
  }
});
