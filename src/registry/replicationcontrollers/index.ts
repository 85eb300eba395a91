// The replicationcontrollers kind (core, legacy): its registry entry and its code, declared here and listed in src/registry/index.ts.
import { path, SCALE, STATUS } from '../../api/kind.js';
import type { KindDef } from '../kind.js';
import { replicationControllerPrinter } from './printer.js';
import { replicationControllerValidator } from './validation.js';
import { defaultReplicationController } from './defaults.js';

export const replicationcontrollers: KindDef = {
  kind: 'ReplicationController',
  plural: 'replicationcontrollers',
  namespaced: true,
  shortNames: ['rc'],
  categories: ['all'],
  subresources: [STATUS, SCALE],
  hasStatus: true,
  hasGeneration: true,
  fieldLabels: { 'status.replicas': path('status', 'replicas') },
  printer: replicationControllerPrinter,
  defaulter: defaultReplicationController,
  validator: replicationControllerValidator,
};
