// ServiceAccount validation: its metadata only, as upstream's ValidateServiceAccount.
import { metadataValidator, nameIsDNSSubdomain } from '../../api/validation/objectmeta.js';

export const serviceAccountValidator = metadataValidator(true, nameIsDNSSubdomain);
