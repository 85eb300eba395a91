// The CRI runtime: a gRPC client for containerd (or any CRI v1 runtime), a containerd Berth
// manages itself, the CNI config of the pod network, and the images built from the host's busybox.
export { CriRuntime, CriError, isCriNotFound, type CriRuntimeOptions } from './client.js';
export {
  ManagedContainerd,
  RuntimeMissingError,
  RuntimeUnavailableError,
  findRuntimeBinaries,
  pickSnapshotter,
  needsRestrictOomScoreAdj,
  unmountUnder,
  DEFAULT_CNI_BIN_DIRS,
  type HostRuntimeBinaries,
  type ManagedContainerdOptions,
} from './containerd.js';
export { containerdConfig, containerdLayout, type ContainerdLayout, type ContainerdConfigOptions } from './containerd-config.js';
export { cniConflist, writeCniConfig, allocatedIps, CNI_CONF_FILE, type CniOptions } from './cni.js';
export { BUSYBOX_IMAGE, PAUSE_IMAGE, CRI_NAMESPACE, findStaticBusybox, busyboxLayer, localImagesArchive, importImageArchive } from './local-images.js';
export { ociArchive, tar, sha256, type ImageSpec as OciImageSpec, type TarEntry } from './oci-archive.js';
export { cgroupMounts, removeCgroup, removeCgroupTree } from './cgroups.js';
