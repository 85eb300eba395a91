// The node dialer (through pods/log) against fake agents on loopback: it trusts only serving certificates of the
// cluster CA for the address it dials, presents its own client certificate and never a token,
// and gives up on a silent agent within its bound.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { createServer as createNetServer, type AddressInfo, type Server } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentServer, type ContainerLookup } from '../agent/server.js';
import { ApiError } from './errors.js';
import { NodeDialer } from './node-dialer.js';
import { podLog } from './subresources/log.js';
import type { ResourceType } from '../registry/index.js';
import { ensurePki, issueNodeServingCertificate } from './pki.js';
import type { RestStorage } from './rest-storage.js';
import { connect as netConnect } from 'node:net';
import { Mux } from '../tunnel/mux.js';

const dir = mkdtempSync(join(tmpdir(), 'berth-proxy-'));
const pki = await ensurePki(dir, '127.0.0.1');
// A second, unrelated CA: what a machine registering a Node could sign its own certificate with.
const otherDir = mkdtempSync(join(tmpdir(), 'berth-proxy-other-'));
const other = await ensurePki(otherDir, '127.0.0.1');
rmSync(dir, { recursive: true, force: true });
rmSync(otherDir, { recursive: true, force: true });

const closers: Array<() => void> = [];
after(() => closers.forEach((c) => c()));

/** A fake agent: records what reached it (handshakes, client certificate, request headers). */
interface Seen {
  requests: IncomingMessage['headers'][];
  clientCn: string[];
  bytes: number;
}
async function fakeAgent(cert: { cert: string; key: string }): Promise<{ port: number; seen: Seen }> {
  const seen: Seen = { requests: [], clientCn: [], bytes: 0 };
  const { createServer } = await import('node:https');
  const srv = createServer({ ...cert, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    seen.requests.push(req.headers);
    seen.clientCn.push(String((req.socket as TLSSocket).getPeerCertificate().subject?.CN));
    res.end('log line\n');
  });
  srv.on('secureConnection', (s: TLSSocket) => s.on('data', (d: Buffer) => (seen.bytes += d.length)));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  closers.push(() => srv.close());
  return { port: (srv.address() as AddressInfo).port, seen };
}

/** The API server's side: an HTTP front calling the proxy for pods/log, answering errors as Status. */
async function front(
  agentPort: number,
  responseTimeoutMs?: number,
  tunnels?: { get(nodeName: string): Mux | undefined },
): Promise<(path?: string) => Promise<{ code: number; body: string }>> {
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { nodeName: 'n1', containers: [{ name: 'c' }] } };
  const node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'n1' },
    status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: agentPort } } },
  };
  const storage = { get: async (r: { key: string }) => (r.key === 'pods' ? pod : node) } as unknown as RestStorage;
  const dialer = new NodeDialer({
    storage,
    tls: { ca: pki.caCert, cert: pki.kubeletClientCert, key: pki.kubeletClientKey },
    responseTimeoutMs,
    tunnels,
    log: () => {},
  });
  const srv = createHttpServer((req, res) => {
    podLog.serve!({ dialer, r: { key: 'pods' } as ResourceType, namespace: 'default', name: 'p', url: new URL(req.url ?? '/', 'http://x'), req }, res).catch(
      (e: unknown) => {
        const err = e instanceof ApiError ? e : new ApiError(500, 'InternalError', String(e));
        res.writeHead(err.code, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(err.toStatus()));
      },
    );
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  closers.push(() => {
    srv.closeAllConnections();
    srv.close();
  });
  const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/`;
  return async () => {
    const r = await fetch(url, { headers: { Authorization: 'Bearer the-users-token' } });
    return { code: r.status, body: await r.text() };
  };
}

test('an agent serving a certificate of another CA is refused before any request (or credential) reaches it', async () => {
  const agent = await fakeAgent(await issueNodeServingCertificate({ cert: other.caCert, key: other.caKey }, 'n1', ['127.0.0.1']));
  const r = await (await front(agent.port))();
  assert.equal(r.code, 502);
  const status = JSON.parse(r.body) as { message: string };
  assert.match(status.message, /cannot verify the serving certificate of the agent of node n1 at 127\.0\.0\.1:\d+ against the cluster CA/);
  assert.deepEqual(agent.seen.requests, []);
  assert.equal(agent.seen.bytes, 0, 'no application data');
});

test('an agent whose CA-signed certificate is for other addresses is refused too', async () => {
  const agent = await fakeAgent(await issueNodeServingCertificate({ cert: pki.caCert, key: pki.caKey }, 'elsewhere', ['10.9.9.9']));
  const r = await (await front(agent.port))();
  assert.equal(r.code, 502);
  assert.match((JSON.parse(r.body) as { message: string }).message, /cannot verify the serving certificate.*127\.0\.0\.1/);
  assert.deepEqual(agent.seen.requests, []);
});

test("a genuine agent gets the API server's client certificate and no bearer token", async () => {
  const agent = await fakeAgent(await issueNodeServingCertificate({ cert: pki.caCert, key: pki.caKey }, 'n1', ['127.0.0.1']));
  const r = await (await front(agent.port))();
  assert.equal(r.code, 200, r.body);
  assert.equal(r.body, 'log line\n');
  assert.equal(agent.seen.requests.length, 1);
  assert.equal(agent.seen.requests[0]!.authorization, undefined, "the user's token is not passed on");
  assert.deepEqual(agent.seen.clientCn, ['kube-apiserver-kubelet-client']);
});

test('an agent still waiting for its serving certificate: a clear error', async () => {
  const agent = new AgentServer({ host: '127.0.0.1', port: 0, clientCa: pki.caCert, lookup: {} as ContainerLookup, log: () => {} });
  await agent.start();
  closers.push(() => void agent.stop());
  const r = await (await front(agent.port))();
  assert.equal(r.code, 502);
  assert.match(
    (JSON.parse(r.body) as { message: string }).message,
    /^the agent of node n1 at 127\.0\.0\.1:\d+ refused the TLS handshake \(an agent does until its serving certificate is issued: see kubectl get csr\)/,
  );
});

test('a silent agent gets the request a 504 within the bound', async () => {
  // Accepts connections and says nothing: no TLS handshake, no answer.
  const silent: Server = createNetServer(() => {});
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  closers.push(() => silent.close());
  const started = Date.now();
  const r = await (await front((silent.address() as AddressInfo).port, 300))();
  const took = Date.now() - started;
  assert.equal(r.code, 504);
  const status = JSON.parse(r.body) as { reason: string; message: string };
  assert.equal(status.reason, 'Timeout');
  assert.match(status.message, /the agent of node n1 at 127\.0\.0\.1:\d+ did not answer within 0\.3 s/);
  assert.ok(took < 3000, `ended after ${took} ms`);
  // A TLS server that never answers the request: the same.
  const mute = createTlsServer({ ...(await issueNodeServingCertificate({ cert: pki.caCert, key: pki.caKey }, 'n1', ['127.0.0.1'])) }, () => {});
  await new Promise<void>((res) => mute.listen(0, '127.0.0.1', res));
  closers.push(() => mute.close());
  const r2 = await (await front((mute.address() as AddressInfo).port, 300))();
  assert.equal(r2.code, 504);
});

/** A node's tunnel whose agent end connects every stream to 127.0.0.1:port (as tunnel/client.ts does to its endpoint). */
function tunnelTo(port: number): { get(nodeName: string): Mux | undefined; streams: () => number } {
  let opened = 0;
  let server!: Mux;
  const agent: Mux = new Mux({
    send: (f) => setImmediate(() => server.receive(f)),
    accept: (s) => {
      opened++;
      const local = netConnect(port, '127.0.0.1');
      s.on('error', () => local.destroy());
      local.on('error', (e) => s.destroy(e));
      local.once('connect', () => {
        s.accept();
        local.pipe(s).pipe(local);
      });
    },
  });
  server = new Mux({ send: (f) => setImmediate(() => agent.receive(f)) });
  closers.push(() => server.close('test over'));
  return { get: (n) => (n === 'n1' ? server : undefined), streams: () => opened };
}

test("through the node's tunnel: the same TLS session end to end (client certificate, the agent's certificate checked)", async () => {
  const agent = await fakeAgent(await issueNodeServingCertificate({ cert: pki.caCert, key: pki.caKey }, 'n1', ['127.0.0.1']));
  // Nothing listens where the Node says its agent is: only the tunnel reaches it.
  const closed = createNetServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const nowhere = (closed.address() as AddressInfo).port;
  closed.close();
  const tunnel = tunnelTo(agent.port);
  const r = await (await front(nowhere, undefined, tunnel))();
  assert.equal(r.code, 200, r.body);
  assert.equal(r.body, 'log line\n');
  assert.equal(tunnel.streams(), 1);
  assert.deepEqual(agent.seen.clientCn, ['kube-apiserver-kubelet-client']);
  assert.equal(agent.seen.requests[0]!.authorization, undefined);

  const impostor = await fakeAgent(await issueNodeServingCertificate({ cert: other.caCert, key: other.caKey }, 'n1', ['127.0.0.1']));
  const bad = await (await front(nowhere, undefined, tunnelTo(impostor.port)))();
  assert.equal(bad.code, 502);
  assert.match((JSON.parse(bad.body) as { message: string }).message, /cannot verify the serving certificate of the agent of node n1/);
  assert.equal(impostor.seen.requests.length, 0);

  // The agent end cannot connect: its reason, as a dial error would be.
  const refused = await (await front(nowhere, undefined, tunnelTo(nowhere)))();
  assert.equal(refused.code, 502);
  assert.match((JSON.parse(refused.body) as { message: string }).message, /cannot reach the agent of node n1 .*ECONNREFUSED/);
});
