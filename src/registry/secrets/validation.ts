// Secret validation, as upstream's ValidateSecret and ValidateSecretUpdate: config keys, the
// keys each well-known type needs, a type that never changes, nothing changed once immutable.
import type { Validator } from '../../api/resource.js';
import { invalid, required } from '../../api/field-errors.js';
import { validateConfigData, validateImmutableData } from '../../api/validation/config-data.js';
import { nameIsDNSSubdomain, validateObjectMeta } from '../../api/validation/objectmeta.js';
import { Path } from '../../api/validation/path.js';

type Any = Record<string, any>;

const KEYS_NEEDED_BY_TYPE: Record<string, string[]> = {
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/dockercfg': ['.dockercfg'],
  'kubernetes.io/tls': ['tls.crt', 'tls.key'],
};

export const secretValidator: Validator = {
  create: (o) => {
    const s = o as Any;
    const errs = [...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain), ...validateConfigData(s, ['data', 'stringData'])];
    for (const key of KEYS_NEEDED_BY_TYPE[s.type] ?? [])
      if (!(s.data ?? {})[key] && !(s.stringData ?? {})[key]) errs.push(required(new Path('data').key(key).s));
    return errs;
  },
  update: (o, old) => {
    const errs = [...secretValidator.create(o), ...validateImmutableData(o, old, ['data'])];
    if ((o as Any).type !== (old as Any).type) errs.push(invalid('type', (o as Any).type, 'field is immutable'));
    return errs;
  },
};
