// Priority (upstream's plugin/pkg/admission/priority): a new pod's spec.priority and
// preemptionPolicy come from its PriorityClass, or the global default class, or are 0.
import type { Pod } from 'kubernetes-types/core/v1';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1';
import { forbidden } from '../../errors.js';
import type { AdmissionPlugin } from '../types.js';

const PRIORITY_CLASSES = 'priorityclasses.scheduling.k8s.io';

export const priority: AdmissionPlugin = {
  name: 'Priority',
  handles: (a) => a.operation === 'CREATE' && a.resource.key === 'pods' && a.subresource === '',
  lookupsFor: (a) => {
    const pcName = (a.object?.spec as { priorityClassName?: string } | undefined)?.priorityClassName;
    return pcName ? [[PRIORITY_CLASSES, undefined, pcName]] : [];
  },
  admit(a) {
    const spec = (a.object as unknown as Pod).spec;
    if (!spec) return;
    const classes = a.lookups.listPriorityClasses() as unknown as PriorityClass[];
    let pc: PriorityClass | undefined;
    if (spec.priorityClassName) {
      pc = classes.find((c) => c.metadata?.name === spec.priorityClassName);
      if (!pc) throw forbidden(a.resource, a.name, `no PriorityClass with name ${spec.priorityClassName} was found`);
    } else {
      pc = classes.filter((c) => c.globalDefault).sort((x, y) => x.value - y.value)[0];
      if (pc) spec.priorityClassName = pc.metadata!.name;
    }
    const value = pc?.value ?? 0;
    if (spec.priority !== undefined && spec.priority !== value) {
      throw forbidden(
        a.resource,
        a.name,
        'the integer value of priority must not be provided in pod spec; priority admission controller computed ' +
          value +
          ' from the given PriorityClass name',
      );
    }
    spec.priority = value;
    spec.preemptionPolicy = pc?.preemptionPolicy ?? 'PreemptLowerPriority';
  },
};
