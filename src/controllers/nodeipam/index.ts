// Node IPAM: each Node's spec.podCIDR, cut from the cluster CIDR (kube-controller-manager's nodeipam).
export {
  newNodeIpamController,
  podCidrsOf,
  CIDR_ALLOCATOR_COMPONENT,
  DEFAULT_CLUSTER_CIDR,
  DEFAULT_NODE_CIDR_MASK_SIZE,
  type NodeIpamOptions,
} from './range-allocator.js';
