// LimitRange defaulting, as upstream's SetDefaults_LimitRangeItem: for containers, a missing
// default limit is the max, a missing default request the default limit, else the min.
import type { LimitRange } from 'kubernetes-types/core/v1';
import type { Defaulter } from '../../api/resource.js';

type List = Record<string, string>;

function fillFrom(target: List, source: List | undefined): void {
  for (const [k, v] of Object.entries(source ?? {})) if (!(k in target)) target[k] = v;
}

export const defaultLimitRange: Defaulter = (o) => {
  for (const item of (o as LimitRange).spec?.limits ?? []) {
    if (item.type !== 'Container') continue;
    const def: List = { ...(item.default as List | undefined) };
    fillFrom(def, item.max as List | undefined);
    const req: List = { ...(item.defaultRequest as List | undefined) };
    fillFrom(req, def);
    fillFrom(req, item.min as List | undefined);
    // Empty maps stay absent, as upstream's omitempty serializes them.
    if (Object.keys(def).length) item.default = def;
    if (Object.keys(req).length) item.defaultRequest = req;
  }
};
