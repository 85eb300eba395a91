// Credentials in flight between the API server and node agents (issue #18), with the real
// kubectl against `berth server`: fake "agents" on loopback registered as Nodes' endpoints. One
// with a self-signed certificate: `kubectl logs` and `kubectl exec` fail with a TLS
// verification error and it never sees a request, a token or a client certificate. One
// genuine (a serving certificate of the cluster CA): it gets the API server's client
// certificate and no token. One silent: `kubectl logs` ends with a 504 within the bound. And the
// certificates.k8s.io API as kubectl uses it: create, get (upstream's columns), approve, deny,
// issued by the signer; bad requests get a clear 422.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueNodeServingCertificate, readCaFiles } from '../../src/apiserver/pki.js';
import { eventually, kubectl, kubectlBackground, startServer, type RunningServer } from './harness.js';

/**
 * kubectl without blocking this process: the fake agents live here and must answer meanwhile.
 * Killed after 40 s so a hang fails the test instead of stalling it.
 */
async function kubectlAsync(server: RunningServer, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const bg = kubectlBackground(server, args);
  const timer = setTimeout(() => bg.proc.kill('SIGKILL'), 40_000);
  const code = await bg.done;
  clearTimeout(timer);
  return { code, stdout: bg.stdout(), stderr: bg.stderr() };
}

interface Seen {
  handshakes: number;
  clientCerts: string[];
  requests: Array<Record<string, unknown>>;
  bytes: number;
}

describe('the API server and agents: client certificate out, CA-verified serving certificate in, bounded waits', () => {
  let server: RunningServer;
  const closers: Array<() => void> = [];
  const seen: Record<string, Seen> = {};
  const tmp = mkdtempSync(join(tmpdir(), 'berth-nodeauth-'));

  /** A Node whose agent endpoint is 127.0.0.1:port, and a pod bound to it. */
  function registerNode(name: string, port: number): void {
    const node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name },
      status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: port } } },
    };
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `on-${name}`, namespace: 'default' },
      spec: { nodeName: name, containers: [{ name: 'c', image: 'busybox' }] },
    };
    const r = kubectl(server, ['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [node, pod] }) });
    assert.equal(r.code, 0, r.stderr);
  }

  function record(name: string): Seen {
    return (seen[name] = { handshakes: 0, clientCerts: [], requests: [], bytes: 0 });
  }

  before(async () => {
    server = await startServer();
    // A self-signed certificate for 127.0.0.1: what any machine registering a Node can make.
    const key = join(tmp, 'self.key');
    const crt = join(tmp, 'self.crt');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        key,
        '-out',
        crt,
        '-days',
        '1',
        '-subj',
        '/CN=system:node:rogue',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    const rogue = record('rogue');
    const rogueSrv = createTlsServer({ key: readFileSync(key), cert: readFileSync(crt), requestCert: true, rejectUnauthorized: false }, (s: TLSSocket) => {
      rogue.handshakes++;
      const peer = s.getPeerCertificate();
      if (peer && Object.keys(peer).length) rogue.clientCerts.push(String(peer.subject?.CN));
      s.on('data', (d: Buffer) => (rogue.bytes += d.length));
    });
    await new Promise<void>((r) => rogueSrv.listen(0, '127.0.0.1', r));
    closers.push(() => rogueSrv.close());
    registerNode('rogue', (rogueSrv.address() as AddressInfo).port);

    // A genuine endpoint: a serving certificate of the cluster CA for 127.0.0.1.
    const genuine = record('genuine');
    const cert = await issueNodeServingCertificate(readCaFiles(server.dataDir), 'genuine', ['127.0.0.1']);
    const genuineSrv = createHttpsServer({ ...cert, requestCert: true, rejectUnauthorized: false }, (req, res) => {
      genuine.requests.push({ url: req.url, authorization: req.headers.authorization });
      genuine.clientCerts.push(String((req.socket as TLSSocket).getPeerCertificate().subject?.CN));
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('hello from the genuine agent\n');
    });
    await new Promise<void>((r) => genuineSrv.listen(0, '127.0.0.1', r));
    closers.push(() => genuineSrv.close());
    registerNode('genuine', (genuineSrv.address() as AddressInfo).port);

    // A hung agent: accepts connections and never says a word.
    const sockets: Socket[] = [];
    const hung = createNetServer((s) => sockets.push(s));
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
    closers.push(() => {
      sockets.forEach((s) => s.destroy());
      hung.close();
    });
    registerNode('hung', (hung.address() as AddressInfo).port);
  });

  after(async () => {
    closers.forEach((c) => c());
    await server?.stop();
    server?.cleanup();
    rmSync(tmp, { recursive: true, force: true });
  });

  test('kubectl logs and exec against a self-signed agent fail with a TLS verification error; it gets no request and no credential', async () => {
    const logs = await kubectlAsync(server, ['logs', 'on-rogue']);
    assert.notEqual(logs.code, 0);
    assert.match(
      logs.stderr,
      /cannot verify the serving certificate of the agent of node rogue at 127\.0\.0\.1:\d+ against the cluster CA: self[- ]signed certificate/,
    );
    const exec = await kubectlAsync(server, ['exec', 'on-rogue', '--', 'true']);
    assert.notEqual(exec.code, 0);
    assert.match(exec.stderr, /cannot verify the serving certificate of the agent of node rogue/);
    assert.equal(seen.rogue!.handshakes, 0, 'no TLS session was completed');
    assert.deepEqual(seen.rogue!.clientCerts, []);
    assert.equal(seen.rogue!.bytes, 0, 'not a byte of any request');
  });

  test("a genuine agent gets the API server's client certificate and no bearer token", async () => {
    const logs = await kubectlAsync(server, ['logs', 'on-genuine']);
    assert.equal(logs.code, 0, logs.stderr);
    assert.equal(logs.stdout, 'hello from the genuine agent\n');
    assert.equal(seen.genuine!.requests.length, 1);
    assert.match(String(seen.genuine!.requests[0]!.url), /^\/containerLogs\/default\/on-genuine\/c/);
    assert.equal(seen.genuine!.requests[0]!.authorization, undefined);
    assert.deepEqual(seen.genuine!.clientCerts, ['kube-apiserver-kubelet-client']);
  });

  test('kubectl logs against a hung agent ends with a 504 within the bound', async () => {
    const started = Date.now();
    const r = await kubectlAsync(server, ['logs', 'on-hung']);
    const took = Date.now() - started;
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Error from server \(Timeout\): the agent of node hung at 127\.0\.0\.1:\d+ did not answer within 15 s/);
    assert.ok(took >= 14_000 && took < 25_000, `ended after ${took} ms`);
  });

  test('CertificateSigningRequests with kubectl: columns, approve, issue, deny, bad input', async () => {
    const key = join(tmp, 'n.key');
    const req = join(tmp, 'n.csr');
    const make = (cn: string, san: string) => {
      execFileSync(
        'openssl',
        [
          'req',
          '-new',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:P-256',
          '-nodes',
          '-keyout',
          key,
          '-out',
          req,
          '-subj',
          cn,
          '-addext',
          `subjectAltName=${san}`,
        ],
        { stdio: 'ignore' },
      );
      return readFileSync(req).toString('base64');
    };
    const csr = (name: string, request: string, extra: Record<string, unknown> = {}) => ({
      apiVersion: 'certificates.k8s.io/v1',
      kind: 'CertificateSigningRequest',
      metadata: { name },
      spec: { request, signerName: 'kubernetes.io/kubelet-serving', usages: ['digital signature', 'server auth'], ...extra },
    });
    const serving = make('/CN=system:node:elsewhere/O=system:nodes', 'DNS:elsewhere,IP:10.9.9.9');
    let r = kubectl(server, ['create', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [csr('by-hand', serving, { expirationSeconds: 7200 }), csr('to-deny', serving)] }),
    });
    assert.equal(r.code, 0, r.stderr);
    r = kubectl(server, ['get', 'csr', 'by-hand']);
    assert.match(r.stdout, /^NAME\s+AGE\s+SIGNERNAME\s+REQUESTOR\s+REQUESTEDDURATION\s+CONDITION\n/);
    // No Node "elsewhere": the approver leaves it for a person.
    assert.match(r.stdout, /by-hand\s+\S+\s+kubernetes\.io\/kubelet-serving\s+system:admin\s+120m\s+Pending\n/);
    r = kubectl(server, ['certificate', 'approve', 'by-hand']);
    assert.equal(r.code, 0, r.stderr);
    await eventually(() => (/Approved,Issued/.test(kubectl(server, ['get', 'csr', 'by-hand']).stdout) ? true : undefined), 'by-hand issued', 15_000);
    const pem = Buffer.from(kubectl(server, ['get', 'csr', 'by-hand', '-o', 'jsonpath={.status.certificate}']).stdout, 'base64').toString();
    writeFileSync(join(tmp, 'issued.crt'), pem);
    const ca = join(server.dataDir, 'pki', 'ca.crt');
    assert.match(execFileSync('openssl', ['verify', '-CAfile', ca, join(tmp, 'issued.crt')], { encoding: 'utf8' }), /OK/);
    r = kubectl(server, ['certificate', 'deny', 'to-deny']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(kubectl(server, ['get', 'csr', 'to-deny']).stdout, /to-deny\s.*\sDenied\n/);
    // Denied stays denied: approval and denial exclude each other.
    r = kubectl(server, ['certificate', 'approve', 'to-deny']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /already Denied/);

    r = kubectl(server, ['create', '-f', '-'], {
      input: JSON.stringify(csr('bad', Buffer.from('not a request').toString('base64'), { usages: ['server auth', 'teleport'], expirationSeconds: 60 })),
    });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /The CertificateSigningRequest "bad" is invalid: \n\* spec\.request: Invalid value: "<request>": PEM block type must be CERTIFICATE REQUEST\n\* spec\.usages\[1\]: Unsupported value: "teleport": supported values: "signing", .*\n\* spec\.expirationSeconds: Invalid value: 60: may not specify a duration less than 600 seconds \(10 minutes\)\n/,
    );
  });
});
