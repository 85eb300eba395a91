// ConfigMap validation, as upstream's ValidateConfigMap and ValidateConfigMapUpdate: config
// keys unique across data and binaryData, 1 MiB in all, nothing changed once immutable.
import type { Validator } from '../../api/resource.js';
import { validateConfigData, validateImmutableData } from '../../api/validation/config-data.js';
import { nameIsDNSSubdomain, validateObjectMeta } from '../../api/validation/objectmeta.js';

const DATA_FIELDS = ['data', 'binaryData'];

export const configMapValidator: Validator = {
  create: (o) => [...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain), ...validateConfigData(o, DATA_FIELDS)],
  update: (o, old) => [...configMapValidator.create(o), ...validateImmutableData(o, old, DATA_FIELDS)],
};
