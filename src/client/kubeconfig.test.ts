import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { KubeconfigError, loadKubeconfig, parseKubeconfig } from './kubeconfig.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function config(extra: { users?: unknown[]; contexts?: unknown[]; clusters?: unknown[]; current?: string } = {}): string {
  return YAML.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: extra.clusters ?? [
      { name: 'berth', cluster: { server: 'https://127.0.0.1:6443/', 'certificate-authority-data': b64('CA PEM') } },
      { name: 'other', cluster: { server: 'https://10.0.0.1:443', 'insecure-skip-tls-verify': true, 'tls-server-name': 'kubernetes' } },
    ],
    users: extra.users ?? [
      { name: 'admin', user: { token: 'secret-token' } },
      { name: 'certuser', user: { 'client-certificate-data': b64('CERT PEM'), 'client-key-data': b64('KEY PEM') } },
    ],
    contexts: extra.contexts ?? [
      { name: 'berth', context: { cluster: 'berth', user: 'admin' } },
      { name: 'certs', context: { cluster: 'other', user: 'certuser', namespace: 'kube-system' } },
    ],
    'current-context': extra.current ?? 'berth',
  });
}

test('kubeconfig: current context with a token and CA data', () => {
  assert.deepEqual(parseKubeconfig(config()), { server: 'https://127.0.0.1:6443', ca: 'CA PEM', token: 'secret-token' });
});

test('kubeconfig: a named context with client certificate, key, namespace and TLS options', () => {
  assert.deepEqual(parseKubeconfig(config(), { context: 'certs' }), {
    server: 'https://10.0.0.1:443',
    insecureSkipTLSVerify: true,
    tlsServerName: 'kubernetes',
    cert: 'CERT PEM',
    key: 'KEY PEM',
    namespace: 'kube-system',
  });
});

test('kubeconfig: file references resolve relative to the kubeconfig, data wins over files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kc-'));
  try {
    writeFileSync(join(dir, 'ca.crt'), 'CA FROM FILE');
    writeFileSync(join(dir, 'client.crt'), 'CERT FROM FILE');
    writeFileSync(join(dir, 'client.key'), 'KEY FROM FILE');
    writeFileSync(join(dir, 'token'), 'file-token\n');
    const text = config({
      clusters: [{ name: 'berth', cluster: { server: 'https://h:1', 'certificate-authority': 'ca.crt' } }],
      users: [
        {
          name: 'admin',
          user: { 'client-certificate': 'client.crt', 'client-key': join(dir, 'client.key'), 'client-key-data': b64('KEY DATA'), tokenFile: 'token' },
        },
      ],
    });
    writeFileSync(join(dir, 'config'), text);
    assert.deepEqual(loadKubeconfig(join(dir, 'config')), {
      server: 'https://h:1',
      ca: 'CA FROM FILE',
      cert: 'CERT FROM FILE',
      key: 'KEY DATA',
      token: 'file-token',
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('kubeconfig: the server writes a config this reads (token auth)', async () => {
  const { writeKubeconfig } = await import('../apiserver/kubeconfig.js');
  const dir = mkdtempSync(join(tmpdir(), 'kc-'));
  try {
    writeKubeconfig(join(dir, 'kubeconfig.yaml'), 'https://127.0.0.1:40000', '-----BEGIN CERTIFICATE-----\nX\n', 'tok');
    assert.deepEqual(loadKubeconfig(join(dir, 'kubeconfig.yaml')), {
      server: 'https://127.0.0.1:40000',
      ca: '-----BEGIN CERTIFICATE-----\nX\n',
      token: 'tok',
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('kubeconfig: errors name what is missing', () => {
  assert.throws(() => parseKubeconfig(config({ current: '' })), /no current-context/);
  assert.throws(() => parseKubeconfig(config(), { context: 'nope' }), /no context named "nope"/);
  assert.throws(() => parseKubeconfig(config({ contexts: [{ name: 'berth', context: { cluster: 'gone', user: 'admin' } }] })), /no cluster named "gone"/);
  assert.throws(
    () => parseKubeconfig(config({ users: [{ name: 'admin', user: { 'client-certificate-data': b64('C') } }] })),
    (e: unknown) => e instanceof KubeconfigError && /both a client certificate and a client key/.test(e.message),
  );
  assert.throws(() => loadKubeconfig('/nonexistent/kubeconfig'), /cannot read kubeconfig/);
  assert.throws(() => parseKubeconfig(''), /empty/);
});
