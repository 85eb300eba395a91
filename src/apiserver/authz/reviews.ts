// The access and identity reviews, as upstream's pkg/registry/authorization/* and
// authentication/selfsubjectreview: create-only kinds that store nothing and answer with the
// posted object and a status — whether a user may do something (SubjectAccessReview, for anyone;
// LocalSubjectAccessReview, in the URL's namespace; SelfSubjectAccessReview, for the caller), what
// the caller may do in a namespace (SelfSubjectRulesReview: `kubectl auth can-i --list`), and who
// the caller is (SelfSubjectReview: `kubectl auth whoami`).
import type { PolicyRule } from 'kubernetes-types/rbac/v1';
import type { KObject } from '../../api/object.js';
import type { Validator } from '../../api/resource.js';
import { goValue, invalid, type FieldError } from '../../api/field-errors.js';
import { isValidPathSegmentName } from '../../api/names.js';
import { badRequest } from '../errors.js';
import type { UserInfo } from '../authn/user.js';
import type { Attributes } from './attributes.js';
import { nodeIdentity } from './node/node-identity.js';
import type { Authorizer } from './authorizer.js';

type Any = Record<string, any>;

export const AUTHZ_GROUP = 'authorization.k8s.io';
export const AUTHN_GROUP = 'authentication.k8s.io';

/** The attributes as upstream prints them in a field error (Go's %#v of the struct). */
const goNonResource = (a: Any) => goValue(`authorization.NonResourceAttributes{Path:${JSON.stringify(a?.path ?? '')}, Verb:${JSON.stringify(a?.verb ?? '')}}`);

/** Upstream's ValidateSubjectAccessReviewSpec and friends: exactly one kind of attributes. */
function validateAttributes(spec: Any | undefined, errs: FieldError[]): void {
  if (spec?.resourceAttributes && spec?.nonResourceAttributes) {
    errs.push(invalid('spec.nonResourceAttributes', goNonResource(spec.nonResourceAttributes), 'cannot be specified in combination with resourceAttributes'));
  }
  if (!spec?.resourceAttributes && !spec?.nonResourceAttributes) {
    // Upstream prints the nil attributes as the string "null".
    errs.push(invalid('spec.resourceAttributes', 'null', 'exactly one of nonResourceAttributes or resourceAttributes must be specified'));
  }
}

/** Reviews have no name to speak of; one given must still be a valid path segment. */
function nameErrors(o: KObject): FieldError[] {
  const name = o.metadata?.name;
  return name ? isValidPathSegmentName(name).map((m) => invalid('metadata.name', name, m)) : [];
}

export const reviewValidators: Record<string, Validator> = {
  SubjectAccessReview: {
    create: (o) => {
      const errs = nameErrors(o);
      const spec = (o as Any).spec;
      validateAttributes(spec, errs);
      if (!spec?.user && !spec?.groups?.length) errs.push(invalid('spec.user', spec?.user ?? '', 'at least one of user or group must be specified'));
      return errs;
    },
  },
  SelfSubjectAccessReview: {
    create: (o) => {
      const errs = nameErrors(o);
      validateAttributes((o as Any).spec, errs);
      return errs;
    },
  },
  LocalSubjectAccessReview: {
    create: (o) => {
      const errs = nameErrors(o);
      const spec = (o as Any).spec;
      validateAttributes(spec, errs);
      if (spec?.nonResourceAttributes)
        errs.push(invalid('spec.nonResourceAttributes', goNonResource(spec.nonResourceAttributes), 'disallowed on this kind of request'));
      if (!spec?.user && !spec?.groups?.length) errs.push(invalid('spec.user', spec?.user ?? '', 'at least one of user or group must be specified'));
      return errs;
    },
  },
  SelfSubjectRulesReview: { create: nameErrors },
  SelfSubjectReview: { create: nameErrors },
};

function attributesOf(user: UserInfo, spec: Any): Attributes {
  const ra = spec.resourceAttributes;
  if (ra) {
    return {
      user,
      verb: ra.verb ?? '',
      resourceRequest: true,
      path: '',
      apiGroup: ra.group ?? '',
      apiVersion: ra.version ?? '',
      resource: ra.resource ?? '',
      subresource: ra.subresource ?? '',
      namespace: ra.namespace ?? '',
      name: ra.name ?? '',
    };
  }
  const nra = spec.nonResourceAttributes ?? {};
  return {
    user,
    verb: nra.verb ?? '',
    resourceRequest: false,
    path: nra.path ?? '',
    apiGroup: '',
    apiVersion: '',
    resource: '',
    subresource: '',
    namespace: '',
    name: '',
  };
}

function accessStatus(authorizer: Authorizer, a: Attributes): Any {
  const d = authorizer.authorize(a);
  return { allowed: d.allowed, ...(d.reason ? { reason: d.reason } : {}) };
}

function rulesStatus(rules: PolicyRule[], errors: string[]): Any {
  const resourceRules: Any[] = [];
  const nonResourceRules: Any[] = [];
  for (const r of rules) {
    if (r.nonResourceURLs?.length) nonResourceRules.push({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs });
    else
      resourceRules.push({
        verbs: r.verbs,
        ...(r.apiGroups ? { apiGroups: r.apiGroups } : {}),
        ...(r.resources ? { resources: r.resources } : {}),
        ...(r.resourceNames ? { resourceNames: r.resourceNames } : {}),
      });
  }
  return { resourceRules, nonResourceRules, incomplete: errors.length > 0, ...(errors.length ? { evaluationError: errors.join(', ') } : {}) };
}

/** The user a SubjectAccessReview's spec describes (upstream adds no groups to it). */
function specUser(spec: Any): UserInfo {
  return { name: spec.user ?? '', groups: spec.groups ?? [], ...(spec.uid ? { uid: spec.uid } : {}), ...(spec.extra ? { extra: spec.extra } : {}) };
}

/**
 * The answer to a review posted by `caller` (in `namespace` for the namespaced one); validation
 * has passed. Returns the object to send back with 201.
 */
export function answerReview(review: KObject, caller: UserInfo, namespace: string | undefined, authorizer: Authorizer): KObject {
  const o = review as Any;
  const spec = o.spec ?? {};
  const out = (status: Any): KObject => ({ ...o, metadata: { ...o.metadata, creationTimestamp: null }, status }) as KObject;
  switch (o.kind) {
    case 'SelfSubjectAccessReview':
      return out(accessStatus(authorizer, attributesOf(caller, spec)));
    case 'SubjectAccessReview':
      return out(accessStatus(authorizer, attributesOf(specUser(spec), spec)));
    case 'LocalSubjectAccessReview': {
      const ns = spec.resourceAttributes?.namespace ?? '';
      if (ns && ns !== namespace) throw badRequest(`spec.resourceAttributes.namespace must match namespace: ${namespace}`);
      return out(accessStatus(authorizer, attributesOf(specUser(spec), { ...spec, resourceAttributes: { ...spec.resourceAttributes, namespace } })));
    }
    case 'SelfSubjectRulesReview': {
      if (!spec.namespace) throw badRequest('no namespace on request');
      const { rules, errors } = authorizer.rbac.rulesFor(caller, spec.namespace);
      // The Node authorizer's grants depend on the object asked for: it lists none (upstream's RulesFor).
      if (authorizer.node && authorizer.modes.includes('Node') && nodeIdentity(caller) !== undefined)
        errors.unshift('node authorizer does not support user rule resolution');
      return out(rulesStatus(rules, errors));
    }
    case 'SelfSubjectReview':
      return out({
        userInfo: {
          username: caller.name,
          ...(caller.uid ? { uid: caller.uid } : {}),
          groups: caller.groups,
          ...(caller.extra ? { extra: caller.extra } : {}),
        },
      });
    default:
      throw badRequest(`${o.kind} is not a review`);
  }
}
