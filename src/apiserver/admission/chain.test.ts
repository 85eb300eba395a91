import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../api/object.js';
import { AdmissionChain } from './chain.js';
import { admissionPlugins } from './plugins.js';
import { attributes } from './test-helpers.js';
import type { AdmissionPlugin } from './types.js';

const cm: KObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'team' } };

test('the chain runs every mutating step in order, and validating steps only when asked, skipping plugins that do not handle the request', async () => {
  const seen: string[] = [];
  const plugin = (name: string, handles: boolean): AdmissionPlugin => ({
    name,
    handles: () => handles,
    admit: (a) => {
      seen.push(`admit ${name}`);
      (a.object!.metadata.labels ??= {})[name] = 'x';
    },
    validate: () => void seen.push(`validate ${name}`),
  });
  const chain = new AdmissionChain([plugin('a', true), plugin('skipped', false), plugin('b', true)]);
  const a = attributes('configmaps', { object: structuredClone(cm) });
  await chain.admit(a);
  assert.deepEqual(seen, ['admit a', 'admit b']);
  assert.deepEqual(a.object!.metadata.labels, { a: 'x', b: 'x' });
  await chain.validate(a);
  assert.deepEqual(seen, ['admit a', 'admit b', 'validate a', 'validate b']);
});

test('a refusal stops the chain: later plugins do not run', async () => {
  const ran: string[] = [];
  const chain = new AdmissionChain([
    {
      name: 'no',
      handles: () => true,
      validate: () => {
        throw new Error('refused');
      },
    },
    { name: 'later', handles: () => true, validate: () => void ran.push('later') },
  ]);
  await assert.rejects(chain.validate(attributes('configmaps', { object: cm })), /refused/);
  assert.deepEqual(ran, []);
});

test("the default plugins keep upstream's order", () => {
  const upstream = [
    'NamespaceLifecycle',
    'LimitRanger',
    'ServiceAccount',
    'NodeRestriction',
    'TaintNodesByCondition',
    'PodSecurity',
    'Priority',
    'DefaultTolerationSeconds',
    'DefaultStorageClass',
    'StorageObjectInUseProtection',
    'RuntimeClass',
    'DefaultIngressClass',
    'MutatingAdmissionWebhook',
    'ValidatingAdmissionPolicy',
    'ValidatingAdmissionWebhook',
    'ResourceQuota',
  ];
  const names = admissionPlugins.map((p) => p.name);
  for (const n of names) assert.ok(upstream.includes(n), `${n} is an upstream plugin`);
  const positions = names.map((n) => upstream.indexOf(n));
  assert.deepEqual(
    positions,
    [...positions].sort((x, y) => x - y),
  );
  assert.equal(new Set(names).size, names.length);
});
