// PriorityClass defaulting, as upstream's SetDefaults_PriorityClass.
import type { Defaulter } from '../../api/resource.js';

export const defaultPriorityClass: Defaulter = (o) => {
  (o as { preemptionPolicy?: string }).preemptionPolicy ??= 'PreemptLowerPriority';
};
