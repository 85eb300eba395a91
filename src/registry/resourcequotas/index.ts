// The resourcequotas kind (core/v1): its registry entry, declared here and listed in
// src/registry/index.ts. The quota controller (src/controllers/resourcequota) keeps its status
// current; the ResourceQuota admission plugin charges and refuses against it.
import { STATUS } from '../../api/kind.js';
import type { KindDef } from '../kind.js';
import { resourceQuotaPrinter } from './printer.js';
import { resourceQuotaValidator } from './validation.js';

export const resourcequotas: KindDef = {
  kind: 'ResourceQuota',
  plural: 'resourcequotas',
  namespaced: true,
  shortNames: ['quota'],
  subresources: [STATUS],
  hasStatus: true,
  printer: resourceQuotaPrinter,
  validator: resourceQuotaValidator,
};
