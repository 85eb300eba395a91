// The services kind (core/v1 Service): its registry entry and its code, declared here and
// listed in src/api/registry.ts.
import { path, STATUS } from '../../api/kind.js';
import type { KindDef } from '../kind.js';
import { servicePrinter } from './printer.js';
import { serviceValidator } from './validation.js';
import { defaultService } from './defaults.js';
import { serviceStrategy } from './strategy.js';

export const services: KindDef = {
  kind: 'Service',
  plural: 'services',
  namespaced: true,
  shortNames: ['svc'],
  categories: ['all'],
  subresources: [STATUS, { name: 'proxy', verbs: ['create', 'delete', 'get', 'patch', 'update'], kind: 'ServiceProxyOptions' }],
  hasStatus: true,
  returnDeletedObject: true,
  // Upstream's ServiceToSelectableFields (kube-proxy lists with spec.clusterIP!=None).
  fieldLabels: { 'spec.clusterIP': path('spec', 'clusterIP'), 'spec.type': path('spec', 'type') },
  printer: servicePrinter,
  defaulter: defaultService,
  validator: serviceValidator,
  strategy: serviceStrategy,
};
