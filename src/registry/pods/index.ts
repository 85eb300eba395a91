// The pods kind: its registry entry and its code, declared here and listed in src/registry/index.ts.
import { path, STATUS } from '../../api/kind.js';
import type { KindDef } from '../kind.js';
import { podStrategy } from './strategy.js';
import { podPrinter } from './printer.js';
import { podValidator } from './validation.js';
import { defaultPod } from '../../api/defaults/pod.js';

export const pods: KindDef = {
  kind: 'Pod',
  plural: 'pods',
  namespaced: true,
  shortNames: ['po'],
  categories: ['all'],
  subresources: [
    STATUS,
    { name: 'binding', verbs: ['create'], kind: 'Binding' },
    { name: 'eviction', verbs: ['create'], group: 'policy', version: 'v1', kind: 'Eviction' },
    { name: 'log', verbs: ['get'] },
    { name: 'exec', verbs: ['create', 'get'], kind: 'PodExecOptions' },
    { name: 'attach', verbs: ['create', 'get'], kind: 'PodAttachOptions' },
    { name: 'portforward', verbs: ['create', 'get'], kind: 'PodPortForwardOptions' },
    { name: 'proxy', verbs: ['create', 'delete', 'get', 'patch', 'update'], kind: 'PodProxyOptions' },
  ],
  hasStatus: true,
  returnDeletedObject: true,
  fieldLabels: {
    'spec.nodeName': path('spec', 'nodeName'),
    'spec.restartPolicy': path('spec', 'restartPolicy'),
    'spec.schedulerName': path('spec', 'schedulerName'),
    'spec.serviceAccountName': path('spec', 'serviceAccountName'),
    'spec.hostNetwork': (o) => String((o.spec as { hostNetwork?: boolean } | undefined)?.hostNetwork ?? false),
    'status.phase': path('status', 'phase'),
    'status.podIP': path('status', 'podIP'),
    'status.nominatedNodeName': path('status', 'nominatedNodeName'),
  },
  printer: podPrinter,
  // Pod defaulting is shared with the workload templates: it stays in src/api/defaults/pod.ts.
  defaulter: (o) => defaultPod(o as Parameters<typeof defaultPod>[0]),
  validator: podValidator,
  strategy: podStrategy,
};
