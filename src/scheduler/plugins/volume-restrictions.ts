// VolumeRestrictions (upstream pkg/scheduler/framework/plugins/volumerestrictions), the part a
// Berth node can meet: a claim with the ReadWriteOncePod access mode is used by one pod in the
// whole cluster, so a second pod naming it waits until the first is gone (upstream's
// isReadWriteOncePodAccessModeConflict; the in-tree disk conflicts of cloud volumes do not apply).
import type { Pod } from 'kubernetes-types/core/v1';
import { Status } from '../framework/status.js';
import type { ClusterEventWithHint, CycleState, EnqueueExtensions, Handle, PluginArgs, PreFilterPlugin } from '../framework/types.js';
import { checkArgs } from './helpers.js';
import type { VolumeLister } from './volume-binding.js';

export const NAME = 'VolumeRestrictions';
export const ERR_RWOP_CONFLICT = 'node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode';

function claimNames(pod: Pod): string[] {
  return (pod.spec?.volumes ?? []).flatMap((v) => (v.persistentVolumeClaim?.claimName ? [v.persistentVolumeClaim.claimName] : []));
}

export class VolumeRestrictions implements PreFilterPlugin, EnqueueExtensions {
  static readonly NAME = NAME;
  readonly name = NAME;

  constructor(
    args: PluginArgs | undefined,
    private readonly handle: Handle & { volumes?: VolumeLister },
  ) {
    checkArgs(NAME, args);
  }

  preFilter(_state: CycleState, pod: Pod): { status: Status } {
    const lister = this.handle.volumes;
    const ns = pod.metadata?.namespace ?? 'default';
    const exclusive = new Set(lister ? claimNames(pod).filter((n) => lister.claim(ns, n)?.spec?.accessModes?.includes('ReadWriteOncePod')) : []);
    if (!exclusive.size) return { status: Status.skip() };
    for (const ni of this.handle.snapshot().nodeInfos()) {
      for (const info of ni.pods) {
        const other = info.pod;
        if (other.metadata?.uid === pod.metadata?.uid || (other.metadata?.namespace ?? 'default') !== ns) continue;
        if (claimNames(other).some((n) => exclusive.has(n))) return { status: Status.unschedulable(ERR_RWOP_CONFLICT) };
      }
    }
    return { status: Status.success() };
  }

  /** The pod holding the claim going away lets the next one in. */
  eventsToRegister(): ClusterEventWithHint[] {
    return [{ event: { resource: 'AssignedPod', actions: ['Delete'] } }, { event: { resource: 'PersistentVolumeClaim', actions: ['Add', 'Update'] } }];
  }
}
