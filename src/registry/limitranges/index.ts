// The limitranges kind (core/v1): its registry entry, declared here and listed in src/registry/index.ts.
// Its table is upstream's printLimitRange, which is the default one (Name, Created At). The
// LimitRanger admission plugin (src/apiserver/admission/plugins/limit-ranger.ts) applies it.
import type { KindDef } from '../kind.js';
import { defaultLimitRange } from './defaults.js';
import { limitRangeValidator } from './validation.js';

export const limitranges: KindDef = {
  kind: 'LimitRange',
  plural: 'limitranges',
  namespaced: true,
  shortNames: ['limits'],
  defaulter: defaultLimitRange,
  validator: limitRangeValidator,
};
