// The pod network across nodes (flannel-like vxlan and host-gw backends); see overlay.ts.
export { PodOverlay, podMtu, type PodOverlayOptions } from './overlay.js';
export { removeMasquerade, NAT_TABLE } from './masquerade.js';
export { removeVtep, VXLAN_DEVICE, VXLAN_PORT, VXLAN_VNI } from './vtep.js';
export {
  ANNOTATION_BACKEND,
  ANNOTATION_PUBLIC_IP,
  ANNOTATION_VTEP_MAC,
  POD_NETWORK_MODES,
  parsePodNetworkMode,
  peerFromNode,
  peerEntries,
  peerChange,
  type OverlayBackend,
  type PodNetworkMode,
  type Peer,
} from './peers.js';
