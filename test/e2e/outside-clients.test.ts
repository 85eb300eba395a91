// Clients Berth doesn't ship, against a real Berth server: the Python client (python3-kubernetes)
// watching with `watch=True`; the watch-list protocol of newer client-go informers
// (sendInitialEvents) and upstream's ListOptions validation; JSON bodies ending with a newline;
// a Secret's stringData applied with kubectl; kubectl attach and port-forward to a pod no node runs refused with
// upstream's message.
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { request } from 'node:https';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, kubectl, skipIfMissing, startServer, type RunningServer } from './harness.js';

const PYTHON = '/usr/bin/python3';

/** python3 with the kubernetes package (see skipIfMissing). */
function requirePythonClient(t: TestContext): boolean {
  const r = spawnSync(PYTHON, ['-c', 'import kubernetes'], { encoding: 'utf8' });
  const why = `${PYTHON} with the kubernetes package is not installed (apt-get install python3-kubernetes): ${r.error?.message ?? r.stderr.trim()}`;
  return !skipIfMissing(r.status === 0 ? undefined : why, 'the Python client test', t);
}

interface WatchLine {
  type: string;
  object: { kind?: string; metadata: { name?: string; resourceVersion?: string; annotations?: Record<string, string> } };
}

/**
 * A watch read line by line; onLine runs for each event as it arrives. Resolves with every event
 * once the server ends the watch (timeoutSeconds).
 */
function watchEvents(
  s: RunningServer,
  path: string,
  onLine: (ev: WatchLine, all: WatchLine[]) => void = () => {},
): Promise<{ status: number; events: WatchLine[]; raw: string }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, s.url), { ca: s.caCert, headers: { Authorization: `Bearer ${s.token}` } }, (res) => {
      let raw = '';
      let pending = '';
      const events: WatchLine[] = [];
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        raw += d;
        pending += d;
        let nl;
        while ((nl = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, nl);
          pending = pending.slice(nl + 1);
          if (!line.trim()) continue;
          const ev = JSON.parse(line) as WatchLine;
          events.push(ev);
          if (res.statusCode === 200) onLine(ev, events);
        }
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, events, raw }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('outside clients', () => {
  let s: RunningServer;
  let dir: string;
  const k = (args: string[], input?: string) => kubectl(s, args, { input });
  const createCm = (ns: string, name: string) =>
    api(s, 'POST', `/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: name } });

  before(async () => {
    s = await startServer();
    dir = mkdtempSync(join(tmpdir(), 'berth-outside-'));
    for (const ns of ['py', 'wl', 'nl', 'sec']) assert.equal(k(['create', 'namespace', ns]).code, 0);
  });
  after(async () => {
    await s?.stop();
    s?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the Python client: Watch().stream() with watch=True gets the initial objects, then the changes after a resourceVersion', async (t) => {
    if (!requirePythonClient(t)) return;
    for (const name of ['one', 'two']) assert.equal((await createCm('py', name)).status, 201);
    const script = join(dir, 'watch.py');
    writeFileSync(
      script,
      [
        'import json, sys',
        'from kubernetes import client, config, watch',
        'config.load_kube_config(sys.argv[1])',
        'v1 = client.CoreV1Api()',
        'out = {}',
        "listed = v1.list_namespaced_config_map('py')",
        "out['list'] = sorted(i.metadata.name for i in listed.items)",
        'w = watch.Watch()',
        "out['initial'] = []",
        "for ev in w.stream(v1.list_namespaced_config_map, 'py', timeout_seconds=2):",
        "    out['initial'].append([ev['type'], ev['object'].metadata.name])",
        "v1.create_namespaced_config_map('py', client.V1ConfigMap(metadata=client.V1ObjectMeta(name='three')))",
        "v1.patch_namespaced_config_map('one', 'py', {'data': {'k': 'changed'}})",
        "out['after'] = []",
        "for ev in w.stream(v1.list_namespaced_config_map, 'py', resource_version=listed.metadata.resource_version, timeout_seconds=2):",
        "    out['after'].append([ev['type'], ev['object'].metadata.name, (ev['object'].data or {}).get('k')])",
        'print(json.dumps(out))',
      ].join('\n'),
    );
    const r = spawnSync(PYTHON, [script, s.kubeconfig], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { list: string[]; initial: string[][]; after: Array<[string, string, string | null]> };
    assert.deepEqual(out.list, ['kube-root-ca.crt', 'one', 'two']);
    assert.deepEqual(out.initial.sort(), [
      ['ADDED', 'kube-root-ca.crt'],
      ['ADDED', 'one'],
      ['ADDED', 'two'],
    ]);
    assert.deepEqual(out.after, [
      ['ADDED', 'three', null],
      ['MODIFIED', 'one', 'changed'],
    ]);
  });

  test('every JSON body ends with a newline: objects, lists, tables, errors, discovery', async () => {
    assert.equal((await createCm('nl', 'c')).status, 201);
    const cases: Array<[string, number, Record<string, string>?]> = [
      ['/api/v1/namespaces/nl/configmaps/c', 200],
      ['/api/v1/namespaces/nl/configmaps', 200],
      ['/api/v1/namespaces/nl/configmaps', 200, { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' }],
      ['/api/v1/namespaces/nl/configmaps/missing', 404],
      ['/api/v1/namespaces/nl/configmaps?labelSelector=a%3D%3D%3Db', 400],
      ['/api/v1', 200],
      ['/version', 200],
    ];
    for (const [path, status, headers] of cases) {
      const r = await api(s, 'GET', path, undefined, headers);
      assert.equal(r.status, status, `${path}: ${r.text}`);
      assert.ok(r.json, `${path}: JSON`);
      assert.ok(r.text.endsWith('}\n'), `${path} ends with a newline: ${JSON.stringify(r.text.slice(-20))}`);
      assert.equal(r.text.indexOf('\n'), r.text.length - 1, `${path}: one line`);
    }
    // Watch events: one JSON document per line, each line ended.
    const w = await watchEvents(s, '/api/v1/namespaces/nl/configmaps?watch=1&timeoutSeconds=1');
    assert.ok(w.events.length >= 2, w.raw);
    assert.ok(w.raw.endsWith('\n'));
    assert.equal(w.raw.split('\n').length - 1, w.events.length);
  });

  test('watch-list (sendInitialEvents): the state as ADDED, the initial-events-end bookmark, then changes', async () => {
    for (const name of ['a', 'b']) assert.equal((await createCm('wl', name)).status, 201);
    let created: Promise<unknown> | undefined;
    const w = await watchEvents(
      s,
      '/api/v1/namespaces/wl/configmaps?watch=True&sendInitialEvents=True&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=1&timeoutSeconds=2',
      (ev) => {
        if (ev.type === 'BOOKMARK' && ev.object.metadata.annotations?.['k8s.io/initial-events-end'] === 'true') created = createCm('wl', 'later');
      },
    );
    assert.equal(w.status, 200, w.raw);
    await created;
    const types = w.events.map((e) => `${e.type} ${e.object.metadata.name ?? ''}`.trim());
    assert.deepEqual(types.slice(0, 4).sort(), ['ADDED a', 'ADDED b', 'ADDED kube-root-ca.crt', 'BOOKMARK'].sort());
    const bookmark = w.events[3]!;
    assert.equal(bookmark.type, 'BOOKMARK', types.join(', '));
    assert.equal(bookmark.object.kind, 'ConfigMap');
    assert.deepEqual(bookmark.object.metadata.annotations, { 'k8s.io/initial-events-end': 'true' });
    const bookmarkRv = Number(bookmark.object.metadata.resourceVersion);
    for (const e of w.events.slice(0, 3))
      assert.ok(Number(e.object.metadata.resourceVersion) <= bookmarkRv, 'the bookmark is at the state the initial events show');
    const later = w.events.find((e) => e.object.metadata.name === 'later');
    assert.equal(later?.type, 'ADDED', types.join(', '));
    assert.ok(Number(later!.object.metadata.resourceVersion) > bookmarkRv);

    // sendInitialEvents=false: no initial events, only what changes from now on.
    let added: Promise<unknown> | undefined;
    const quiet = watchEvents(s, '/api/v1/namespaces/wl/configmaps?watch=1&sendInitialEvents=false&resourceVersionMatch=NotOlderThan&timeoutSeconds=2');
    await new Promise((r) => setTimeout(r, 500));
    added = createCm('wl', 'after-quiet');
    const q = await quiet;
    await added;
    assert.deepEqual(
      q.events.map((e) => `${e.type} ${e.object.metadata.name}`),
      ['ADDED after-quiet'],
    );
  });

  test('list options that do not go together are a 422 Invalid ListOptions, as upstream', async () => {
    const cases: Array<[string, string]> = [
      [
        'watch=1&sendInitialEvents=true&allowWatchBookmarks=true',
        'resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan',
      ],
      [
        'watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan',
        'allowWatchBookmarks: Forbidden: allowWatchBookmarks required when sendInitialEvents is true',
      ],
      [
        'watch=1&resourceVersionMatch=NotOlderThan&resourceVersion=1',
        'resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided',
      ],
      ['sendInitialEvents=true', 'sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list'],
      ['resourceVersionMatch=NotOlderThan', 'resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided'],
    ];
    for (const [query, message] of cases) {
      const r = await api(s, 'GET', `/api/v1/namespaces/wl/configmaps?${query}`);
      assert.equal(r.status, 422, `${query}: ${r.text}`);
      assert.equal(r.json.reason, 'Invalid');
      assert.equal(r.json.message, `ListOptions.meta.k8s.io "" is invalid: ${message}`);
    }
    // watch=false (any case) or 0 is a list; watch= (empty) is a watch.
    for (const v of ['false', 'FALSE', '0']) assert.equal((await api(s, 'GET', `/api/v1/namespaces/wl/configmaps?watch=${v}`)).json.kind, 'ConfigMapList', v);
    const empty = await watchEvents(s, '/api/v1/namespaces/wl/configmaps?watch=&timeoutSeconds=1');
    assert.ok(empty.events.length > 0 && empty.events.every((e) => e.type === 'ADDED'), empty.raw);
  });

  test('kubectl apply of a Secret with stringData stores it in data (over the same key in data) and keeps no stringData', () => {
    const manifest = (password: string) =>
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'creds', namespace: 'sec' },
        data: { user: Buffer.from('admin').toString('base64'), password: Buffer.from('from-data').toString('base64') },
        stringData: { password, 'config.yaml': 'a: 1\n' },
      });
    const applied = k(['apply', '-f', '-'], manifest('s3cr3t'));
    assert.equal(applied.code, 0, applied.stderr);
    const get = () =>
      JSON.parse(k(['get', 'secret', 'creds', '-n', 'sec', '-o', 'json']).stdout) as { data: Record<string, string>; stringData?: unknown; type: string };
    const decoded = (d: Record<string, string>) => Object.fromEntries(Object.entries(d).map(([key, v]) => [key, Buffer.from(v, 'base64').toString('utf8')]));
    let secret = get();
    assert.equal(secret.stringData, undefined);
    assert.equal(secret.type, 'Opaque');
    assert.deepEqual(decoded(secret.data), { user: 'admin', password: 's3cr3t', 'config.yaml': 'a: 1\n' });
    // A second apply with a new value changes it.
    const again = k(['apply', '-f', '-'], manifest('rotated'));
    assert.equal(again.code, 0, again.stderr);
    secret = get();
    assert.deepEqual(decoded(secret.data), { user: 'admin', password: 'rotated', 'config.yaml': 'a: 1\n' });
    assert.equal(k(['get', 'secret', 'creds', '-n', 'sec', '-o', 'jsonpath={.data.password}']).stdout, Buffer.from('rotated').toString('base64'));
  });

  test("kubectl attach and port-forward to a pod no node runs fail with upstream's message", () => {
    assert.equal(k(['run', 'idle', '--image=busybox', '--restart=Never', '--', 'sleep', '1']).code, 0);
    // Running, as far as kubectl can tell (there is no node here to run it).
    const patched = k(['patch', 'pod', 'idle', '--subresource=status', '--type=merge', '-p', '{"status":{"phase":"Running"}}']);
    assert.equal(patched.code, 0, patched.stderr);
    const pf = kubectl(s, ['port-forward', 'pod/idle', '0:80'], { timeoutMs: 20_000 });
    assert.notEqual(pf.code, 0);
    assert.match(pf.stderr, /pod idle does not have a host assigned/);
    const attach = kubectl(s, ['attach', 'idle'], { timeoutMs: 20_000 });
    assert.notEqual(attach.code, 0);
    assert.match(attach.stderr, /pod idle does not have a host assigned/);
  });
});
