// Node identities under the Node authorizer and NodeRestriction (issue #15), with the real kubectl
// against `berth server`: certificates the test makes (CN=system:node:NAME, O=system:nodes,
// signed by the cluster CA) for two nodes, n1 and n2, and a pod bound to n1 that uses Secret
// `mine`. n1 reads `mine` but not `other` (upstream's 403 word for word), n2 reads neither; n1
// cannot patch n2's Node, cannot label itself under node-restriction.kubernetes.io/, cannot
// create a pod bound to n2 (nor any pod but a mirror pod of its own), updates its own pod's
// status but not n2's, writes only its own CSINode; and once the pod is gone, n1 no longer
// reads `mine`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { issueNodeClientCertificate, readCaFiles } from '../../src/apiserver/pki.js';
import { eventually, kubectl, kubectlOk, startServer, type RunningServer } from './harness.js';

describe('node identities: the Node authorizer and NodeRestriction', () => {
  let server: RunningServer;
  const tmp = mkdtempSync(join(tmpdir(), 'berth-nodeauthz-'));
  const as: Record<string, RunningServer> = {};
  const identities: Record<string, { cert: string; key: string }> = {};

  /**
   * One request as node `name`, straight to the API: kubectl reads an object before some writes
   * (a label, a status patch), which a node may not do for another node's objects, so the write
   * itself would never be tried.
   */
  function apiAs(name: string, method: string, path: string, body: unknown): Promise<{ code: number; status: { message?: string } }> {
    const data = JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        new URL(path, server.url),
        {
          method,
          ca: server.caCert,
          ...identities[name],
          headers: { 'Content-Type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json', 'Content-Length': Buffer.byteLength(data) },
          timeout: 20_000,
        },
        (res) => {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve({ code: res.statusCode ?? 0, status: JSON.parse(text || '{}') }));
        },
      );
      req.on('error', reject);
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within 20 s`)));
      req.end(data);
    });
  }

  /** A kubeconfig for node `name` with a client certificate of the cluster CA. */
  async function nodeServer(name: string): Promise<RunningServer> {
    const { cert, key } = await issueNodeClientCertificate(readCaFiles(server.dataDir), name);
    identities[name] = { cert, key };
    const path = join(tmp, `${name}.kubeconfig`);
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    writeFileSync(
      path,
      YAML.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: { server: server.url, 'certificate-authority-data': b64(server.caCert) } }],
        users: [{ name, user: { 'client-certificate-data': b64(cert), 'client-key-data': b64(key) } }],
        contexts: [{ name: 'c', context: { cluster: 'c', user: name } }],
        'current-context': 'c',
      }),
      { mode: 0o600 },
    );
    return { ...server, kubeconfig: path };
  }

  const node = (name: string) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } } });
  const pod = (name: string, nodeName: string, extra: Record<string, unknown> = {}) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { nodeName, containers: [{ name: 'c', image: 'busybox' }], ...extra },
  });

  before(async () => {
    server = await startServer();
    const objects = [
      node('n1'),
      node('n2'),
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'mine', namespace: 'default' }, stringData: { k: 'v' } },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'other', namespace: 'default' }, stringData: { k: 'v' } },
      pod('web', 'n1', { volumes: [{ name: 's', secret: { secretName: 'mine' } }] }),
      pod('elsewhere', 'n2'),
    ];
    kubectlOk(server, ['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }) });
    as.n1 = await nodeServer('n1');
    as.n2 = await nodeServer('n2');
  });

  after(async () => {
    await server?.stop();
    server?.cleanup();
    rmSync(tmp, { recursive: true, force: true });
  });

  test('who: kubectl auth whoami says system:node:n1 in system:nodes', () => {
    const out = kubectlOk(as.n1!, ['auth', 'whoami', '-o', 'json']);
    const info = JSON.parse(out).status.userInfo;
    assert.equal(info.username, 'system:node:n1');
    assert.ok(info.groups.includes('system:nodes'), out);
  });

  test('a node gets the Secret its pod uses, not another one; another node gets neither', () => {
    assert.match(kubectlOk(as.n1!, ['get', 'secret', 'mine', '-o', 'name']), /secret\/mine/);
    const other = kubectl(as.n1!, ['get', 'secret', 'other']);
    assert.notEqual(other.code, 0);
    assert.equal(
      other.stderr.trim(),
      `Error from server (Forbidden): secrets "other" is forbidden: User "system:node:n1" cannot get resource "secrets" in API group "" in the namespace "default": no relationship found between node 'n1' and this object`,
    );
    const n2 = kubectl(as.n2!, ['get', 'secret', 'mine']);
    assert.notEqual(n2.code, 0);
    assert.match(n2.stderr, /no relationship found between node 'n2' and this object/);
    // A list of every secret is no read of one the node uses.
    const list = kubectl(as.n1!, ['get', 'secrets']);
    assert.notEqual(list.code, 0);
    assert.match(list.stderr, /Forbidden/);
  });

  test("a node lists and watches by name the Secret its pod uses (the agent's per-object watch), not another one", () => {
    assert.equal(kubectlOk(as.n1!, ['get', 'secrets', '--field-selector', 'metadata.name=mine', '-o', 'name']).trim(), 'secret/mine');
    const watch = kubectlOk(as.n1!, ['get', '--raw', '/api/v1/namespaces/default/secrets?fieldSelector=metadata.name%3Dmine&watch=true&timeoutSeconds=1']);
    const first = JSON.parse(watch.trim().split('\n')[0]!);
    assert.equal(first.type, 'ADDED');
    assert.equal(first.object.metadata.name, 'mine');
    for (const args of [
      ['get', 'secrets', '--field-selector', 'metadata.name=other'],
      ['get', '--raw', '/api/v1/namespaces/default/secrets?fieldSelector=metadata.name%3Dother&watch=true&timeoutSeconds=1'],
    ]) {
      const r = kubectl(as.n1!, args);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /Forbidden|forbidden/);
    }
  });

  test('pods: a node reads its own pods by spec.nodeName, not all pods nor another node’s', () => {
    assert.match(kubectlOk(as.n1!, ['get', 'pods', '--field-selector', 'spec.nodeName=n1', '-o', 'name']), /^pod\/web$/m);
    assert.match(kubectlOk(as.n1!, ['get', 'pod', 'web', '-o', 'name']), /pod\/web/);
    const all = kubectl(as.n1!, ['get', 'pods']);
    assert.notEqual(all.code, 0);
    assert.match(all.stderr, /can only list\/watch pods with spec.nodeName field selector/);
    const theirs = kubectl(as.n1!, ['get', 'pod', 'elsewhere']);
    assert.notEqual(theirs.code, 0);
    assert.match(theirs.stderr, /no relationship found between node 'n1' and this object/);
  });

  test('a node cannot patch another Node, nor set node-restriction.kubernetes.io/ labels on itself', async () => {
    const labels = (l: Record<string, string>) => ({ metadata: { labels: l } });
    const other = await apiAs('n1', 'PATCH', '/api/v1/nodes/n2', labels({ 'example.com/x': 'y' }));
    assert.equal(other.code, 403);
    assert.equal(other.status.message, `nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"`);
    // kubectl reads the node first: n2's Node is not n1's to read either.
    const kubectlOther = kubectl(as.n1!, ['label', 'node', 'n2', 'example.com/x=y']);
    assert.notEqual(kubectlOther.code, 0);
    assert.match(kubectlOther.stderr, /node 'n1' cannot read 'n2', only its own Node object/);
    const restricted = kubectl(as.n1!, ['label', 'node', 'n1', 'node-restriction.kubernetes.io/x=y']);
    assert.notEqual(restricted.code, 0);
    assert.equal(
      restricted.stderr.trim(),
      `Error from server (Forbidden): nodes "n1" is forbidden: is not allowed to modify labels: node-restriction.kubernetes.io/x`,
    );
    const role = kubectl(as.n1!, ['label', 'node', 'n1', 'node-role.kubernetes.io/worker=']);
    assert.notEqual(role.code, 0);
    assert.match(role.stderr, /is not allowed to modify labels: node-role.kubernetes.io\/worker/);
    // Its own Node, with a label of no restricted domain: allowed.
    kubectlOk(as.n1!, ['label', 'node', 'n1', 'example.com/rack=r1']);
    assert.equal(kubectlOk(server, ['get', 'node', 'n1', '-o', 'jsonpath={.metadata.labels.example\\.com/rack}']), 'r1');
    assert.equal(kubectlOk(server, ['get', 'node', 'n2', '-o', 'jsonpath={.metadata.labels.example\\.com/x}']), '');
    // No taint changes on itself.
    const taint = kubectl(as.n1!, ['taint', 'node', 'n1', 'k=v:NoSchedule']);
    assert.notEqual(taint.code, 0);
    assert.match(taint.stderr, /node "n1" is not allowed to modify taints/);
  });

  test('a node creates only mirror pods bound to itself, and deletes or evicts only its own pods', async () => {
    const uid = kubectlOk(server, ['get', 'node', 'n1', '-o', 'jsonpath={.metadata.uid}']);
    const mirror = (name: string, nodeName: string) => ({
      ...pod(name, nodeName),
      metadata: {
        name,
        namespace: 'default',
        annotations: { 'kubernetes.io/config.mirror': 'abc' },
        ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid, controller: true }],
      },
    });
    const elsewhere = kubectl(as.n1!, ['create', '-f', '-'], { input: JSON.stringify(mirror('static-n2', 'n2')) });
    assert.notEqual(elsewhere.code, 0);
    assert.match(elsewhere.stderr, /pods "static-n2" is forbidden: node "n1" can only create pods with spec.nodeName set to itself/);
    const plain = kubectl(as.n1!, ['create', '-f', '-'], { input: JSON.stringify(pod('plain', 'n1')) });
    assert.notEqual(plain.code, 0);
    assert.match(plain.stderr, /pod does not have "kubernetes.io\/config.mirror" annotation, node "n1" can only create mirror pods/);
    kubectlOk(as.n1!, ['create', '-f', '-'], { input: JSON.stringify(mirror('static-n1', 'n1')) });
    assert.equal(kubectlOk(server, ['get', 'pod', 'static-n1', '-o', 'jsonpath={.spec.nodeName}']), 'n1');
    // It may delete its own pod, not another node's.
    const theirs = kubectl(as.n1!, ['delete', 'pod', 'elsewhere', '--wait=false']);
    assert.notEqual(theirs.code, 0);
    assert.match(theirs.stderr, /node "n1" can only delete pods with spec.nodeName set to itself/);
    kubectlOk(as.n1!, ['delete', 'pod', 'static-n1', '--grace-period=0', '--force']);
    // Nor evict another node's pod.
    const evict = await apiAs('n1', 'POST', '/api/v1/namespaces/default/pods/elsewhere/eviction', {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: 'elsewhere', namespace: 'default' },
    });
    assert.equal(evict.code, 403);
    assert.equal(evict.status.message, 'pods "elsewhere" is forbidden: node n1 can only evict pods with spec.nodeName set to itself');
    assert.equal(kubectl(server, ['get', 'pod', 'elsewhere', '-o', 'name']).code, 0);
  });

  test("a node updates its own pods' status, not another node's pods'", async () => {
    const patch = { status: { conditions: [{ type: 'example.com/Checked', status: 'True' }] } };
    const mine = await apiAs('n1', 'PATCH', '/api/v1/namespaces/default/pods/web/status', patch);
    assert.equal(mine.code, 200, mine.status.message);
    assert.equal(kubectlOk(server, ['get', 'pod', 'web', '-o', 'jsonpath={.status.conditions[?(@.type=="example.com/Checked")].status}']), 'True');
    const theirs = await apiAs('n1', 'PATCH', '/api/v1/namespaces/default/pods/elsewhere/status', patch);
    assert.equal(theirs.code, 403);
    assert.equal(theirs.status.message, `pods "elsewhere" is forbidden: node "n1" can only update pod status for pods with spec.nodeName set to itself`);
    // Nor its own pod's labels through status.
    const relabel = await apiAs('n1', 'PATCH', '/api/v1/namespaces/default/pods/web/status', { metadata: { labels: { a: 'b' } } });
    assert.equal(relabel.code, 403);
    assert.match(relabel.status.message ?? '', /node "n1" cannot update labels through pod status/);
  });

  test('leases: its own in kube-node-lease only', () => {
    const lease = (name: string) =>
      JSON.stringify({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace: 'kube-node-lease' }, spec: { holderIdentity: name } });
    kubectlOk(as.n1!, ['create', '-f', '-'], { input: lease('n1') });
    const other = kubectl(as.n1!, ['create', '-f', '-'], { input: lease('n2') });
    assert.notEqual(other.code, 0);
    assert.match(other.stderr, /can only access node lease with the same name as the requesting node/);
  });

  test('csinodes: a node creates, reads and patches its own CSINode only; it reads CSIDrivers', async () => {
    const csiNode = (name: string) =>
      JSON.stringify({
        apiVersion: 'storage.k8s.io/v1',
        kind: 'CSINode',
        metadata: { name },
        spec: { drivers: [{ name: 'disk.csi.example.com', nodeID: `${name}-id`, allocatable: { count: 4 } }] },
      });
    kubectlOk(as.n1!, ['create', '-f', '-'], { input: csiNode('n1') });
    kubectlOk(as.n1!, ['patch', 'csinode', 'n1', '--type=json', '-p', '[{"op":"replace","path":"/spec/drivers/0/allocatable/count","value":8}]']);
    assert.equal(kubectlOk(as.n1!, ['get', 'csinode', 'n1', '-o', 'jsonpath={.spec.drivers[0].allocatable.count}']), '8');
    const create = kubectl(as.n1!, ['create', '-f', '-'], { input: csiNode('n2') });
    assert.notEqual(create.code, 0);
    assert.equal(
      create.stderr.trim(),
      'Error from server (Forbidden): error when creating "STDIN": csinodes.storage.k8s.io "n2" is forbidden: can only access CSINode with the same name as the requesting node',
    );
    kubectlOk(server, ['create', '-f', '-'], { input: csiNode('n2') });
    const read = kubectl(as.n1!, ['get', 'csinode', 'n2']);
    assert.notEqual(read.code, 0);
    assert.match(read.stderr, /cannot get resource "csinodes" in API group "storage.k8s.io" at the cluster scope: can only access CSINode with the same name/);
    const del = await apiAs('n1', 'DELETE', '/apis/storage.k8s.io/v1/csinodes/n2', {});
    assert.equal(del.code, 403);
    assert.equal(kubectlOk(as.n1!, ['auth', 'can-i', 'list', 'csidrivers.storage.k8s.io']).trim(), 'yes');
  });

  test('no default binding gives nodes system:node any more', () => {
    const stopgap = kubectl(server, ['get', 'clusterrolebinding', 'berth:system:nodes']);
    assert.notEqual(stopgap.code, 0);
    assert.match(stopgap.stderr, /NotFound/);
    assert.doesNotMatch(kubectlOk(server, ['get', 'clusterrolebinding', 'system:node', '-o', 'jsonpath={.subjects}']), /system:nodes/);
    // Access reviews ask the same chain: can-i as the node agrees with what it gets.
    const canI = (what: string) =>
      kubectl(server, ['auth', 'can-i', 'get', what, '--as', 'system:node:n1', '--as-group', 'system:nodes', '-n', 'default']).stdout.trim();
    assert.equal(canI('secret/mine'), 'yes');
    assert.equal(canI('secret/other'), "no - no relationship found between node 'n1' and this object");
  });

  test("the graph follows the pods: once the pod is gone, its node no longer reads the pod's Secret", async () => {
    kubectlOk(server, ['delete', 'pod', 'web', '--grace-period=0', '--force']);
    await eventually(() => {
      const r = kubectl(as.n1!, ['get', 'secret', 'mine']);
      if (r.code === 0) throw new Error(`still readable (${kubectl(server, ['get', 'pods', '-o', 'name']).stdout.trim()})`);
      assert.match(r.stderr, /no relationship found between node 'n1' and this object/);
      return true;
    }, 'n1 losing secret/mine');
  });
});
