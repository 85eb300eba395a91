// The replicasets kind (apps): its registry entry and its code, declared here and listed in src/registry/index.ts.
import { path, SCALE, STATUS } from '../../api/kind.js';
import type { KindDef } from '../kind.js';
import { replicaSetPrinter } from './printer.js';
import { replicaSetValidator } from './validation.js';
import { defaultReplicaSet } from './defaults.js';

export const replicasets: KindDef = {
  group: 'apps',
  kind: 'ReplicaSet',
  plural: 'replicasets',
  namespaced: true,
  shortNames: ['rs'],
  categories: ['all'],
  subresources: [STATUS, SCALE],
  hasStatus: true,
  hasGeneration: true,
  fieldLabels: { 'status.replicas': path('status', 'replicas') },
  printer: replicaSetPrinter,
  defaulter: defaultReplicaSet,
  validator: replicaSetValidator,
};
