import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { EncryptionConfigError, defaultEncryptionConfig, loadEncryptionConfig, parseEncryptionConfig, writeEncryptionConfig } from './config.js';

const k32 = Buffer.alloc(32, 7).toString('base64');
const k16 = Buffer.alloc(16, 7).toString('base64');
const dir = mkdtempSync(join(tmpdir(), 'berth-enc-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const yaml = `apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: [secrets, configmaps]
    providers:
      - aesgcm:
          keys:
            - name: g1
              secret: ${k16}
      - aescbc:
          keys:
            - name: c1
              secret: ${k32}
      - identity: {}
  - resources: ["*.apps", secrets]
    providers:
      - identity: {}
`;

test('upstream YAML: resources map to store prefixes, the first entry naming a resource wins', () => {
  const c = parseEncryptionConfig(yaml, 'enc.yaml');
  const byPrefix = new Map(c.routes.map((r) => [r.prefix, r.transformer.writer]));
  assert.equal(byPrefix.get('/registry/secrets/'), 'aesgcm:g1');
  assert.equal(byPrefix.get('/registry/configmaps/'), 'aesgcm:g1');
  assert.equal(byPrefix.get('/registry/deployments.apps/'), 'identity');
  assert.equal(byPrefix.get('/registry/replicasets.apps/'), 'identity');
  assert.equal(byPrefix.has('/registry/pods/'), false);
});

test('the generated configuration (k3s-like) holds one fresh 32-byte aescbc key, then identity; file 0600', () => {
  const a = defaultEncryptionConfig();
  const b = defaultEncryptionConfig();
  const key = a.resources[0]!.providers[0]!.aescbc!.keys[0]!;
  assert.equal(Buffer.from(key.secret, 'base64').length, 32);
  assert.notEqual(key.secret, b.resources[0]!.providers[0]!.aescbc!.keys[0]!.secret);
  const file = join(dir, 'cred', 'encryption-config.json');
  writeEncryptionConfig(file, a);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const c = loadEncryptionConfig(file);
  assert.deepEqual(
    c.routes.map((r) => [r.prefix, r.transformer.writer]),
    [['/registry/secrets/', 'aescbc:aescbckey']],
  );
  assert.deepEqual(
    c.routes[0]!.transformer.providers.map((p) => p.type),
    ['aescbc', 'identity'],
  );
});

const cfg = (providers: unknown, resources: unknown = ['secrets']) =>
  JSON.stringify({ apiVersion: 'apiserver.config.k8s.io/v1', kind: 'EncryptionConfiguration', resources: [{ resources, providers }] });

for (const [title, text, message] of [
  ['wrong kind', JSON.stringify({ apiVersion: 'apiserver.config.k8s.io/v1', kind: 'Foo', resources: [] }), /kind must be EncryptionConfiguration/],
  ['wrong apiVersion', JSON.stringify({ apiVersion: 'v1', kind: 'EncryptionConfiguration', resources: [] }), /apiVersion must be apiserver.config.k8s.io\/v1/],
  ['not YAML', 'resources: [\n', /not YAML or JSON/],
  ['no providers', cfg([]), /providers: at least one provider/],
  ['two types in one provider', cfg([{ aescbc: { keys: [{ name: 'a', secret: k32 }] }, identity: {} }]), /exactly one type/],
  ['aescbc with a 16-byte key', cfg([{ aescbc: { keys: [{ name: 'a', secret: k16 }] } }]), /aescbc keys are 32 bytes, this one is 16/],
  ['a key that is not base64', cfg([{ aesgcm: { keys: [{ name: 'a', secret: 'not base64!' }] } }]), /secret: must be base64/],
  ['a key name with a colon', cfg([{ aescbc: { keys: [{ name: 'a:b', secret: k32 }] } }]), /may not contain ':'/],
  [
    'a key name used twice',
    cfg([
      {
        aescbc: {
          keys: [
            { name: 'a', secret: k32 },
            { name: 'a', secret: k32 },
          ],
        },
      },
    ]),
    /used twice/,
  ],
  ['no keys', cfg([{ aescbc: { keys: [] } }]), /at least one key/],
  ['secretbox', cfg([{ secretbox: { keys: [{ name: 'a', secret: k32 }] } }]), /secretbox is not supported by berth/],
  ['kms', cfg([{ kms: { name: 'x' } }]), /kms is not supported/],
  ['unknown provider', cfg([{ rot13: {} }]), /unknown provider type "rot13"/],
  ['a bad resource name', cfg([{ identity: {} }], ['Secrets']), /"Secrets" is not a resource/],
] as const) {
  test(`a bad configuration is refused with one line naming the file and the field: ${title}`, () => {
    assert.throws(
      () => parseEncryptionConfig(text, '/etc/enc.json'),
      (e: Error) => e instanceof EncryptionConfigError && message.test(e.message) && e.message.startsWith('/etc/enc.json: ') && !e.message.includes('\n'),
    );
  });
}

test('a missing file is one clear error', () => {
  assert.throws(() => loadEncryptionConfig(join(dir, 'nope.yaml')), /cannot read encryption provider config .*nope.yaml: ENOENT/);
});
