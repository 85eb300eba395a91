// The namespaces kind: its registry entry and its code, declared here and listed in src/api/registry.ts.
import { path, STATUS, type KindDef } from '../../api/kind.js';
import { namespaceStrategy } from './strategy.js';

export const namespaces: KindDef = {
  kind: 'Namespace',
  plural: 'namespaces',
  namespaced: false,
  shortNames: ['ns'],
  verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  subresources: [STATUS, { name: 'finalize', verbs: ['update'] }],
  hasStatus: true,
  returnDeletedObject: true,
  fieldLabels: { 'status.phase': path('status', 'phase') },
  strategy: namespaceStrategy,
};
