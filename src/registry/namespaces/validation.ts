// Namespace names are DNS labels; nothing else of a namespace is validated.
import type { Validator } from '../../api/resource.js';
import { nameIsDNSLabel, validateObjectMeta } from '../../api/validation/objectmeta.js';

export const namespaceValidator: Validator = {
  create: (o) => validateObjectMeta(o.metadata, false, nameIsDNSLabel),
  update: (o) => validateObjectMeta(o.metadata, false, nameIsDNSLabel),
};
