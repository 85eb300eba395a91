// The simulated nodes' kubelet endpoint over real HTTPS on loopback, with a pod source the test
// drives (as the pod worker's informer would): TLS identities (its certificate from the cluster CA,
// only the API server's client certificate let in), logs and their parameters,
// follow until the run ends or the client leaves, and exec/attach/port-forward refused.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import * as tls from 'node:tls';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1';
import { ensurePki, issueCertificate, issueNodeServingCertificate } from '../apiserver/pki.js';
import { SimKubeletEndpoint, type SimPodSource } from './kubelet-endpoint.js';

const dirs = [mkdtempSync(join(tmpdir(), 'berth-simep-')), mkdtempSync(join(tmpdir(), 'berth-simep-other-'))];
const [pki, otherPki] = [await ensurePki(dirs[0]!, '127.0.0.1'), await ensurePki(dirs[1]!, '127.0.0.1')];
for (const d of dirs) rmSync(d, { recursive: true, force: true });
const ca = { cert: pki.caCert, key: pki.caKey };
/** Client identities: the API server's, none, another name from the cluster CA, the API server's name from another CA. */
const CLIENTS = {
  apiserver: { cert: pki.kubeletClientCert, key: pki.kubeletClientKey },
  none: {},
  stranger: await issueCertificate(ca, { commonName: 'system:node:sim-7', organization: 'system:nodes', usage: 'client' }),
  otherCa: { cert: otherPki!.kubeletClientCert, key: otherPki!.kubeletClientKey },
};
type Client = keyof typeof CLIENTS;
const T0 = '2026-01-02T03:04:05Z';
const T1 = '2026-01-02T03:04:09Z';
const pods = new Map<string, Pod>();
const watchers = new Set<{ key: string; fn: (p: Pod | undefined) => void }>();
const source: SimPodSource = {
  get: (ns, name) => pods.get(`${ns}/${name}`),
  watch: (ns, name, fn) => {
    const w = { key: `${ns}/${name}`, fn };
    watchers.add(w);
    return () => watchers.delete(w);
  },
};
/** A new copy of the pod, delivered to its watchers as an informer would. */
function update(p: Pod | undefined, key = `${p?.metadata?.namespace}/${p?.metadata?.name}`): void {
  if (p) pods.set(key, p);
  else pods.delete(key);
  for (const w of [...watchers]) if (w.key === key) w.fn(p);
}
const running = (name: string): Pod => ({
  metadata: { name, namespace: 'default' },
  spec: { nodeName: 'sim-7', containers: [{ name: 'app', image: 'nginx' }] },
  status: { containerStatuses: [{ name: 'app', image: 'nginx', imageID: '', ready: true, restartCount: 0, state: { running: { startedAt: T0 } } }] },
});
const ended = (p: Pod, exitCode: number): Pod => ({
  ...p,
  status: {
    containerStatuses: [
      { ...p.status!.containerStatuses![0]!, state: { terminated: { exitCode, reason: exitCode ? 'Error' : 'Completed', startedAt: T0, finishedAt: T1 } } },
    ],
  },
});

let ep: SimKubeletEndpoint;
before(async () => {
  ep = new SimKubeletEndpoint({ host: '127.0.0.1', port: 0, clientCa: pki.caCert, pods: source, log: () => {} });
  await ep.start();
  ep.setServingCert(await issueNodeServingCertificate(ca, 'sim-0', ['127.0.0.1', 'localhost']));
});
after(() => ep.stop());

interface Reply {
  code: number;
  body: string;
}
function get(path: string, who: Client = 'apiserver', onData?: (chunk: string, abort: () => void) => void): Promise<Reply> {
  return new Promise((resolve, reject) => {
    // The endpoint's certificate must be the cluster CA's, for the address dialed.
    const req = request({ host: '127.0.0.1', port: ep.port, path, ca: pki.caCert, ...CLIENTS[who], agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
        onData?.(body, () => {
          req.destroy();
          resolve({ code: res.statusCode!, body });
        });
      });
      res.on('end', () => resolve({ code: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
const status = (r: Reply) => JSON.parse(r.body) as { kind: string; code: number; reason: string; message: string };

test("only the API server's client certificate from the cluster CA is let in; healthz answers anyone", async () => {
  pods.set('default/web', running('web'));
  assert.equal((await get('/healthz', 'none')).code, 200);
  for (const [who, code, reason] of [
    ['none', 401, 'Unauthorized'],
    ['otherCa', 401, 'Unauthorized'],
    ['stranger', 403, 'Forbidden'],
  ] as const) {
    const r = await get('/containerLogs/default/web/app', who);
    assert.deepEqual([r.code, status(r).reason], [code, reason], who);
  }
  assert.equal((await get('/containerLogs/default/web/app')).code, 200);
});

test('without a cluster CA every request is refused', async () => {
  const bare = new SimKubeletEndpoint({ host: '127.0.0.1', port: 0, pods: source, log: () => {} });
  await bare.start();
  try {
    bare.setServingCert(await issueNodeServingCertificate(ca, 'sim-0', ['127.0.0.1']));
    const r = await new Promise<number>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: bare.port, path: '/containerLogs/default/web/app', ca: pki.caCert, ...CLIENTS.apiserver, agent: false },
        (res) => {
          res.resume();
          resolve(res.statusCode!);
        },
      );
      req.on('error', reject);
      req.end();
    });
    assert.equal(r, 401);
  } finally {
    await bare.stop();
  }
});

test('logs of a running container: its start line; timestamps and limitBytes apply', async () => {
  pods.set('default/web', running('web'));
  let r = await get('/containerLogs/default/web/app');
  assert.equal(r.code, 200);
  assert.equal(r.body, '[berth sim] container app started on simulated node sim-7: image nginx, command (image entrypoint) (nothing really runs)\n');
  r = await get('/containerLogs/default/web/app?timestamps=true&limitBytes=42');
  assert.equal(r.body, '2026-01-02T03:04:05.000000000Z [berth sim]');
  r = await get('/containerLogs/default/web/app?sinceSeconds=5');
  assert.equal(r.body, '', 'the start was long before the last 5 s');
});

test('unknown pod or container: 404 with a message; a container not started: 400', async () => {
  pods.set('default/web', running('web'));
  let r = await get('/containerLogs/default/nope/app');
  assert.deepEqual([r.code, status(r).message], [404, 'pods "nope" not found on the simulated nodes']);
  r = await get('/containerLogs/default/web/other');
  assert.deepEqual([r.code, status(r).reason, status(r).message], [404, 'NotFound', 'container "other" not found in pod "web"']);
  r = await get('/containerLogs/default/web/app?previous=true');
  assert.deepEqual([r.code, status(r).message], [400, 'previous terminated container "app" in pod "web" not found']);
});

test('follow: the exit line comes when the status shows the run ended, then the stream ends', async () => {
  const p = running('follow');
  pods.set('default/follow', p);
  let sawStart = false;
  const reply = get('/containerLogs/default/follow/app?follow=true', 'apiserver', (body) => {
    if (!sawStart && body.includes('started')) {
      sawStart = true;
      // Another status write that changes nothing for the run: the follow goes on.
      update({ ...p, metadata: { ...p.metadata, resourceVersion: '2' } });
      setTimeout(() => update(ended(p, 2)), 50);
    }
  });
  const r = await reply;
  assert.ok(sawStart);
  assert.deepEqual(r.body.split('\n'), [
    '[berth sim] container app started on simulated node sim-7: image nginx, command (image entrypoint) (nothing really runs)',
    '[berth sim] container app exited with code 2 (Error)',
    '',
  ]);
  assert.equal(watchers.size, 0, 'the follow unsubscribed');
});

test('follow ends when the pod is deleted, and when the client goes away', async () => {
  pods.set('default/gone', running('gone'));
  const r = await get('/containerLogs/default/gone/app?follow=1', 'apiserver', (body) => {
    if (body.includes('started')) setTimeout(() => update(undefined, 'default/gone'), 20);
  });
  assert.equal(r.body.split('\n').filter(Boolean).length, 1);
  pods.set('default/left', running('left'));
  await get('/containerLogs/default/left/app?follow=true', 'apiserver', (body, abort) => {
    if (body.includes('started')) abort();
  });
  const deadline = Date.now() + 2000;
  while (watchers.size && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
  assert.equal(watchers.size, 0, 'the client leaving unsubscribed the follow');
});

/** An upgrade request as the API server replays kubectl's exec on the node's endpoint. */
function upgrade(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port: ep.port, ca: pki.caCert, ...CLIENTS.apiserver }, () => {
      s.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n`);
    });
    let out = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => (out += d));
    s.on('end', () => resolve(out));
    s.on('error', reject);
  });
}

test('exec, attach and port-forward answer an error naming the simulated node', async () => {
  pods.set('default/web', running('web'));
  const out = await upgrade('/exec/default/web/app?command=true&stdout=1');
  assert.match(out, /^HTTP\/1\.1 400 BadRequest\r\n/);
  const body = JSON.parse(out.slice(out.indexOf('\r\n\r\n') + 4));
  assert.deepEqual(
    [body.kind, body.code, body.message],
    ['Status', 400, 'cannot exec container app of pod web: it runs on simulated node sim-7, where no container really runs'],
  );
  assert.match(await upgrade('/attach/default/web/app?stdout=1'), /cannot attach container app of pod web: it runs on simulated node sim-7/);
  assert.match(await upgrade('/portForward/default/web?port=80'), /cannot port-forward pod web: it runs on simulated node sim-7/);
  assert.match(await upgrade('/exec/default/nope/app?command=true'), /^HTTP\/1\.1 404 NotFound[^]*pods \\"nope\\" not found/);
  // Without an upgrade, the same answer.
  const r = await get('/exec/default/web/app?command=true');
  assert.deepEqual([r.code, status(r).message], [400, 'cannot exec container app of pod web: it runs on simulated node sim-7, where no container really runs']);
});

test('only a loopback address is accepted for the listener', () => {
  for (const host of ['0.0.0.0', '172.16.0.1', '::']) {
    assert.throws(() => new SimKubeletEndpoint({ host, port: 0, clientCa: pki.caCert, pods: source, log: () => {} }), /must listen on a loopback address/);
  }
});
