// The agent endpoint lets in only the API server's client certificate from the cluster CA, and
// serves nothing before it has a serving certificate.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePki, issueCertificate, issueNodeServingCertificate } from '../apiserver/pki.js';
import { AgentServer, EndpointError, webSocketPorts } from './server.js';

const dir = mkdtempSync(join(tmpdir(), 'berth-agentsrv-'));
const pki = await ensurePki(dir, '127.0.0.1');
const otherDir = mkdtempSync(join(tmpdir(), 'berth-agentsrv-other-'));
const other = await ensurePki(otherDir, '127.0.0.1');
rmSync(dir, { recursive: true, force: true });
rmSync(otherDir, { recursive: true, force: true });
const ca = { cert: pki.caCert, key: pki.caKey };

const lookups: string[] = [];
const server = new AgentServer({
  host: '127.0.0.1',
  port: 0,
  clientCa: pki.caCert,
  lookup: {
    container: async (ns, pod) => {
      lookups.push(`${ns}/${pod}`);
      throw new EndpointError(404, 'NotFound', `pod ${ns}/${pod} not found`);
    },
    isRunning: async () => false,
    execUrl: async () => 'http://127.0.0.1:1/',
    attachUrl: async () => 'http://127.0.0.1:1/',
    portForwardUrl: async () => 'http://127.0.0.1:1/',
    podAddress: async () => '127.0.0.1',
  },
  log: () => {},
});
await server.start();
after(() => server.stop());

function get(client: { cert?: string; key?: string; headers?: Record<string, string> }): Promise<{ code: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: server.port,
        path: '/containerLogs/default/p/c',
        ca: pki.caCert,
        cert: client.cert,
        key: client.key,
        headers: client.headers,
        agent: false,
      },
      (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

test('without a serving certificate the endpoint completes no handshake', async () => {
  assert.equal(server.serving, false);
  await assert.rejects(get({ cert: pki.kubeletClientCert, key: pki.kubeletClientKey }));
  assert.deepEqual(lookups, []);
});

test('with one, only the API server identity from the cluster CA gets through', async () => {
  server.setServingCert(await issueNodeServingCertificate(ca, 'n1', ['127.0.0.1']));
  assert.equal(server.serving, true);

  const none = await get({ headers: { Authorization: `Bearer ${pki.adminToken}` } });
  assert.equal(none.code, 401, 'a bearer token, even the admin one, is no way in');
  assert.match(none.body, /client certificate signed by the cluster CA is required/);

  const foreign = await issueCertificate({ cert: other.caCert, key: other.caKey }, { commonName: 'kube-apiserver-kubelet-client', usage: 'client' });
  assert.equal((await get(foreign)).code, 401, 'the right name from another CA');

  const someone = await issueCertificate(ca, { commonName: 'system:node:n2', organization: 'system:nodes', usage: 'client' });
  const forbidden = await get(someone);
  assert.equal(forbidden.code, 403, 'another identity of the cluster CA');
  assert.match(forbidden.body, /system:node:n2 may not use the node's endpoint/);
  assert.deepEqual(lookups, []);

  const ok = await get({ cert: pki.kubeletClientCert, key: pki.kubeletClientKey });
  assert.equal(ok.code, 404, 'past authentication: the lookup answered');
  assert.deepEqual(lookups, ['default/p']);
});

test("a WebSocket port-forward's ports come from the query, repeated or comma-separated, as upstream reads them", () => {
  assert.deepEqual(webSocketPorts(new URLSearchParams('ports=8080')), [8080]);
  assert.deepEqual(webSocketPorts(new URLSearchParams('ports=8080,9090&ports=81')), [8080, 9090, 81]);
  assert.throws(() => webSocketPorts(new URLSearchParams('')), /query parameter "port" is required/);
  for (const bad of ['0', '65536', 'http', '80a']) assert.throws(() => webSocketPorts(new URLSearchParams(`ports=${bad}`)), /unable to parse/);
});
