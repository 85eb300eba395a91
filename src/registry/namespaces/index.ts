// The namespaces kind: its registry entry and its code, declared here and listed in src/registry/index.ts.
import { path, STATUS } from '../../api/kind.js';
import type { KindDef } from '../kind.js';
import { namespaceStrategy } from './strategy.js';
import { namespacePrinter } from './printer.js';
import { namespaceValidator } from './validation.js';
import { defaultNamespace } from './defaults.js';

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
  printer: namespacePrinter,
  defaulter: defaultNamespace,
  validator: namespaceValidator,
  strategy: namespaceStrategy,
};
