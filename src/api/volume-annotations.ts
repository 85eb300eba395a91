// The annotations and names the volume binder, the scheduler's VolumeBinding plugin and the
// local-path provisioner share, as upstream's (pkg/controller/volume/persistentvolume/util).
/** On a claim: binding finished (the binder's own bookkeeping). */
export const ANN_BIND_COMPLETED = 'pv.kubernetes.io/bind-completed';
/** On a claim or volume: the binder (not a user) set volumeName / claimRef. */
export const ANN_BOUND_BY_CONTROLLER = 'pv.kubernetes.io/bound-by-controller';
/** On a claim: the node the scheduler chose for its first consumer (WaitForFirstConsumer). */
export const ANN_SELECTED_NODE = 'volume.kubernetes.io/selected-node';
/** On a claim: the provisioner asked to create its volume. */
export const ANN_STORAGE_PROVISIONER = 'volume.kubernetes.io/storage-provisioner';
export const ANN_BETA_STORAGE_PROVISIONER = 'volume.beta.kubernetes.io/storage-provisioner';
/** On a volume: the provisioner that created it (and deletes it under reclaim Delete). */
export const ANN_PROVISIONED_BY = 'pv.kubernetes.io/provisioned-by';

/** Berth's built-in provisioner (k3s's local-path semantics) and its default class. */
export const LOCAL_PATH_PROVISIONER = 'berth.dev/local-path';
export const LOCAL_PATH_CLASS = 'local-path';
