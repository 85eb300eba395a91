// Pod and PodSpec validation with upstream's field paths and messages (pkg/apis/core/validation).
import type { Container, PodSpec, Probe, ResourceRequirements, Toleration, Volume } from 'kubernetes-types/core/v1';
import { duplicate, forbidden, invalid, notFound, notSupported, required, type FieldError } from '../field-errors.js';
import { isDNS1123Label, isDNS1123Subdomain, isEnvVarName, isQualifiedName, isValidPortName } from '../names.js';
import { Quantity } from '../quantity.js';
import { deepEqual } from '../object.js';
import { validateLabels } from './objectmeta.js';
import { Path } from './path.js';

const RESTART_POLICIES = ['Always', 'Never', 'OnFailure'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const TERMINATION_MESSAGE_POLICIES = ['File', 'FallbackToLogsOnError'];
const STANDARD_RESOURCES = ['cpu', 'memory', 'ephemeral-storage', 'storage'];
/** Every volume source Kubernetes defines (a volume names exactly one). */
export const VOLUME_SOURCES = [
  'hostPath',
  'emptyDir',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'gitRepo',
  'secret',
  'nfs',
  'iscsi',
  'glusterfs',
  'persistentVolumeClaim',
  'rbd',
  'flexVolume',
  'cinder',
  'cephfs',
  'flocker',
  'downwardAPI',
  'fc',
  'azureFile',
  'configMap',
  'vsphereVolume',
  'quobyte',
  'azureDisk',
  'photonPersistentDisk',
  'projected',
  'portworxVolume',
  'scaleIO',
  'storageos',
  'csi',
  'ephemeral',
  'image',
];

function checkPort(v: number | undefined, p: Path, errs: FieldError[], allowZero = false): void {
  if (v === undefined) return;
  if (!Number.isInteger(v) || v < (allowZero ? 0 : 1) || v > 65535) errs.push(invalid(p.s, v, 'must be between 1 and 65535, inclusive'));
}

export function validateResourceName(name: string, p: Path, errs: FieldError[]): void {
  if (STANDARD_RESOURCES.includes(name) || name.startsWith('hugepages-')) return;
  for (const m of isQualifiedName(name)) errs.push(invalid(p.s, name, m));
  if (!name.includes('/') && !isQualifiedName(name).length) errs.push(invalid(p.s, name, 'must be a standard resource type or fully qualified'));
}

export function validateResources(res: ResourceRequirements | undefined, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  if (!res) return errs;
  const limits = new Map<string, Quantity>();
  for (const [which, list] of [
    ['limits', res.limits],
    ['requests', res.requests],
  ] as const) {
    for (const [name, raw] of Object.entries(list ?? {})) {
      const fp = p.child(which).key(name);
      validateResourceName(name, fp, errs);
      const q = Quantity.tryParse(String(raw));
      if (!q) continue; // decoding already refused it
      if (q.sign() < 0) errs.push(invalid(fp.s, String(raw), 'must be greater than or equal to 0'));
      if (name === 'cpu' || name === 'memory' || name === 'ephemeral-storage' || name.startsWith('hugepages-')) {
        // ok
      } else if (!name.includes('/') || name.startsWith('kubernetes.io/')) {
        // extended resources must be whole numbers
      } else if (q.scaled(0) * 1000n !== q.scaled(-3)) {
        errs.push(invalid(fp.s, String(raw), 'must be an integer'));
      }
      if (which === 'limits') limits.set(name, q);
      else {
        const lim = limits.get(name);
        if (lim && q.cmp(lim) > 0) errs.push(invalid(fp.s, String(raw), `must be less than or equal to ${name} limit of ${String(res.limits![name])}`));
        else if (!lim && name.includes('/') && !name.startsWith('kubernetes.io/') && res.limits) {
          // upstream: extended resources need a limit equal to the request
          errs.push(forbidden(fp.s, 'Limit must be set for non overcommitable resources'));
        }
      }
    }
  }
  return errs;
}

function validateProbe(probe: Probe | undefined, p: Path, errs: FieldError[]): void {
  if (!probe) return;
  const handlers = (['exec', 'httpGet', 'tcpSocket', 'grpc'] as const).filter((h) => probe[h] !== undefined);
  if (handlers.length === 0) errs.push(required(p.s, 'must specify a handler type'));
  else if (handlers.length > 1) errs.push(forbidden(p.child(handlers[1]!).s, 'may not specify more than 1 handler type'));
  for (const f of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold'] as const) {
    const v = probe[f];
    if (v !== undefined && v < 0) errs.push(invalid(p.child(f).s, v, 'must be greater than or equal to 0'));
  }
  if (probe.httpGet) {
    const port = probe.httpGet.port;
    if (typeof port === 'number') checkPort(port, p.child('httpGet').child('port'), errs);
    if (probe.httpGet.scheme && !['HTTP', 'HTTPS'].includes(probe.httpGet.scheme))
      errs.push(notSupported(p.child('httpGet').child('scheme').s, probe.httpGet.scheme, ['HTTP', 'HTTPS']));
  }
  if (probe.tcpSocket && typeof probe.tcpSocket.port === 'number') checkPort(probe.tcpSocket.port, p.child('tcpSocket').child('port'), errs);
  if (probe.exec && !(probe.exec.command ?? []).length) errs.push(required(p.child('exec').child('command').s));
}

function validateContainer(c: Container, p: Path, volumes: Set<string>, errs: FieldError[], init: boolean): void {
  if (!c.name) errs.push(required(p.child('name').s));
  else for (const m of isDNS1123Label(c.name)) errs.push(invalid(p.child('name').s, c.name, m));
  if (!c.image || !c.image.trim()) errs.push(required(p.child('image').s));
  if (c.imagePullPolicy && !PULL_POLICIES.includes(c.imagePullPolicy)) errs.push(notSupported(p.child('imagePullPolicy').s, c.imagePullPolicy, PULL_POLICIES));
  if (c.terminationMessagePolicy && !TERMINATION_MESSAGE_POLICIES.includes(c.terminationMessagePolicy)) {
    errs.push(notSupported(p.child('terminationMessagePolicy').s, c.terminationMessagePolicy, TERMINATION_MESSAGE_POLICIES));
  }
  const portNames = new Set<string>();
  (c.ports ?? []).forEach((port, i) => {
    const pp = p.child('ports').index(i);
    if (port.name) {
      for (const m of isValidPortName(port.name)) errs.push(invalid(pp.child('name').s, port.name, m));
      if (portNames.has(port.name)) errs.push(duplicate(pp.child('name').s, port.name));
      portNames.add(port.name);
    }
    if (port.containerPort === undefined) errs.push(required(pp.child('containerPort').s));
    else checkPort(port.containerPort, pp.child('containerPort'), errs);
    if (port.hostPort) checkPort(port.hostPort, pp.child('hostPort'), errs);
    if (port.protocol && !PROTOCOLS.includes(port.protocol)) errs.push(notSupported(pp.child('protocol').s, port.protocol, PROTOCOLS));
  });
  (c.env ?? []).forEach((e, i) => {
    const ep = p.child('env').index(i);
    if (!e.name) errs.push(required(ep.child('name').s));
    else for (const m of isEnvVarName(e.name)) errs.push(invalid(ep.child('name').s, e.name, m));
    if (e.valueFrom) {
      const sources = (['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef', 'fileKeyRef'] as const).filter(
        (k) => (e.valueFrom as Record<string, unknown>)[k],
      );
      if (sources.length === 0)
        errs.push(invalid(ep.child('valueFrom').s, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
      else if (sources.length > 1) errs.push(invalid(ep.child('valueFrom').s, '', 'may not have more than one field specified at a time'));
      if (e.value) errs.push(invalid(ep.child('valueFrom').s, '', 'may not be specified when `value` is not empty'));
    }
  });
  const mountPaths = new Set<string>();
  (c.volumeMounts ?? []).forEach((m, i) => {
    const mp = p.child('volumeMounts').index(i);
    if (!m.name) errs.push(required(mp.child('name').s));
    else if (!volumes.has(m.name)) errs.push(notFound(mp.child('name').s, m.name));
    if (!m.mountPath) errs.push(required(mp.child('mountPath').s));
    else if (mountPaths.has(m.mountPath)) errs.push(invalid(mp.child('mountPath').s, m.mountPath, 'must be unique'));
    if (m.mountPath) mountPaths.add(m.mountPath);
  });
  errs.push(...validateResources(c.resources, p.child('resources')));
  const sidecar = init && c.restartPolicy === 'Always';
  if (c.restartPolicy !== undefined && (!init || c.restartPolicy !== 'Always')) {
    errs.push(
      init
        ? notSupported(p.child('restartPolicy').s, c.restartPolicy, ['Always'])
        : forbidden(p.child('restartPolicy').s, 'may not be set for non-init containers'),
    );
  }
  if (!init || sidecar) {
    validateProbe(c.livenessProbe, p.child('livenessProbe'), errs);
    validateProbe(c.readinessProbe, p.child('readinessProbe'), errs);
    validateProbe(c.startupProbe, p.child('startupProbe'), errs);
    if (c.livenessProbe?.successThreshold !== undefined && c.livenessProbe.successThreshold !== 1) {
      errs.push(invalid(p.child('livenessProbe').child('successThreshold').s, c.livenessProbe.successThreshold, 'must be 1'));
    }
  } else {
    for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
      if (c[probe]) errs.push(forbidden(p.child(probe).s, `may not be set for init containers without restartPolicy=Always`));
    }
  }
}

function validateVolume(v: Volume, p: Path, errs: FieldError[]): void {
  if (!v.name) errs.push(required(p.child('name').s));
  else for (const m of isDNS1123Label(v.name)) errs.push(invalid(p.child('name').s, v.name, m));
  const sources = VOLUME_SOURCES.filter((s) => (v as unknown as Record<string, unknown>)[s] !== undefined);
  if (sources.length === 0) errs.push(required(p.s, 'must specify a volume type'));
  else if (sources.length > 1) errs.push(forbidden(p.child(sources[1]!).s, 'may not specify more than 1 volume type'));
  if (v.hostPath && !v.hostPath.path) errs.push(required(p.child('hostPath').child('path').s));
  if (v.configMap && !v.configMap.name) errs.push(required(p.child('configMap').child('name').s));
  if (v.secret && !v.secret.secretName) errs.push(required(p.child('secret').child('secretName').s));
  if (v.emptyDir?.medium && !['', 'Memory', 'HugePages'].includes(v.emptyDir.medium) && !v.emptyDir.medium.startsWith('HugePages-')) {
    errs.push(notSupported(p.child('emptyDir').child('medium').s, v.emptyDir.medium, ['', 'Memory', 'HugePages']));
  }
}

function validateToleration(t: Toleration, p: Path, errs: FieldError[]): void {
  if (t.key) for (const m of isQualifiedName(t.key)) errs.push(invalid(p.child('key').s, t.key, m));
  const op = t.operator ?? 'Equal';
  if (!t.key && op !== 'Exists')
    errs.push(invalid(p.child('operator').s, op, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
  if (op === 'Exists' && t.value) errs.push(invalid(p.child('operator').s, t.value, "value must be empty when `operator` is 'Exists'"));
  if (!['Equal', 'Exists'].includes(op)) errs.push(notSupported(p.child('operator').s, op, ['Equal', 'Exists']));
  if (t.effect && !['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(t.effect)) {
    errs.push(notSupported(p.child('effect').s, t.effect, ['NoExecute', 'NoSchedule', 'PreferNoSchedule']));
  }
  if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') {
    errs.push(invalid(p.child('effect').s, t.effect ?? '', "effect must be 'NoExecute' when `tolerationSeconds` is set"));
  }
}

export function validatePodSpec(spec: PodSpec | undefined, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  if (!spec) return [required(p.s)];
  const volumes = new Set<string>();
  (spec.volumes ?? []).forEach((v, i) => {
    const vp = p.child('volumes').index(i);
    validateVolume(v, vp, errs);
    if (v.name && volumes.has(v.name)) errs.push(duplicate(vp.child('name').s, v.name));
    volumes.add(v.name);
  });
  const names = new Set<string>();
  const checkName = (c: Container, cp: Path) => {
    if (!c.name) return;
    if (names.has(c.name)) errs.push(duplicate(cp.child('name').s, c.name));
    names.add(c.name);
  };
  (spec.initContainers ?? []).forEach((c, i) => {
    const cp = p.child('initContainers').index(i);
    validateContainer(c, cp, volumes, errs, true);
    checkName(c, cp);
  });
  if (!spec.containers || spec.containers.length === 0) errs.push(required(p.child('containers').s));
  (spec.containers ?? []).forEach((c, i) => {
    const cp = p.child('containers').index(i);
    validateContainer(c, cp, volumes, errs, false);
    checkName(c, cp);
  });
  if (spec.restartPolicy && !RESTART_POLICIES.includes(spec.restartPolicy))
    errs.push(notSupported(p.child('restartPolicy').s, spec.restartPolicy, RESTART_POLICIES));
  if (spec.dnsPolicy && !DNS_POLICIES.includes(spec.dnsPolicy)) errs.push(notSupported(p.child('dnsPolicy').s, spec.dnsPolicy, DNS_POLICIES));
  if (spec.dnsPolicy === 'None' && !spec.dnsConfig) errs.push(required(p.child('dnsConfig').s, 'must provide `dnsConfig` when `dnsPolicy` is None'));
  errs.push(...validateLabels(spec.nodeSelector, p.child('nodeSelector')));
  (spec.tolerations ?? []).forEach((t, i) => validateToleration(t, p.child('tolerations').index(i), errs));
  if (spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds < 1) {
    errs.push(invalid(p.child('activeDeadlineSeconds').s, spec.activeDeadlineSeconds, 'must be between 1 and 2147483647, inclusive'));
  }
  if (spec.terminationGracePeriodSeconds !== undefined && spec.terminationGracePeriodSeconds < 0) {
    errs.push(invalid(p.child('terminationGracePeriodSeconds').s, spec.terminationGracePeriodSeconds, 'must be greater than or equal to 0'));
  }
  if (spec.nodeName) for (const m of isDNS1123Subdomain(spec.nodeName)) errs.push(invalid(p.child('nodeName').s, spec.nodeName, m));
  if (spec.serviceAccountName)
    for (const m of isDNS1123Subdomain(spec.serviceAccountName)) errs.push(invalid(p.child('serviceAccountName').s, spec.serviceAccountName, m));
  if (spec.hostname) for (const m of isDNS1123Label(spec.hostname)) errs.push(invalid(p.child('hostname').s, spec.hostname, m));
  if (spec.subdomain) for (const m of isDNS1123Label(spec.subdomain)) errs.push(invalid(p.child('subdomain').s, spec.subdomain, m));
  (spec.schedulingGates ?? []).forEach((g, i) => {
    for (const m of isQualifiedName(g.name)) errs.push(invalid(p.child('schedulingGates').index(i).child('name').s, g.name, m));
  });
  return errs;
}

const UPDATE_MESSAGE =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

/** Most of a pod's spec is immutable: only images, the deadline and new tolerations may change. */
export function validatePodSpecUpdate(spec: PodSpec, old: PodSpec, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  const a = JSON.parse(JSON.stringify(spec)) as PodSpec;
  const b = JSON.parse(JSON.stringify(old)) as PodSpec;
  const sameImages = (x: Container[] | undefined, y: Container[] | undefined) => {
    (x ?? []).forEach((c, i) => {
      if (y?.[i]) c.image = y[i]!.image;
    });
  };
  sameImages(a.containers, b.containers);
  sameImages(a.initContainers, b.initContainers);
  (a.containers ?? []).forEach((c, i) => {
    if (!c.image) errs.push(required(p.child('containers').index(i).child('image').s));
  });
  if (old.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds === undefined) {
    errs.push(invalid(p.child('activeDeadlineSeconds').s, null, 'must not update from a positive integer to nil value'));
  } else if (old.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds! > old.activeDeadlineSeconds) {
    errs.push(invalid(p.child('activeDeadlineSeconds').s, spec.activeDeadlineSeconds, 'must be less than or equal to previous value'));
  }
  a.activeDeadlineSeconds = b.activeDeadlineSeconds;
  const oldTolerations = (old.tolerations ?? []).map((t) => JSON.stringify(t));
  const newTolerations = (spec.tolerations ?? []).map((t) => JSON.stringify(t));
  for (const t of oldTolerations) {
    if (!newTolerations.includes(t)) {
      const parsed = JSON.parse(t) as Toleration;
      // A NoExecute toleration may shorten its tolerationSeconds; anything else is a removal.
      const kept = (spec.tolerations ?? []).some(
        (n) =>
          n.key === parsed.key &&
          n.operator === parsed.operator &&
          n.value === parsed.value &&
          n.effect === parsed.effect &&
          n.effect === 'NoExecute' &&
          parsed.tolerationSeconds !== undefined &&
          n.tolerationSeconds !== undefined &&
          n.tolerationSeconds <= parsed.tolerationSeconds,
      );
      if (!kept) errs.push(forbidden(p.child('tolerations').s, 'existing toleration can not be modified except its tolerationSeconds'));
    }
  }
  a.tolerations = b.tolerations;
  // Scheduling gates may only be removed; nodeName is set by binding, not by update.
  const oldGates = (old.schedulingGates ?? []).map((g) => g.name);
  if ((spec.schedulingGates ?? []).some((g) => !oldGates.includes(g.name)))
    errs.push(forbidden(p.child('schedulingGates').s, 'only deletion is allowed, but found new scheduling gate'));
  a.schedulingGates = b.schedulingGates;
  if (old.terminationGracePeriodSeconds !== undefined && old.terminationGracePeriodSeconds < 0 && spec.terminationGracePeriodSeconds === 1) {
    a.terminationGracePeriodSeconds = b.terminationGracePeriodSeconds;
  }
  if (!deepEqual(a, b)) errs.push(forbidden(p.s, UPDATE_MESSAGE));
  return errs;
}
