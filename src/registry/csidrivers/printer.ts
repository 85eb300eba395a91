// The csidrivers table, as upstream's printCSIDriver: the driver's switches, the audiences it
// asks tokens for and the volume lifecycle modes it supports.
import type { Printer } from '../../api/resource.js';
import { AGE, NAME, col, created, name, type Any } from '../../api/printers/columns.js';

export const csiDriverPrinter: Printer = {
  columns: [
    NAME,
    col('AttachRequired', 'boolean', 0, 'attachRequired indicates this CSI volume driver requires an attach operation.'),
    col('PodInfoOnMount', 'boolean', 0, 'podInfoOnMount indicates this CSI volume driver requires additional pod information during mount operations.'),
    col('StorageCapacity', 'boolean', 0, 'storageCapacity indicates that the CSI volume driver wants pod scheduling to consider the storage capacity.'),
    col('TokenRequests', 'string', 0, "tokenRequests indicates the CSI driver needs pods' service account tokens it is mounting volume for."),
    col('RequiresRepublish', 'boolean', 0, 'requiresRepublish indicates the CSI driver wants `NodePublishVolume` being periodically called.'),
    col('Modes', 'string', 0, 'volumeLifecycleModes defines what kind of volumes this CSI volume driver supports.'),
    AGE,
  ],
  cells: (o, now) => {
    const spec = (o as Any).spec ?? {};
    const tokens = spec.tokenRequests as Array<{ audience?: string }> | undefined;
    const modes = ((spec.volumeLifecycleModes ?? []) as string[]).join(',');
    return [
      name(o),
      spec.attachRequired ?? true,
      spec.podInfoOnMount ?? false,
      spec.storageCapacity ?? false,
      tokens ? tokens.map((t) => t.audience ?? '').join(',') : '<unset>',
      spec.requiresRepublish ?? false,
      modes || '<none>',
      created(o, now),
    ];
  },
};
