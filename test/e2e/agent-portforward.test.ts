// kubectl port-forward and pods/proxy with real kubectl on a real containerd (agent-fixture.ts):
// kubectl 1.32 (SPDY tunneled in a WebSocket, its default) and 1.27 (plain SPDY) forward to busybox
// httpd servers, one of them bound to 127.0.0.1 inside the pod (reached because the runtime
// dials inside the pod's network namespace); several ports in one session, 20 connections at
// once, a closed port's error on the error stream (kubectl then ends its session, as it does with any
// kubelet, and a new one serves at once; a SPDY client of the test's own shows that the session
// itself stays usable after the error);
// deploy/NAME and svc/NAME resolved by kubectl to a pod; pods/proxy and services/proxy through
// `kubectl get --raw` and `kubectl proxy`; a WebSocket client of the runtime's own
// port-forward protocol passed through; a pod's redirect rewritten under the proxy prefix; nodes/proxy to the agent's endpoint; kubectl attach (1.32 over WebSocket v5, 1.27 over SPDY).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { get } from 'node:http';
import { connect as tlsConnect } from 'node:tls';
import { FLAG_FIN, FrameReader, FrameType, HeaderWriter, controlStreamId, dataFrame, pingFrame, synStreamFrame } from '../../src/agent/spdy.js';
import WebSocket from 'ws';
import type { Container, Pod } from 'kubernetes-types/core/v1';
import { api, eventually, kubectl, kubectlBackground, kubectlOk, skipIfMissing } from './harness.js';
import { BUSYBOX, missingAgentPrerequisite, startAgentEnv, type AgentEnv } from './agent-fixture.js';

const missing = skipIfMissing(await missingAgentPrerequisite(), 'the port-forward e2e test');

/** A busybox httpd serving one file whose content names it, on the address given (port or ip:port). */
function httpd(name: string, listen: string, content: string): Container {
  const dir = `/srv/${name}`;
  const files = `mkdir -p ${dir}/sub && echo ${content} > ${dir}/index.html && echo sub-of-${content} > ${dir}/sub/index.html`;
  return { name, image: BUSYBOX, command: ['sh', '-c', `${files} && exec httpd -f -p ${listen} -h ${dir}`] };
}

/** GET http://127.0.0.1:port/path: status and body, or the error's code. */
function httpGet(port: number, path = '/index.html'): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path, agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
  });
}

/** Runs `kubectl port-forward` and waits for its "Forwarding from 127.0.0.1:L -> R" lines: remote port -> local port. */
async function portForward(env: AgentEnv, args: string[], version: string, expectPorts: number) {
  const f = kubectlBackground(env.server, ['port-forward', '-v=4', ...args], version);
  const ports = new Map<number, number>();
  try {
    await eventually(
      () => {
        for (const m of f.stdout().matchAll(/Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)/g)) ports.set(Number(m[2]), Number(m[1]));
        if (f.proc.exitCode !== null) throw new Error(`kubectl port-forward exited ${f.proc.exitCode}: ${f.stderr()}`);
        return ports.size === expectPorts;
      },
      'kubectl port-forward to listen',
      20_000,
    );
  } catch (e) {
    f.proc.kill();
    throw e;
  }
  const stop = async () => {
    f.proc.kill();
    await f.done;
  };
  return { ...f, ports, stop };
}

/**
 * A port-forward session over SPDY through the API server, as client-go opens one, with its
 * streams at hand: pair() opens the error and data streams of one request (client-go's headers),
 * what the server sent on each stream is collected, and which it ended.
 */
async function spdySession(env: AgentEnv, pod: string) {
  const u = new URL(env.server.url);
  const sock = tlsConnect({ host: u.hostname, port: Number(u.port), ca: env.server.caCert });
  await new Promise<void>((resolve, reject) => sock.once('secureConnect', resolve).once('error', reject));
  sock.write(
    [
      `POST /api/v1/namespaces/default/pods/${pod}/portforward HTTP/1.1`,
      `Host: ${u.host}`,
      `Authorization: Bearer ${env.server.token}`,
      'Connection: Upgrade',
      'Upgrade: SPDY/3.1',
      'X-Stream-Protocol-Version: portforward.k8s.io',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  );
  const received = new Map<number, Buffer>();
  const ended = new Set<number>();
  const replied = new Set<number>();
  const reader = new FrameReader();
  let head: Buffer | undefined = Buffer.alloc(0);
  let status = '';
  sock.on('data', (chunk: Buffer) => {
    if (head) {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      status = head.subarray(0, head.indexOf('\r\n')).toString();
      chunk = head.subarray(end + 4);
      head = undefined;
    }
    for (const f of reader.push(chunk)) {
      if (!f.control) {
        received.set(f.streamId, Buffer.concat([received.get(f.streamId) ?? Buffer.alloc(0), f.data]));
        if (f.flags & FLAG_FIN) ended.add(f.streamId);
        continue;
      }
      const id = controlStreamId(f);
      if (f.type === FrameType.SynReply && id !== undefined) replied.add(id);
      if (f.type === FrameType.RstStream && id !== undefined) ended.add(id);
      if (f.type === FrameType.Ping) sock.write(pingFrame(f.payload.readUInt32BE(0)));
    }
  });
  await eventually(() => status !== '', 'the upgrade answer');
  assert.match(status, /^HTTP\/1\.1 101 /);
  const headers = new HeaderWriter();
  let nextId = 1;
  let requestId = 0;
  const open = (h: Record<string, string>) => {
    const id = nextId;
    nextId += 2;
    sock.write(synStreamFrame(id, h, headers));
    return id;
  };
  return {
    received,
    ended,
    /** Opens one request's error and data streams for port, and waits for the server to take both. */
    async pair(port: number) {
      const req = String(requestId++);
      const errorId = open({ streamType: 'error', port: String(port), requestID: req });
      const dataId = open({ streamType: 'data', port: String(port), requestID: req });
      await eventually(() => replied.has(errorId) && replied.has(dataId), `the replies to the streams of port ${port}`);
      return { errorId, dataId };
    },
    send: (id: number, data: Buffer) => sock.write(dataFrame(id, data)),
    close: () => sock.destroy(),
  };
}

describe('kubectl port-forward, attach, pods/proxy and services/proxy', { skip: missing ?? false }, () => {
  let env: AgentEnv;
  const pod = (name: string, containers: Container[], labels?: Record<string, string>): Pod =>
    ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, labels }, spec: { terminationGracePeriodSeconds: 1, containers } }) as Pod;
  const ready = (name: string) =>
    eventually(() => env.getPod(name).status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'), `${name} Ready`, 60_000);

  before(async () => {
    env = await startAgentEnv();
    env.apply(
      pod('web', [{ ...httpd('main', '8080', 'hello-from-8080'), ports: [{ containerPort: 8080 }] }, httpd('second', '9090', 'hello-from-9090')], {
        app: 'web',
      }),
      // kubectl port-forward svc/NAME picks a pod by the selector and maps the port to its targetPort.
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web' },
        spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
      },
      // Without a selector its Endpoints are the user's (no controller writes them): the test's.
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'manual' },
        spec: {
          ports: [
            { name: 'http', port: 80, targetPort: 8080 },
            { name: 'second', port: 90, targetPort: 9090 },
          ],
        },
      },
      // One line a second, for kubectl attach.
      pod('ticker', [{ name: 'app', image: BUSYBOX, command: ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 1; done'] }]),
      // Reachable only inside the pod's network namespace.
      pod('loopback-only', [httpd('main', '127.0.0.1:8080', 'hello-from-loopback')]),
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'webdep' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'webdep' } },
          template: {
            metadata: { labels: { app: 'webdep' } },
            spec: { terminationGracePeriodSeconds: 1, containers: [{ ...httpd('main', '8080', 'hello-from-deployment'), ports: [{ containerPort: 8080 }] }] },
          },
        },
      },
    );
    await ready('web');
    await ready('loopback-only');
    await ready('ticker');
    const ip = env.getPod('web').status!.podIP!;
    env.apply({
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'manual' },
      subsets: [
        {
          addresses: [{ ip, targetRef: { kind: 'Pod', name: 'web', namespace: 'default' } }],
          ports: [
            { name: 'http', port: 8080 },
            { name: 'second', port: 9090 },
          ],
        },
      ],
    });
  });

  after(async () => {
    await env?.stop();
  });

  for (const [version, how] of [
    ['1.32', 'SPDY tunneled in a WebSocket'],
    ['1.27', 'SPDY'],
  ] as const) {
    test(`kubectl ${version} (${how}): two ports in one session, 20 connections at once, a closed port's error, then a new session`, async () => {
      const f = await portForward(env, ['pod/web', ':8080', ':9090', ':81'], version, 3);
      try {
        assert.deepEqual(await httpGet(f.ports.get(8080)!), { status: 200, body: 'hello-from-8080\n' });
        assert.deepEqual(await httpGet(f.ports.get(9090)!), { status: 200, body: 'hello-from-9090\n' });
        const many = await Promise.all(Array.from({ length: 20 }, (_, i) => httpGet(f.ports.get(i % 2 ? 9090 : 8080)!)));
        many.forEach((r, i) => assert.deepEqual(r, { status: 200, body: `hello-from-${i % 2 ? 9090 : 8080}\n` }, `connection ${i}`));
        // Nothing listens on 81 in the pod: the connection ends without an answer and kubectl
        // prints the runtime's error from the error stream.
        const closed = await httpGet(f.ports.get(81)!);
        assert.ok('error' in closed, `port 81 answered: ${JSON.stringify(closed)}`);
        await eventually(() => /error forwarding port 81 to pod .*connection refused/.test(f.stderr()), 'the error of port 81', 10_000).catch(() => {
          throw new Error(`kubectl's stderr: ${f.stderr()}`);
        });
        // kubectl (client-go's PortForwarder) closes the whole session after an error on a
        // stream, against any kubelet: it says so and exits.
        await eventually(() => /lost connection to pod/.test(f.stderr()), 'kubectl to end the session', 10_000);
        if (version === '1.32') assert.doesNotMatch(f.stderr(), /fallback to secondary dialer/, 'kubectl 1.32 did not need its SPDY fallback');
        // Nothing on the node's side is hurt: a new session serves at once.
        const again = await portForward(env, ['pod/web', ':8080'], version, 1);
        try {
          assert.deepEqual(await httpGet(again.ports.get(8080)!), { status: 200, body: 'hello-from-8080\n' });
        } finally {
          await again.stop();
        }
      } finally {
        await f.stop();
      }
    });

    test(`kubectl ${version}: a server bound to 127.0.0.1 inside the pod is reached`, async () => {
      const f = await portForward(env, ['loopback-only', ':8080'], version, 1);
      try {
        assert.deepEqual(await httpGet(f.ports.get(8080)!), { status: 200, body: 'hello-from-loopback\n' });
      } finally {
        await f.stop();
      }
    });
  }

  test("over one SPDY session a closed port's error comes on its error stream, and the session serves other connections after it", async () => {
    const session = await spdySession(env, 'web');
    try {
      const closed = await session.pair(81);
      await eventually(() => session.ended.has(closed.errorId), 'the error stream of port 81 to end', 10_000);
      assert.match(session.received.get(closed.errorId)?.toString() ?? '', /^error forwarding port 81 to pod \S+, uid : .*connect: connection refused/);
      // The same session, after the error: two connections to 8080 and one to 9090.
      for (const port of [8080, 9090, 8080]) {
        const open = await session.pair(port);
        session.send(open.dataId, Buffer.from('GET /index.html HTTP/1.0\r\n\r\n'));
        await eventually(() => session.ended.has(open.dataId), `the answer from ${port}`, 10_000);
        assert.match(session.received.get(open.dataId)!.toString(), new RegExp(`^HTTP/1\\.[01] 200 OK\\r\\n[\\s\\S]*\\r\\n\\r\\nhello-from-${port}\\n$`));
        assert.equal(session.received.get(open.errorId)?.toString() ?? '', '', `no error for ${port}`);
      }
    } finally {
      session.close();
    }
  });

  test("a WebSocket client speaking the runtime's own port-forward protocol (v4.channel.k8s.io, ?ports=) is passed through", async () => {
    const ws = new WebSocket(`${env.server.url.replace(/^https/, 'wss')}/api/v1/namespaces/default/pods/web/portforward?ports=8080`, ['v4.channel.k8s.io'], {
      headers: { Authorization: `Bearer ${env.server.token}` },
      ca: env.server.caCert,
    });
    // Channel 0 carries port 8080's data, channel 1 its errors; each begins with the port, 2 bytes little-endian.
    const got: Record<number, Buffer> = {};
    let closed = '';
    ws.on('close', (code, reason) => (closed = `${code} ${reason}`));
    ws.on('message', (d: Buffer) => (got[d[0]!] = Buffer.concat([got[d[0]!] ?? Buffer.alloc(0), d.subarray(1)])));
    try {
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('GET /index.html HTTP/1.0\r\n\r\n')]));
      await eventually(() => /hello-from-8080/.test(got[0]?.toString('latin1') ?? ''), 'the answer on channel 0', 10_000).catch((e: Error) => {
        throw new Error(
          `${e.message}: ${JSON.stringify(Object.fromEntries(Object.entries(got).map(([k, v]) => [k, v.toString('latin1')])))} (socket state ${ws.readyState} ${closed})`,
        );
      });
      assert.equal(got[0]!.readUInt16LE(0), 8080);
      assert.match(got[0]!.subarray(2).toString('latin1'), /^HTTP\/1\.[01] 200 OK\r\n[\s\S]*\r\n\r\nhello-from-8080\n$/);
    } finally {
      ws.close();
    }
  });

  test('kubectl port-forward deploy/NAME forwards to a pod of the Deployment', async () => {
    await eventually(
      () =>
        kubectl(env.server, ['get', 'pods', '-l', 'app=webdep', '-o', 'jsonpath={.items[*].status.conditions[?(@.type=="Ready")].status}']).stdout === 'True',
      'the deployment pod Ready',
      60_000,
    );
    const f = await portForward(env, ['deploy/webdep', ':8080'], '1.32', 1);
    try {
      assert.deepEqual(await httpGet(f.ports.get(8080)!), { status: 200, body: 'hello-from-deployment\n' });
    } finally {
      await f.stop();
    }
  });

  test('kubectl port-forward svc/NAME forwards the service port to its targetPort on a selected pod', async () => {
    const f = await portForward(env, ['svc/web', ':80'], '1.32', 1);
    try {
      assert.deepEqual([...f.ports.keys()], [8080], 'kubectl forwards to the targetPort');
      assert.deepEqual(await httpGet(f.ports.get(8080)!), { status: 200, body: 'hello-from-8080\n' });
    } finally {
      await f.stop();
    }
  });

  test('services/proxy reaches a ready endpoint by the service port name or number; a port the service lacks is a 503', async () => {
    assert.equal(kubectl(env.server, ['get', '--raw', '/api/v1/namespaces/default/services/manual:http/proxy/']).stdout, 'hello-from-8080\n');
    assert.equal(kubectl(env.server, ['get', '--raw', '/api/v1/namespaces/default/services/manual:90/proxy/index.html']).stdout, 'hello-from-9090\n');
    const noPort = kubectl(env.server, ['get', '--raw', '/api/v1/namespaces/default/services/manual:91/proxy/']);
    assert.notEqual(noPort.code, 0);
    assert.match(noPort.stderr, /ServiceUnavailable.*no service port 91 found for service "manual"/);
    // A selector no pod matches: its Endpoints have no address, so nothing to reach.
    kubectlOk(env.server, ['create', 'service', 'clusterip', 'nobody', '--tcp=80:8080']);
    await eventually(() => kubectl(env.server, ['get', 'endpoints', 'nobody']).code === 0 || undefined, 'the Endpoints of nobody');
    const none = kubectl(env.server, ['get', '--raw', '/api/v1/namespaces/default/services/nobody:80/proxy/']);
    assert.match(none.stderr, /ServiceUnavailable.*no endpoints available for service "nobody"/);
  });

  for (const version of ['1.32', '1.27']) {
    test(`kubectl ${version} attach streams the main process's output as it writes`, async () => {
      const a = kubectlBackground(env.server, ['attach', 'ticker'], version);
      try {
        // Lines written after attaching: two in a row, numbered consecutively.
        const lines = (await eventually(
          () => {
            const ticks = [...a.stdout().matchAll(/tick (\d+)/g)].map((m) => Number(m[1]));
            return ticks.length >= 2 ? ticks : undefined;
          },
          'two lines through attach',
          15_000,
        ).catch(() => {
          throw new Error(`kubectl attach: ${a.stdout()} ${a.stderr()}`);
        })) as number[];
        assert.equal(lines[1], lines[0]! + 1, String(lines));
      } finally {
        a.proc.kill();
        await a.done;
      }
    });
  }

  test('pods/proxy: kubectl get --raw reaches the pod port named, and the first declared port when none is', () => {
    assert.equal(kubectl(env.server, ['get', '--raw', '/api/v1/namespaces/default/pods/web:9090/proxy/']).stdout, 'hello-from-9090\n');
    assert.equal(kubectl(env.server, ['get', '--raw', '/api/v1/namespaces/default/pods/http:web:8080/proxy/index.html']).stdout, 'hello-from-8080\n');
    assert.equal(kubectl(env.server, ['get', '--raw', '/api/v1/namespaces/default/pods/web/proxy/index.html']).stdout, 'hello-from-8080\n');
    // busybox httpd's own 404 comes back as it is.
    const missingFile = kubectl(env.server, ['get', '--raw', '/api/v1/namespaces/default/pods/web:8080/proxy/nothing-here']);
    assert.notEqual(missingFile.code, 0);
    assert.match(missingFile.stderr, /NotFound|404/);
    // Nothing listens on 81: upstream's 503 with the reason.
    const refused = kubectl(env.server, ['get', '--raw', '/api/v1/namespaces/default/pods/web:81/proxy/']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /ServiceUnavailable.*error trying to reach service: .*connection refused/);
    const bad = kubectl(env.server, ['get', '--raw', '/api/v1/namespaces/default/pods/web:notaport/proxy/']);
    assert.match(bad.stderr, /BadRequest.*invalid port/);
  });

  test("nodes/proxy reaches the node's agent endpoint", () => {
    assert.equal(kubectl(env.server, ['get', '--raw', `/api/v1/nodes/${env.nodeName}/proxy/healthz`]).stdout, 'ok');
    // The agent's own path for a container's log, through the node.
    assert.match(
      kubectl(env.server, ['get', '--raw', `/api/v1/nodes/${env.nodeName}/proxy/containerLogs/default/ticker/app?tailLines=1`]).stdout,
      /^tick \d+\n$/,
    );
    assert.match(kubectl(env.server, ['get', '--raw', `/api/v1/nodes/${env.nodeName}:1/proxy/healthz`]).stderr, /BadRequest.*reaches only the agent endpoint/);
  });

  test("a pod's redirect comes back under the proxy's prefix, as upstream rewrites it", async () => {
    // busybox httpd redirects a directory without its slash to /sub/.
    const r = await api(env.server, 'GET', '/api/v1/namespaces/default/pods/web:8080/proxy/sub');
    assert.ok(r.status >= 300 && r.status < 400, `${r.status} ${r.text}`);
    assert.equal(r.headers.get('location'), `${env.server.url}/api/v1/namespaces/default/pods/web:8080/proxy/sub/`);
    const followed = await api(env.server, 'GET', new URL(r.headers.get('location')!).pathname);
    assert.equal(followed.text, 'sub-of-hello-from-8080\n');
  });

  test('bad stream requests get a 4xx Status', () => {
    const raw = (path: string) => kubectl(env.server, ['get', '--raw', path]);
    assert.match(raw('/api/v1/pods/web:8080/proxy/').stderr, /NotFound/, 'a namespaced resource by a cluster path');
    assert.match(raw('/api/v1/namespaces/default/pods/nope:80/proxy/').stderr, /NotFound.*pods "nope" not found/);
    assert.match(raw('/api/v1/namespaces/default/pods/web/exec?command=true').stderr, /BadRequest.*Upgrade request required/);
    assert.match(raw('/api/v1/namespaces/default/pods/web/log/extra').stderr, /NotFound/, 'a path after a subresource that takes none');
    assert.match(raw('/api/v1/namespaces/default/pods/ftp:web:21/proxy/').stderr, /BadRequest.*invalid pod request/);
  });

  test('pods/proxy and services/proxy through kubectl proxy', async () => {
    const p = kubectlBackground(env.server, ['proxy', '--port=0']);
    try {
      const port = Number(
        await eventually(() => {
          if (p.proc.exitCode !== null) throw new Error(`kubectl proxy exited: ${p.stderr()}`);
          return /Starting to serve on 127\.0\.0\.1:(\d+)/.exec(p.stdout())?.[1];
        }, 'kubectl proxy to listen'),
      );
      assert.deepEqual(await httpGet(port, '/api/v1/namespaces/default/pods/web:8080/proxy/index.html'), { status: 200, body: 'hello-from-8080\n' });
      assert.deepEqual(await httpGet(port, '/api/v1/namespaces/default/pods/web:9090/proxy/'), { status: 200, body: 'hello-from-9090\n' });
      assert.deepEqual(await httpGet(port, '/api/v1/namespaces/default/services/manual:second/proxy/'), { status: 200, body: 'hello-from-9090\n' });
    } finally {
      p.proc.kill();
      await p.done;
    }
  });
});
