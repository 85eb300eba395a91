import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Container, Pod } from 'kubernetes-types/core/v1';
import type { Runtime } from '../runtime/index.js';
import { graceAfterPreStop, httpHookRequest, killGracePeriod, killMessage, resolveHookPort, runHook, runPreStopHook } from './lifecycle.js';

const c: Container = {
  name: 'app',
  image: 'x',
  ports: [
    { name: 'http', containerPort: 8080 },
    { name: 'admin', containerPort: 9090 },
  ],
};
const pod = (over: Partial<Pod> = {}): Pod => ({
  metadata: { name: 'p', namespace: 'ns', uid: 'u1', ...over.metadata },
  spec: { containers: [c], ...over.spec },
});
// httpGet and sleep hooks never reach the runtime; a call would fail the test loudly.
const noRuntime = new Proxy({}, { get: () => () => Promise.reject(new Error('runtime used')) }) as Runtime;

test('hook ports: numbers, numeric strings, named ports of the container; invalid ones refused', () => {
  assert.equal(resolveHookPort(80, c), 80);
  assert.equal(resolveHookPort('8081', c), 8081);
  assert.equal(resolveHookPort('admin', c), 9090);
  assert.throws(() => resolveHookPort('nope', c), /couldn't find port: nope/);
  assert.throws(() => resolveHookPort(0, c), /invalid port number: 0/);
  assert.throws(() => resolveHookPort(70000, c), /invalid port number/);
});

test('an httpGet hook goes to the pod IP unless it names a host; scheme, path, headers as upstream', () => {
  const r = httpHookRequest({ port: 'http', path: '/hook?x=1' }, c, '10.1.2.3');
  assert.equal(r.url, 'http://10.1.2.3:8080/hook?x=1');
  assert.deepEqual(r.headers, { 'User-Agent': 'kube-lifecycle/1.32', Accept: '*/*' });
  const s = httpHookRequest(
    {
      port: 443,
      host: 'example.test',
      scheme: 'HTTPS',
      path: 'no-slash',
      httpHeaders: [
        { name: 'X-A', value: '1' },
        { name: 'x-a', value: '2' },
        { name: 'Accept', value: '' },
        { name: 'User-Agent', value: 'mine' },
      ],
    },
    c,
    '10.1.2.3',
  );
  assert.equal(s.url, 'https://example.test:443/no-slash');
  // An empty Accept drops the header; the hook's own User-Agent wins; repeated headers join.
  assert.deepEqual(s.headers, { 'X-A': '1, 2', 'User-Agent': 'mine' });
  assert.equal(httpHookRequest({ port: 80 }, c, 'fd00::5').url, 'http://[fd00::5]:80/');
  assert.throws(() => httpHookRequest({ port: 80 }, c, ''), /failed to find networking container/);
});

test("kill reasons are data: each gives the Killing event upstream's message", () => {
  assert.equal(killMessage({ kind: 'probeFailed', probe: 'liveness' }, 'app'), 'Container app failed liveness probe, will be restarted');
  assert.equal(killMessage({ kind: 'probeFailed', probe: 'startup' }, 'app'), 'Container app failed startup probe, will be restarted');
  assert.equal(killMessage({ kind: 'definitionChanged' }, 'app'), 'Container app definition changed, will be restarted');
  assert.equal(killMessage({ kind: 'postStartHookFailed' }, 'app'), 'FailedPostStartHook');
  assert.equal(killMessage({ kind: 'podStopping' }, 'app'), 'Stopping container app');
});

test('grace left after a preStop hook: whole seconds spent come off, never below 2 s', () => {
  assert.equal(graceAfterPreStop(30, 0), 30);
  assert.equal(graceAfterPreStop(30, 4999), 26);
  assert.equal(graceAfterPreStop(10, 9000), 2);
  assert.equal(graceAfterPreStop(5, 60_000), 2);
});

test('kill grace: the deletion grace first, then a failed probe own grace, then the pod', () => {
  const probed: Container = { ...c, livenessProbe: { exec: { command: ['true'] }, terminationGracePeriodSeconds: 7 } };
  assert.equal(
    killGracePeriod(pod({ spec: { containers: [probed], terminationGracePeriodSeconds: 20 } }), probed, { kind: 'probeFailed', probe: 'liveness' }),
    7,
  );
  assert.equal(
    killGracePeriod(pod({ spec: { containers: [probed], terminationGracePeriodSeconds: 20 } }), probed, { kind: 'probeFailed', probe: 'startup' }),
    20,
  );
  assert.equal(killGracePeriod(pod({ spec: { containers: [probed], terminationGracePeriodSeconds: 20 } }), probed, { kind: 'definitionChanged' }), 20);
  assert.equal(
    killGracePeriod(pod({ metadata: { deletionGracePeriodSeconds: 3 }, spec: { containers: [probed], terminationGracePeriodSeconds: 20 } }), probed, {
      kind: 'probeFailed',
      probe: 'liveness',
    }),
    3,
  );
  assert.equal(killGracePeriod(pod(), c, { kind: 'podStopping' }), 30);
});

test('an httpGet hook reaches a real server with its path and headers; any status counts as done; a refused connection fails', async () => {
  const seen: Array<{ url?: string; headers: IncomingHttpHeaders }> = [];
  const server = createServer((req, res) => {
    seen.push({ url: req.url, headers: req.headers });
    res.statusCode = 500;
    res.end('nope');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    const ctx = { runtime: noRuntime, pod: pod(), container: c, containerId: 'id', podIP: '127.0.0.1', signal: new AbortController().signal };
    const r = await runHook({ httpGet: { port, path: '/started?by=hook', httpHeaders: [{ name: 'X-Hook', value: 'post' }] } }, ctx);
    assert.deepEqual(r, { ok: true });
    assert.equal(seen[0]!.url, '/started?by=hook');
    assert.equal(seen[0]!.headers['x-hook'], 'post');
    assert.equal(seen[0]!.headers['user-agent'], 'kube-lifecycle/1.32');
    const closed = await new Promise<number>((r) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => r(p));
      });
    });
    const f = await runHook({ httpGet: { port: closed, path: '/x' } }, ctx);
    assert.equal(f.ok, false);
    assert.match(
      (f as { message: string }).message,
      /^HTTP lifecycle hook \(\/x\) for Container "app" in Pod "p_ns\(u1\)" failed - error: Get "http:\/\/127\.0\.0\.1:\d+\/x": .*ECONNREFUSED/,
    );
  } finally {
    server.close();
  }
});

test('an HTTPS hook answered in plain HTTP is retried in HTTP without Authorization, and says so', async () => {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    const fallbacks: string[] = [];
    const r = await runHook(
      {
        httpGet: {
          port,
          scheme: 'HTTPS',
          httpHeaders: [
            { name: 'Authorization', value: 'Bearer x' },
            { name: 'X-Keep', value: 'y' },
          ],
        },
      },
      {
        runtime: noRuntime,
        pod: pod(),
        container: c,
        containerId: 'id',
        podIP: '127.0.0.1',
        signal: new AbortController().signal,
        onHttpFallback: (h) => fallbacks.push(h),
      },
    );
    assert.deepEqual(r, { ok: true });
    assert.deepEqual(fallbacks, [`127.0.0.1:${port}`]);
    const plain = seen.at(-1)!;
    assert.equal(plain.authorization, undefined);
    assert.equal(plain['x-keep'], 'y');
  } finally {
    server.close();
  }
});

test('tcpSocket is no lifecycle handler: it fails, as upstream', async () => {
  const r = await runHook(
    { tcpSocket: { port: 80 } },
    { runtime: noRuntime, pod: pod(), container: c, containerId: 'id', podIP: '127.0.0.1', signal: new AbortController().signal },
  );
  assert.equal(r.ok, false);
  assert.match((r as { message: string }).message, /^Cannot run handler: invalid handler/);
});

test('a preStop sleep is cut by the grace period; a short one completes', async () => {
  const x = { runtime: noRuntime, pod: pod(), container: c, containerId: 'id', podIP: '127.0.0.1' };
  const cut = await runPreStopHook({ sleep: { seconds: 30 } }, x, 1);
  assert.equal(cut.result, undefined);
  assert.ok(cut.elapsedMs >= 990 && cut.elapsedMs < 29_000, `cut after ${cut.elapsedMs} ms`);
  const done = await runPreStopHook({ sleep: { seconds: 0 } }, x, 5);
  assert.deepEqual(done.result, { ok: true });
});

test('an aborted sleep hook reports the container went first', async () => {
  const ac = new AbortController();
  const p = runHook({ sleep: { seconds: 30 } }, { runtime: noRuntime, pod: pod(), container: c, containerId: 'id', podIP: '', signal: ac.signal });
  ac.abort();
  const r = await p;
  assert.equal(r.ok, false);
  assert.match((r as { message: string }).message, /container terminated before sleep hook finished/);
});
