// What PersistentVolumes and PersistentVolumeClaims print and check alike: access modes as
// kubectl abbreviates them, the storage capacity, the volume mode.
import { notSupported, required, type FieldError } from '../../api/field-errors.js';
import type { Path } from '../../api/validation/path.js';

export const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
const SHORT: Record<string, string> = { ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP' };

/** upstream GetAccessModesAsString: each mode once, in the order RWO, ROX, RWX, RWOP. */
export function accessModesString(modes: string[] | undefined): string {
  const have = new Set(modes ?? []);
  return ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod']
    .filter((m) => have.has(m))
    .map((m) => SHORT[m])
    .join(',');
}

export function validateAccessModes(modes: string[] | undefined, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  if (!modes?.length) errs.push(required(p.s, ''));
  for (const m of modes ?? []) if (!ACCESS_MODES.includes(m)) errs.push(notSupported(p.s, m, ACCESS_MODES));
  if (modes?.includes('ReadWriteOncePod') && modes.length > 1) {
    errs.push({ type: 'FieldValueForbidden', field: p.s, detail: 'may not use ReadWriteOncePod with other access modes' });
  }
  return errs;
}

export function validateVolumeMode(mode: string | undefined, p: Path): FieldError[] {
  return mode !== undefined && !['Block', 'Filesystem'].includes(mode) ? [notSupported(p.s, mode, ['Block', 'Filesystem'])] : [];
}
