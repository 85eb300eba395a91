import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseExternalIP, parseNodeLabels, parseNodeTaints, parseTaintSpec } from './registration-flags.js';

test('--node-label: KEY=VALUE pairs, empty values allowed, a later value of a key wins', () => {
  assert.deepEqual(parseNodeLabels(['disk=ssd', 'example.com/team=', 'disk=hdd']), { disk: 'hdd', 'example.com/team': '' });
  assert.deepEqual(parseNodeLabels(undefined), {});
});

test('--node-label: the kubernetes.io labels a kubelet may set pass, others and node-restriction.kubernetes.io are refused', () => {
  const ok = [
    'node-role.kubelet.kubernetes.io/worker=true',
    'node.kubernetes.io/pool=blue',
    'team.node.kubernetes.io/x=y',
    'topology.kubernetes.io/zone=z1',
    'kubernetes.io/hostname=h',
  ];
  assert.equal(Object.keys(parseNodeLabels(ok)).length, ok.length);
  for (const bad of [
    'node-restriction.kubernetes.io/tier=gold',
    'node-role.kubernetes.io/master=true',
    'k8s.io/x=y',
    'sub.k8s.io/x=y',
    'kubernetes.io/other=1',
  ]) {
    assert.throws(
      () => parseNodeLabels([bad]),
      (e: Error) => e.message.startsWith(`--node-label "${bad}": a node may not set`) && e.message.includes('node.kubernetes.io'),
      bad,
    );
  }
});

test('--node-label: syntax errors name the flag and the part that is wrong', () => {
  assert.throws(() => parseNodeLabels(['disk']), /^Error: --node-label "disk": must be KEY=VALUE$/);
  assert.throws(() => parseNodeLabels(['-bad=x']), /--node-label "-bad=x": key "-bad": name part must consist/);
  assert.throws(() => parseNodeLabels(['ok=no way']), /--node-label "ok=no way": value "no way": a valid label must be/);
  assert.throws(() => parseNodeLabels([`k=${'v'.repeat(64)}`]), /must be no more than 63 characters/);
});

test('--node-taint: KEY[=VALUE]:EFFECT with the three effects', () => {
  assert.deepEqual(parseNodeTaints(['dedicated=gpu:NoSchedule', 'spot:PreferNoSchedule', 'dedicated=gpu:NoExecute']), [
    { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' },
    { key: 'spot', effect: 'PreferNoSchedule' },
    { key: 'dedicated', value: 'gpu', effect: 'NoExecute' },
  ]);
  assert.deepEqual(parseTaintSpec('example.com/k=:NoSchedule'), { key: 'example.com/k', effect: 'NoSchedule' });
});

test('--node-taint: bad specs and a key given twice with one effect are refused', () => {
  assert.throws(() => parseNodeTaints(['dedicated=gpu']), /--node-taint "dedicated=gpu": must be KEY\[=VALUE\]:EFFECT/);
  assert.throws(() => parseNodeTaints(['a:b:NoSchedule']), /must be KEY\[=VALUE\]:EFFECT/);
  assert.throws(() => parseNodeTaints(['a=b=c:NoSchedule']), /must be KEY\[=VALUE\]:EFFECT/);
  assert.throws(() => parseNodeTaints(['k=v:NoScheduled']), /effect "NoScheduled" is not one of NoSchedule, PreferNoSchedule, NoExecute/);
  assert.throws(() => parseNodeTaints(['bad key=v:NoSchedule']), /key "bad key"/);
  assert.throws(() => parseNodeTaints(['k=bad value:NoSchedule']), /value "bad value"/);
  assert.throws(() => parseNodeTaints(['k=a:NoSchedule', 'k=b:NoSchedule']), /a taint with key "k" and effect NoSchedule is given twice/);
});

test('--node-external-ip: an IPv4 or IPv6 address, not the unspecified one', () => {
  assert.equal(parseExternalIP(' 203.0.113.7 '), '203.0.113.7');
  assert.equal(parseExternalIP('2001:db8::7'), '2001:db8::7');
  assert.equal(parseExternalIP(undefined), undefined);
  assert.throws(() => parseExternalIP('203.0.113'), /--node-external-ip "203.0.113": not an IP address/);
  assert.throws(() => parseExternalIP('0.0.0.0'), /unspecified address/);
});
