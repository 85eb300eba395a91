// Validators of every served resource, keyed like the registry (see resourceKey).
import type { KObject } from '../object.js';
import { deepEqual } from '../object.js';
import type { Validator } from '../resource.js';
import { forbidden, invalid, notSupported, required, tooLong, type FieldError } from '../field-errors.js';
import { isDNS1123Subdomain } from '../names.js';
import { nameIsDNSLabel, nameIsDNSSubdomain, nameIsPathSegment, validateObjectMeta, type NameValidator } from './objectmeta.js';
import { validateDeploymentSpec, validateSelectorUnchanged, validateWorkloadSpec } from './apps.js';
import { Path } from './path.js';

type Any = Record<string, any>;
const SPEC = new Path('spec');

function metaOnly(namespaced: boolean, nameFn: NameValidator, extra?: (o: Any) => FieldError[]): Validator {
  return { create: (o) => [...validateObjectMeta(o.metadata, namespaced, nameFn), ...(extra?.(o) ?? [])] };
}

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const MAX_CONFIG_SIZE = 1024 * 1024;

function configData(o: Any, fields: string[]): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  let size = 0;
  for (const f of fields) {
    for (const [k, v] of Object.entries((o[f] ?? {}) as Record<string, string>)) {
      const p = new Path(f).key(k).s;
      if (!CONFIG_KEY.test(k)) errs.push(invalid(p, k, "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"));
      else if (k.length > 253) errs.push(invalid(p, k, 'must be no more than 253 characters'));
      if (seen.has(k)) errs.push(invalid(p, k, 'duplicate of key present in ' + fields.filter((x) => x !== f).join()));
      seen.add(k);
      size += typeof v === 'string' ? v.length : 0;
    }
  }
  if (size > MAX_CONFIG_SIZE) errs.push(tooLong(fields[0]!, '', MAX_CONFIG_SIZE));
  return errs;
}

function immutableData(o: Any, old: Any, fields: string[]): FieldError[] {
  const errs: FieldError[] = [];
  if (old.immutable === true) {
    if (o.immutable !== true) errs.push(forbidden('immutable', 'field is immutable when `immutable` is set'));
    for (const f of fields) if (!deepEqual(o[f], old[f])) errs.push(forbidden(f, 'field is immutable when `immutable` is set'));
  }
  return errs;
}


const deployments: Validator = {
  create: (o) => [...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain), ...validateDeploymentSpec((o as Any).spec ?? {}, SPEC)],
  update: (o, old) => [
    ...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain),
    ...validateDeploymentSpec((o as Any).spec ?? {}, SPEC),
    ...validateSelectorUnchanged((o as Any).spec, (old as Any).spec, SPEC),
  ],
  updateStatus: (o) => replicaCounts((o as Any).status),
};

const replicasets: Validator = {
  create: (o) => [...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain), ...validateWorkloadSpec((o as Any).spec ?? {}, SPEC, 'replicaset')],
  update: (o, old) => [
    ...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain),
    ...validateWorkloadSpec((o as Any).spec ?? {}, SPEC, 'replicaset'),
    ...validateSelectorUnchanged((o as Any).spec, (old as Any).spec, SPEC),
  ],
  updateStatus: (o) => replicaCounts((o as Any).status),
};

function replicaCounts(status: Any | undefined): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of ['replicas', 'readyReplicas', 'availableReplicas', 'updatedReplicas', 'fullyLabeledReplicas', 'observedGeneration']) {
    const v = status?.[f];
    if (typeof v === 'number' && v < 0) errs.push(invalid(`status.${f}`, v, 'must be greater than or equal to 0'));
  }
  return errs;
}

const SECRET_TYPES_NEEDING: Record<string, string[]> = {
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/dockercfg': ['.dockercfg'],
  'kubernetes.io/tls': ['tls.crt', 'tls.key'],
};

const secrets: Validator = {
  create: (o) => {
    const errs = [...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain), ...configData(o, ['data', 'stringData'])];
    for (const key of SECRET_TYPES_NEEDING[(o as Any).type] ?? []) if (!((o as Any).data ?? {})[key] && !((o as Any).stringData ?? {})[key]) errs.push(required(new Path('data').key(key).s));
    return errs;
  },
  update: (o, old) => {
    const errs = [...secrets.create(o), ...immutableData(o, old, ['data'])];
    if ((o as Any).type !== (old as Any).type) errs.push(invalid('type', (o as Any).type, 'field is immutable'));
    return errs;
  },
};

const configmaps: Validator = {
  create: (o) => [...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain), ...configData(o, ['data', 'binaryData'])],
  update: (o, old) => [...configmaps.create(o), ...immutableData(o, old, ['data', 'binaryData'])],
};

const SYSTEM_PRIORITY_CLASSES = new Set(['system-node-critical', 'system-cluster-critical']);
const HIGHEST_USER_PRIORITY = 1_000_000_000;

const priorityclasses: Validator = {
  create: (o) => {
    const pc = o as Any;
    const errs = validateObjectMeta(o.metadata, false, nameIsDNSSubdomain);
    const name = o.metadata.name ?? '';
    if (name.startsWith('system-') && !SYSTEM_PRIORITY_CLASSES.has(name)) errs.push(invalid('metadata.name', name, "priority class names with 'system-' prefix are reserved"));
    if (typeof pc.value !== 'number') errs.push(required('value'));
    else if (!SYSTEM_PRIORITY_CLASSES.has(name) && pc.value > HIGHEST_USER_PRIORITY) {
      errs.push(forbidden('value', `maximum allowed value of a user defined priority is ${HIGHEST_USER_PRIORITY}`));
    }
    const policies = ['Never', 'PreemptLowerPriority'];
    if (pc.preemptionPolicy && !policies.includes(pc.preemptionPolicy)) errs.push(notSupported('preemptionPolicy', pc.preemptionPolicy, policies));
    return errs;
  },
  update: (o, old) => {
    const errs = priorityclasses.create(o);
    if ((o as Any).value !== (old as Any).value) errs.push(forbidden('value', 'may not be changed in an update.'));
    if ((o as Any).preemptionPolicy !== (old as Any).preemptionPolicy) errs.push(invalid('preemptionPolicy', (o as Any).preemptionPolicy, 'field is immutable'));
    return errs;
  },
};

function eventChecks(regardingField: string): (o: Any) => FieldError[] {
  return (o) => {
    const errs: FieldError[] = [];
    const ns = o[regardingField]?.namespace;
    if (ns && o.metadata.namespace && ns !== o.metadata.namespace) {
      errs.push(invalid(`${regardingField}.namespace`, ns, 'does not match event.namespace'));
    }
    if (o.type && !['Normal', 'Warning'].includes(o.type)) errs.push(notSupported('type', o.type, ['Normal', 'Warning']));
    return errs;
  };
}

const nodes: Validator = {
  create: (o) => {
    const errs = validateObjectMeta(o.metadata, false, nameIsDNSSubdomain);
    const spec = (o as Any).spec ?? {};
    (spec.taints ?? []).forEach((t: Any, i: number) => {
      const p = SPEC.child('taints').index(i);
      if (!t.key) errs.push(required(p.child('key').s));
      const effects = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
      if (!effects.includes(t.effect)) errs.push(notSupported(p.child('effect').s, t.effect ?? '', effects));
    });
    return errs;
  },
  update: (o, old) => {
    const errs = nodes.create(o);
    const a = (o as Any).spec?.podCIDR;
    const b = (old as Any).spec?.podCIDR;
    if (b && a !== b) errs.push(forbidden('spec.podCIDR', 'node updates may not change podCIDR except from "" to valid'));
    return errs;
  },
};


const leases: Validator = metaOnly(true, nameIsDNSSubdomain, (o) => {
  const errs: FieldError[] = [];
  const d = o.spec?.leaseDurationSeconds;
  if (d !== undefined && d <= 0) errs.push(invalid('spec.leaseDurationSeconds', d, 'must be greater than 0'));
  return errs;
});

export const validators: Record<string, Validator> = {
  nodes,
  events: metaOnly(true, nameIsPathSegment, eventChecks('involvedObject')),
  'events.events.k8s.io': metaOnly(true, nameIsDNSSubdomainOrSegment(), eventChecks('regarding')),
  configmaps,
  secrets,
  serviceaccounts: metaOnly(true, nameIsDNSSubdomain),
  'replicasets.apps': replicasets,
  'deployments.apps': deployments,
  'leases.coordination.k8s.io': leases,
  'priorityclasses.scheduling.k8s.io': priorityclasses,
};

/** events.k8s.io names are DNS subdomains as upstream validates them. */
function nameIsDNSSubdomainOrSegment(): NameValidator {
  return (name, prefix) => (prefix ? nameIsDNSSubdomain(name, prefix) : isDNS1123Subdomain(name));
}
