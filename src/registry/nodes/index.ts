// The nodes kind: its registry entry and its code, declared here and listed in src/registry/index.ts.
import { STATUS } from '../../api/kind.js';
import type { KindDef } from '../kind.js';
import { nodeStrategy } from './strategy.js';
import { nodePrinter } from './printer.js';
import { nodeValidator } from './validation.js';
import { defaultNode } from './defaults.js';

export const nodes: KindDef = {
  kind: 'Node',
  plural: 'nodes',
  namespaced: false,
  shortNames: ['no'],
  subresources: [STATUS, { name: 'proxy', verbs: ['create', 'delete', 'get', 'patch', 'update'], kind: 'NodeProxyOptions' }],
  hasStatus: true,
  fieldLabels: { 'spec.unschedulable': (o) => String((o.spec as { unschedulable?: boolean } | undefined)?.unschedulable ?? false) },
  printer: nodePrinter,
  defaulter: defaultNode,
  validator: nodeValidator,
  strategy: nodeStrategy,
};
