import { test } from 'node:test';
import assert from 'node:assert/strict';
import { controllerManagerArgs, schedulerArgs } from './component-processes.js';

test('component processes: the scheduler gets its kubeconfig, metrics address, config file and log flags', () => {
  assert.deepEqual(schedulerArgs('/d', { metricsBindAddress: '127.0.0.1:0', configFile: 'sched.yaml' }, { v: '4', logFormat: 'json' }), [
    'scheduler',
    '--kubeconfig',
    '/d/scheduler.kubeconfig',
    '--metrics-bind-address',
    '127.0.0.1:0',
    '--config',
    'sched.yaml',
    '--v',
    '4',
    '--log-format',
    'json',
  ]);
  assert.deepEqual(schedulerArgs('/d', { metricsBindAddress: '127.0.0.1:10259' }, {}), [
    'scheduler',
    '--kubeconfig',
    '/d/scheduler.kubeconfig',
    '--metrics-bind-address',
    '127.0.0.1:10259',
  ]);
});

test('component processes: the controller manager gets the cluster CA and every controller flag the server was given, as given', () => {
  const args = controllerManagerArgs(
    '/d',
    { nodeMonitorGracePeriod: '5', clusterCidr: '10.9.0.0/16', nodeCidrMaskSize: '26', maxEndpointsPerSlice: '7', allocateNodeCidrs: 'false' },
    { logLevel: 'debug' },
  );
  assert.deepEqual(args, [
    'controller-manager',
    '--kubeconfig',
    '/d/controller-manager.kubeconfig',
    '--cluster-signing-cert-file',
    '/d/pki/ca.crt',
    '--cluster-signing-key-file',
    '/d/pki/ca.key',
    '--node-monitor-grace-period',
    '5',
    '--cluster-cidr',
    '10.9.0.0/16',
    '--node-cidr-mask-size',
    '26',
    '--max-endpoints-per-slice',
    '7',
    '--allocate-node-cidrs=false',
    '--log-level',
    'debug',
  ]);
  // The bare flag (commander's true) stays one argument.
  assert.ok(controllerManagerArgs('/d', { allocateNodeCidrs: true }, {}).includes('--allocate-node-cidrs=true'));
  assert.equal(controllerManagerArgs('/d', {}, {}).length, 7, 'nothing but the kubeconfig and the CA when no flag was given');
});
