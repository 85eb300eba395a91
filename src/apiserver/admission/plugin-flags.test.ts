import { test } from 'node:test';
import assert from 'node:assert/strict';
import { admissionChainFromFlags } from './plugin-flags.js';
import { admissionPlugins } from './plugins.js';

const namesOf = (enable?: string, disable?: string) => admissionChainFromFlags(enable, disable).chain.plugins.map((p) => p.name);

test('with no flags every Berth plugin runs, in order', () => {
  assert.deepEqual(
    namesOf(),
    admissionPlugins.map((p) => p.name),
  );
});

test('a disabled plugin is left out of the chain, the others keep their order', () => {
  const names = namesOf(undefined, 'ServiceAccount, Priority');
  assert.ok(!names.includes('ServiceAccount') && !names.includes('Priority'));
  assert.deepEqual(
    names,
    admissionPlugins.map((p) => p.name).filter((n) => n !== 'ServiceAccount' && n !== 'Priority'),
  );
});

test('enabling a plugin Berth runs anyway changes nothing; one it does not have is refused', () => {
  assert.deepEqual(namesOf('NodeRestriction,ResourceQuota'), namesOf());
  assert.throws(
    () => admissionChainFromFlags('AlwaysPullImages', undefined),
    /^Error: enable-admission-plugins plugin "AlwaysPullImages" is not available in Berth$/,
  );
});

test("unknown names and overlaps are refused in upstream's words", () => {
  assert.throws(() => admissionChainFromFlags('Serviceaccount', undefined), /enable-admission-plugins plugin "Serviceaccount" is unknown/);
  assert.throws(() => admissionChainFromFlags(undefined, 'Nope'), /disable-admission-plugins plugin "Nope" is unknown/);
  assert.throws(
    () => admissionChainFromFlags('Priority,LimitRanger', 'LimitRanger,Priority'),
    /\[LimitRanger Priority\] in enable-admission-plugins and disable-admission-plugins overlapped/,
  );
});

test('disabling an upstream plugin Berth lacks is a note; one Berth applies in a strategy is refused', () => {
  const { chain, notes } = admissionChainFromFlags(undefined, 'TaintNodesByCondition');
  assert.equal(chain.plugins.length, admissionPlugins.length);
  assert.deepEqual(notes, ['admission plugin TaintNodesByCondition is not part of Berth: nothing to disable']);
  assert.throws(() => admissionChainFromFlags(undefined, 'StorageObjectInUseProtection'), /cannot be disabled in Berth/);
});
