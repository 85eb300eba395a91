// Node defaulting, as upstream's SetDefaults_NodeSpec and SetDefaults_NodeStatus.
import type { Defaulter } from '../../api/resource.js';

type Any = Record<string, any>;

export const defaultNode: Defaulter = (o) => {
  const spec = (o as Any).spec;
  if (spec?.podCIDR && !spec.podCIDRs) spec.podCIDRs = [spec.podCIDR];
  // A node reporting only capacity can allocate all of it.
  const status = (o as Any).status;
  if (status?.capacity && !status.allocatable) status.allocatable = { ...status.capacity };
};
