// Event validation for both API versions: the involved (core) or regarding (events.k8s.io)
// object is in the event's namespace, and the type is Normal or Warning.
import { invalid, notSupported, type FieldError } from '../../api/field-errors.js';
import { isDNS1123Subdomain } from '../../api/names.js';
import { metadataValidator, nameIsDNSSubdomain, nameIsPathSegment, type NameValidator } from '../../api/validation/objectmeta.js';

type Any = Record<string, any>;
const EVENT_TYPES = ['Normal', 'Warning'];

function eventChecks(regardingField: string): (o: Any) => FieldError[] {
  return (o) => {
    const errs: FieldError[] = [];
    const ns = o[regardingField]?.namespace;
    if (ns && o.metadata.namespace && ns !== o.metadata.namespace) {
      errs.push(invalid(`${regardingField}.namespace`, ns, 'does not match event.namespace'));
    }
    if (o.type && !EVENT_TYPES.includes(o.type)) errs.push(notSupported('type', o.type, EVENT_TYPES));
    return errs;
  };
}

/** events.k8s.io names are DNS subdomains as upstream validates them. */
const nameIsDNSSubdomainOrSegment: NameValidator = (name, prefix) => (prefix ? nameIsDNSSubdomain(name, prefix) : isDNS1123Subdomain(name));

export const coreEventValidator = metadataValidator(true, nameIsPathSegment, eventChecks('involvedObject'));
export const eventValidator = metadataValidator(true, nameIsDNSSubdomainOrSegment, eventChecks('regarding'));
