// PersistentVolume validation, as upstream's ValidatePersistentVolume(Update): a storage capacity,
// access modes, exactly one volume source, a known reclaim policy; the source may not change.
import type { Validator } from '../../api/resource.js';
import { deepEqual } from '../../api/object.js';
import { forbidden, invalid, notSupported, required, type FieldError } from '../../api/field-errors.js';
import { quantityOf } from '../../api/quantity.js';
import { nameIsDNSSubdomain, validateObjectMeta } from '../../api/validation/objectmeta.js';
import { Path } from '../../api/validation/path.js';
import { validateAccessModes, validateVolumeMode } from './shared.js';

type Any = Record<string, any>;
const SPEC = new Path('spec');

/** The volume sources a PV may have; Berth's nodes mount hostPath and local ones. */
const SOURCES = [
  'hostPath',
  'local',
  'nfs',
  'iscsi',
  'fc',
  'csi',
  'cephfs',
  'rbd',
  'cinder',
  'glusterfs',
  'flexVolume',
  'azureFile',
  'azureDisk',
  'awsElasticBlockStore',
  'gcePersistentDisk',
  'vsphereVolume',
  'quobyte',
  'flocker',
  'photonPersistentDisk',
  'portworxVolume',
  'scaleIO',
  'storageos',
];

export function pvSource(spec: Any): string[] {
  return SOURCES.filter((s) => spec[s] !== undefined && spec[s] !== null);
}

function validateSpec(spec: Any): FieldError[] {
  const errs = validateAccessModes(spec.accessModes, SPEC.child('accessModes'));
  const cap = SPEC.child('capacity');
  const storage = spec.capacity?.storage;
  if (storage === undefined) errs.push(required(cap.s, ''));
  else if (!quantityOf(storage)) errs.push(invalid(cap.child('storage').s, storage, 'must be a valid quantity'));
  else if (quantityOf(storage)!.sign() <= 0) errs.push(invalid(cap.child('storage').s, storage, 'must be greater than zero'));
  const policy = spec.persistentVolumeReclaimPolicy;
  if (policy !== undefined && !['Delete', 'Recycle', 'Retain'].includes(policy)) {
    errs.push(notSupported(SPEC.child('persistentVolumeReclaimPolicy').s, policy, ['Delete', 'Recycle', 'Retain']));
  }
  const sources = pvSource(spec);
  if (sources.length === 0) errs.push(required(SPEC.s, 'must specify a volume type'));
  else if (sources.length > 1) errs.push(forbidden(SPEC.child(sources[1]!).s, 'may not specify more than 1 volume type'));
  if (spec.hostPath && !spec.hostPath.path) errs.push(required(SPEC.child('hostPath').child('path').s, ''));
  if (spec.local) {
    if (!spec.local.path) errs.push(required(SPEC.child('local').child('path').s, ''));
    if (!spec.nodeAffinity) errs.push(required(SPEC.child('nodeAffinity').s, 'Local volume requires node affinity'));
  }
  errs.push(...validateVolumeMode(spec.volumeMode, SPEC.child('volumeMode')));
  return errs;
}

export const persistentVolumeValidator: Validator = {
  create: (o) => [...validateObjectMeta(o.metadata, false, nameIsDNSSubdomain), ...validateSpec((o as Any).spec ?? {})],
  update: (o, old) => {
    const errs = [...validateObjectMeta(o.metadata, false, nameIsDNSSubdomain), ...validateSpec((o as Any).spec ?? {})];
    const spec = (o as Any).spec ?? {};
    const was = (old as Any).spec ?? {};
    for (const s of SOURCES)
      if (was[s] !== undefined && !deepEqual(spec[s], was[s])) errs.push(forbidden(SPEC.child(s).s, 'spec.persistentvolumesource is immutable after creation'));
    if (was.volumeMode !== undefined && spec.volumeMode !== was.volumeMode)
      errs.push(invalid(SPEC.child('volumeMode').s, spec.volumeMode, 'field is immutable'));
    return errs;
  },
  updateStatus: () => [],
};
