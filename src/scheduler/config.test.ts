// The configuration file as kube-scheduler reads it, and the framework a profile builds into.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, DEFAULT_SCHEDULER_NAME, defaultConfig, parseConfig } from './config.js';
import { buildFramework } from './profile.js';
import { pluginRegistry } from './plugins/index.js';
import { makeSnapshot } from './framework/testing.js';

const handle = { snapshot: () => makeSnapshot([]) } as never;
const build = (doc: unknown) => parseConfig(doc).profiles.map((p) => buildFramework(p, pluginRegistry(), handle));
const base = { apiVersion: 'kubescheduler.config.k8s.io/v1', kind: 'KubeSchedulerConfiguration' };

test("the default profile has upstream's plugins at each point, with upstream's score weights", () => {
  const [fwk] = defaultConfig().profiles.map((p) => buildFramework(p, pluginRegistry(), handle));
  const p = fwk!.plugins;
  assert.equal(fwk!.profileName, DEFAULT_SCHEDULER_NAME);
  assert.equal(p.queueSort.name, 'PrioritySort');
  assert.deepEqual(
    p.preEnqueue.map((x) => x.name),
    ['SchedulingGates'],
  );
  assert.deepEqual(
    p.filter.map((x) => x.name),
    [
      'NodeUnschedulable',
      'NodeName',
      'TaintToleration',
      'NodeAffinity',
      'NodePorts',
      'NodeResourcesFit',
      'NodeVolumeLimits',
      'VolumeBinding',
      'PodTopologySpread',
      'InterPodAffinity',
    ],
  );
  assert.deepEqual(
    [...p.reserve, ...p.preBind].map((x) => x.name),
    ['VolumeBinding', 'VolumeBinding'],
  );
  assert.deepEqual(
    p.postFilter.map((x) => x.name),
    ['DefaultPreemption'],
  );
  assert.deepEqual(
    p.score.map((x) => [x.plugin.name, x.weight]),
    [
      ['TaintToleration', 3],
      ['NodeAffinity', 2],
      ['NodeResourcesFit', 1],
      ['PodTopologySpread', 2],
      ['InterPodAffinity', 2],
      ['NodeResourcesBalancedAllocation', 1],
      ['ImageLocality', 1],
    ],
  );
  assert.deepEqual(
    p.bind.map((x) => x.name),
    ['DefaultBinder'],
  );
});

test('per-point disable and enable with weight; multiPoint disable of everything', () => {
  const [fwk] = build({
    ...base,
    profiles: [
      {
        schedulerName: 'custom',
        plugins: {
          score: { disabled: [{ name: 'ImageLocality' }], enabled: [{ name: 'NodeAffinity', weight: 7 }] },
          filter: { disabled: [{ name: 'NodePorts' }] },
        },
      },
    ],
  });
  const p = fwk!.plugins;
  assert.ok(!p.score.some((x) => x.plugin.name === 'ImageLocality'));
  assert.deepEqual(p.score.find((x) => x.plugin.name === 'NodeAffinity')?.weight, 7);
  assert.equal(p.score[0]!.plugin.name, 'NodeAffinity', 'plugins enabled at a point come first');
  assert.ok(!p.filter.some((x) => x.name === 'NodePorts'));
  assert.ok(
    p.preFilter.some((x) => x.name === 'NodePorts'),
    'only the filter point was disabled',
  );

  assert.throws(() => build({ ...base, profiles: [{ plugins: { multiPoint: { disabled: [{ name: '*' }] } } }] }), /exactly one queueSort plugin/);
});

test('pluginConfig args reach the plugin; bad args and unknown plugins are clear errors', () => {
  const [fwk] = build({ ...base, profiles: [{ pluginConfig: [{ name: 'NodeResourcesFit', args: { scoringStrategy: { type: 'MostAllocated' } } }] }] });
  assert.ok(fwk);
  assert.throws(
    () => build({ ...base, profiles: [{ pluginConfig: [{ name: 'NodeResourcesFit', args: { scoringStrategy: { type: 'Nope' } } }] }] }),
    ConfigError,
  );
  assert.throws(() => build({ ...base, profiles: [{ plugins: { filter: { enabled: [{ name: 'Nope' }] } } }] }), /plugin "Nope" does not exist/);
  assert.throws(() => build({ ...base, profiles: [{ pluginConfig: [{ name: 'Nope', args: {} }] }] }), /pluginConfig for unknown plugin "Nope"/);
  assert.throws(() => build({ ...base, profiles: [{ plugins: { score: { enabled: [{ name: 'DefaultBinder' }] } } }] }), /does not extend score/);
});

test('document-level errors: kind, apiVersion, percentages, duplicate profiles, leader election', () => {
  assert.throws(() => parseConfig({ ...base, kind: 'Other' }), /kind must be KubeSchedulerConfiguration/);
  assert.throws(() => parseConfig({ ...base, apiVersion: 'v1' }), /apiVersion must be kubescheduler.config.k8s.io\/v1/);
  assert.throws(() => parseConfig({ ...base, percentageOfNodesToScore: 101 }), /not in valid range \[0-100\]/);
  assert.throws(() => parseConfig({ ...base, profiles: [{ schedulerName: 'a' }, { schedulerName: 'a' }] }), /Duplicate value: "a"/);
  const c = parseConfig({
    ...base,
    percentageOfNodesToScore: 20,
    leaderElection: { leaderElect: false, resourceName: 'mine' },
    profiles: [{ schedulerName: 'a' }, { schedulerName: 'b', percentageOfNodesToScore: 50 }],
  });
  assert.deepEqual(
    c.profiles.map((p) => [p.schedulerName, p.percentageOfNodesToScore]),
    [
      ['a', 20],
      ['b', 50],
    ],
  );
  assert.deepEqual(c.leaderElection, { leaderElect: false, resourceName: 'mine', resourceNamespace: 'kube-system' });
});
