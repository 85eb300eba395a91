// A pod's volumes on the node, as kubelet's volume manager lays them out: each under
// <podsRoot>/<uid>/volumes/<plugin>/<name>, set up before a container starts and bind-mounted
// into it per its volumeMounts (readOnly, subPath, subPathExpr). emptyDir is a directory (a tmpfs
// for medium Memory); configMap, secret, downwardAPI and projected volumes are written the way
// kubelet's AtomicWriter does (a timestamped dir, a ..data symlink to it, and a symlink per
// top-level entry), so that an update swaps them all at once; hostPath is the host's path, with
// its type checked. Everything is removed (tmpfs unmounted first) when the pod goes.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import type {
  ConfigMap,
  Container,
  DownwardAPIVolumeFile,
  KeyToPath,
  PersistentVolume,
  PersistentVolumeClaim,
  Pod,
  Secret,
  Volume,
} from 'kubernetes-types/core/v1';
import { Quantity } from '../api/quantity.js';
import type { Mount } from '../runtime/index.js';
import { expandVars } from './container-config.js';
import { ContainerConfigError, fieldRefValue, resourceFieldValue, type EnvSources } from './env.js';

/** A volume that can't be set up (yet): the container waits in ContainerCreating, with a FailedMount event. */
export class VolumeError extends Error {}

export interface VolumeSources {
  getConfigMap(namespace: string, name: string): Promise<ConfigMap | undefined>;
  getSecret(namespace: string, name: string): Promise<Secret | undefined>;
  getClaim(namespace: string, name: string): Promise<PersistentVolumeClaim | undefined>;
  getVolume(name: string): Promise<PersistentVolume | undefined>;
  podIPs: string[];
  hostIPs: string[];
  allocatable: EnvSources['allocatable'];
  /** A token for the pod's ServiceAccount (projected serviceAccountToken sources). */
  serviceAccountToken?(pod: Pod, audience: string | undefined, expirationSeconds: number | undefined): Promise<string>;
}

const PLUGIN: Record<string, string> = {
  emptyDir: 'kubernetes.io~empty-dir',
  configMap: 'kubernetes.io~configmap',
  secret: 'kubernetes.io~secret',
  downwardAPI: 'kubernetes.io~downward-api',
  projected: 'kubernetes.io~projected',
};

const DEFAULT_MODE = 0o644;

export function podDir(podsRoot: string, uid: string): string {
  return join(podsRoot, uid);
}

function volumeKind(v: Volume): string | undefined {
  for (const k of ['emptyDir', 'configMap', 'secret', 'downwardAPI', 'projected', 'hostPath', 'persistentVolumeClaim'] as const) if (v[k]) return k;
  return undefined;
}

/** A relative path inside a volume: no absolute paths, no '..' elements (upstream's validation). */
function safeRelative(p: string, what: string): string {
  if (!p || p.startsWith('/') || p.split('/').includes('..')) throw new VolumeError(`${what}: invalid path ${JSON.stringify(p)}`);
  return normalize(p);
}

function isMounted(path: string): boolean {
  try {
    return readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .some((l) => l.split(' ')[4]?.replace(/\\040/g, ' ') === path);
  } catch {
    return false;
  }
}

/** Files of one projection: path → content and mode. */
type Payload = Map<string, { data: Buffer; mode: number }>;

/**
 * fsGroup ownership as kubelet's SetVolumeOwnership: everything under path (symlinks excepted)
 * gets group fsGroup and group read, plus group write unless the volume is read-only by nature
 * (configMap, secret, downwardAPI, projected); directories also group search and setgid, so
 * that what containers create later inherits the group.
 */
export function setVolumeOwnership(path: string, fsGroup: number, readOnly: boolean): void {
  const st = lstatSync(path);
  if (st.isSymbolicLink()) return;
  lchownSync(path, st.uid, fsGroup);
  let mask = readOnly ? 0o440 : 0o660;
  if (st.isDirectory()) mask |= 0o2000 | 0o110;
  chmodSync(path, (st.mode & 0o7777) | mask);
  if (st.isDirectory()) for (const e of readdirSync(path)) setVolumeOwnership(join(path, e), fsGroup, readOnly);
}

/**
 * Writes a payload as kubelet's AtomicWriter: into a fresh ..<timestamp> dir, then the ..data
 * symlink swapped to it, then a symlink per top-level entry; old generations and entries that
 * are gone are removed. Unchanged payloads are left alone. With an fsGroup the new generation
 * is group-owned before it is swapped in.
 */
function writeAtomic(dir: string, payload: Payload, fsGroup?: number): void {
  if (fsGroup !== undefined) for (const f of payload.values()) f.mode |= 0o440;
  mkdirSync(dir, { recursive: true });
  const dataLink = join(dir, '..data');
  const current = existsSync(dataLink) ? readCurrent(dir) : undefined;
  if (current && samePayload(current, payload)) return;
  const gen = join(dir, `..${new Date().toISOString().replace(/[:.]/g, '_')}.${process.hrtime.bigint() % 1_000_000n}`);
  mkdirSync(gen, { mode: 0o755 });
  for (const [p, f] of payload) {
    const file = join(gen, p);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, f.data);
    chmodSync(file, f.mode);
  }
  chmodSync(gen, 0o755);
  if (fsGroup !== undefined) {
    setVolumeOwnership(gen, fsGroup, true);
    const root = lstatSync(dir);
    lchownSync(dir, root.uid, fsGroup);
    chmodSync(dir, (root.mode & 0o7777) | 0o2550);
  }
  const tmpLink = join(dir, '..data_tmp');
  rmSync(tmpLink, { force: true });
  symlinkSync(gen.slice(dir.length + 1), tmpLink);
  renameSync(tmpLink, dataLink);
  const top = new Set([...payload.keys()].map((p) => p.split('/')[0]!));
  for (const t of top) {
    const link = join(dir, t);
    let ok = false;
    try {
      ok = lstatSync(link).isSymbolicLink();
    } catch {
      // not there yet
    }
    if (!ok) {
      rmSync(link, { recursive: true, force: true });
      symlinkSync(join('..data', t), link);
    }
  }
  for (const e of readdirSync(dir)) {
    const full = join(dir, e);
    if (e === '..data' || full === gen) continue;
    if (e.startsWith('..') || !top.has(e)) rmSync(full, { recursive: true, force: true });
  }
}

function readCurrent(dir: string): Payload | undefined {
  const out: Payload = new Map();
  const base = join(dir, '..data');
  const walk = (rel: string) => {
    for (const e of readdirSync(join(base, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else out.set(r, { data: readFileSync(join(base, r)), mode: statSync(join(base, r)).mode & 0o7777 });
    }
  };
  try {
    walk('');
  } catch {
    return undefined;
  }
  return out;
}

function samePayload(a: Payload, b: Payload): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (!w || w.mode !== v.mode || !w.data.equals(v.data)) return false;
  }
  return true;
}

/** data (strings) and binaryData (base64) of a configMap, or data (base64) of a secret, as bytes by key. */
function keyedData(obj: ConfigMap | Secret | undefined, secret: boolean): Map<string, Buffer> {
  const m = new Map<string, Buffer>();
  if (!obj) return m;
  if (secret) {
    for (const [k, v] of Object.entries((obj as Secret).data ?? {})) m.set(k, Buffer.from(v, 'base64'));
    for (const [k, v] of Object.entries((obj as Secret).stringData ?? {})) m.set(k, Buffer.from(v, 'utf8'));
  } else {
    for (const [k, v] of Object.entries((obj as ConfigMap).data ?? {})) m.set(k, Buffer.from(v, 'utf8'));
    for (const [k, v] of Object.entries((obj as ConfigMap).binaryData ?? {})) m.set(k, Buffer.from(v, 'base64'));
  }
  return m;
}

/** The files of a configMap or secret source: every key, or the items asked for (with their modes). */
function keyedPayload(
  out: Payload,
  kind: 'configmap' | 'secret',
  name: string,
  obj: ConfigMap | Secret | undefined,
  items: KeyToPath[] | undefined,
  optional: boolean | undefined,
  defaultMode: number,
): void {
  if (!obj) {
    if (optional) return;
    throw new VolumeError(`${kind} "${name}" not found`);
  }
  const data = keyedData(obj, kind === 'secret');
  if (!items?.length) {
    for (const [k, v] of data) out.set(k, { data: v, mode: defaultMode });
    return;
  }
  for (const it of items) {
    const v = data.get(it.key);
    if (v === undefined) {
      if (optional) continue;
      throw new VolumeError(`configuration error: key ${it.key} not found in ${kind === 'secret' ? 'Secret' : 'ConfigMap'} ${obj.metadata?.namespace}/${name}`);
    }
    out.set(safeRelative(it.path, `${kind} ${name} item ${it.key}`), { data: v, mode: it.mode ?? defaultMode });
  }
}

function downwardPayload(out: Payload, pod: Pod, items: DownwardAPIVolumeFile[], defaultMode: number, src: VolumeSources): void {
  for (const it of items) {
    let value: string;
    try {
      if (it.fieldRef) value = fieldRefValue(pod, it.fieldRef.fieldPath, src);
      else if (it.resourceFieldRef) {
        const ref = it.resourceFieldRef as { containerName?: string; resource: string; divisor?: string };
        const c = pod.spec!.containers.find((x) => x.name === ref.containerName) ?? pod.spec!.containers[0]!;
        value = resourceFieldValue(pod, c, ref, src.allocatable);
      } else continue;
    } catch (e) {
      if (e instanceof ContainerConfigError) throw new VolumeError(e.message);
      throw e;
    }
    out.set(safeRelative(it.path, `downwardAPI item ${it.path}`), { data: Buffer.from(value, 'utf8'), mode: it.mode ?? defaultMode });
  }
}

/** tmpfs size for a Memory emptyDir: its sizeLimit, if any. */
function tmpfsOptions(v: Volume): string {
  const limit = v.emptyDir?.sizeLimit;
  const size = limit !== undefined ? Quantity.parse(String(limit)).value() : undefined;
  return size ? `size=${size}` : '';
}

function checkHostPath(path: string, type: string | undefined): void {
  const t = type ?? '';
  let st: ReturnType<typeof statSync> | undefined;
  try {
    st = statSync(path);
  } catch {
    st = undefined;
  }
  switch (t) {
    case '':
      return;
    case 'DirectoryOrCreate':
      if (!st) mkdirSync(path, { recursive: true, mode: 0o755 });
      else if (!st.isDirectory()) throw new VolumeError(`hostPath type check failed: ${path} is not a directory`);
      return;
    case 'FileOrCreate':
      if (!st) {
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, '', { mode: 0o644 });
      } else if (!st.isFile()) throw new VolumeError(`hostPath type check failed: ${path} is not a file`);
      return;
  }
  if (!st) throw new VolumeError(`hostPath type check failed: ${path} does not exist`);
  const ok: Record<string, boolean> = {
    Directory: st.isDirectory(),
    File: st.isFile(),
    Socket: st.isSocket(),
    CharDevice: st.isCharacterDevice(),
    BlockDevice: st.isBlockDevice(),
  };
  if (!(t in ok)) throw new VolumeError(`hostPath: unknown type ${t}`);
  if (!ok[t]) throw new VolumeError(`hostPath type check failed: ${path} is not a ${t}`);
}

/**
 * The host path of a claim's volume: the claim must be Bound (kubelet's message otherwise: the
 * pod waits in ContainerCreating until the binder, or the provisioner, is done) to a hostPath or
 * local volume, the kinds a Berth node can mount; the path is bind-mounted as a hostPath is.
 */
async function claimedPath(ns: string, claimName: string, src: VolumeSources): Promise<string> {
  const pvc = await src.getClaim(ns, claimName);
  if (!pvc) throw new VolumeError(`persistentvolumeclaim "${claimName}" not found`);
  if (pvc.metadata?.deletionTimestamp) throw new VolumeError(`error processing PVC ${ns}/${claimName}: PVC is being deleted`);
  const volumeName = pvc.spec?.volumeName ?? '';
  if (pvc.status?.phase !== 'Bound' || !volumeName)
    throw new VolumeError(
      `PVC ${ns}/${claimName} has non-bound phase (${JSON.stringify(pvc.status?.phase ?? '')}) or empty pvc.Spec.VolumeName (${JSON.stringify(volumeName)})`,
    );
  const pv = await src.getVolume(volumeName);
  if (!pv) throw new VolumeError(`persistentvolume "${volumeName}" not found`);
  const hostPath = pv.spec?.hostPath;
  if (hostPath) {
    checkHostPath(hostPath.path, hostPath.type);
    return hostPath.path;
  }
  const local = pv.spec?.local?.path;
  if (!local) throw new VolumeError(`persistentvolume "${volumeName}": unsupported volume type on this node (hostPath and local are)`);
  if (!existsSync(local)) throw new VolumeError(`path "${local}" does not exist`);
  return local;
}

/**
 * Sets up every volume of the pod (idempotent: emptyDirs are made once, configMap/secret/
 * downwardAPI contents rewritten only when they changed); returns each volume's host path.
 */
export async function setUpVolumes(pod: Pod, podsRoot: string, src: VolumeSources): Promise<Map<string, string>> {
  const uid = pod.metadata!.uid!;
  const ns = pod.metadata!.namespace!;
  const paths = new Map<string, string>();
  const fsGroup = pod.spec?.securityContext?.fsGroup ?? undefined;
  for (const v of pod.spec?.volumes ?? []) {
    const kind = volumeKind(v);
    if (!kind) throw new VolumeError(`volume ${v.name}: unsupported volume type on this node`);
    if (kind === 'hostPath') {
      checkHostPath(v.hostPath!.path, v.hostPath!.type);
      paths.set(v.name, v.hostPath!.path);
      continue;
    }
    if (kind === 'persistentVolumeClaim') {
      paths.set(v.name, await claimedPath(ns, v.persistentVolumeClaim!.claimName, src));
      continue;
    }
    const dir = join(podDir(podsRoot, uid), 'volumes', PLUGIN[kind]!, v.name);
    paths.set(v.name, dir);
    if (kind === 'emptyDir') {
      // Set up once per pod (every container start comes here): ownership and modes the
      // containers changed since are theirs.
      let fresh = false;
      if (!existsSync(dir)) {
        mkdirSync(dir, { recursive: true });
        fresh = true;
      }
      if (v.emptyDir!.medium === 'Memory' && !isMounted(dir)) {
        const opts = ['-t', 'tmpfs', ...(tmpfsOptions(v) ? ['-o', tmpfsOptions(v)] : []), 'tmpfs', dir];
        const r = spawnSync('mount', opts, { encoding: 'utf8' });
        if (r.status !== 0) throw new VolumeError(`mount tmpfs for volume ${v.name}: ${(r.stderr || r.error?.message || '').trim()}`);
        fresh = true;
      }
      if (fresh) {
        chmodSync(dir, 0o777);
        if (fsGroup !== undefined) setVolumeOwnership(dir, fsGroup, false);
      }
      continue;
    }
    const payload: Payload = new Map();
    if (kind === 'configMap') {
      const s = v.configMap!;
      keyedPayload(payload, 'configmap', s.name!, await src.getConfigMap(ns, s.name!), s.items, s.optional, s.defaultMode ?? DEFAULT_MODE);
    } else if (kind === 'secret') {
      const s = v.secret!;
      keyedPayload(payload, 'secret', s.secretName!, await src.getSecret(ns, s.secretName!), s.items, s.optional, s.defaultMode ?? DEFAULT_MODE);
    } else if (kind === 'downwardAPI') {
      downwardPayload(payload, pod, v.downwardAPI!.items ?? [], v.downwardAPI!.defaultMode ?? DEFAULT_MODE, src);
    } else {
      const p = v.projected!;
      const mode = p.defaultMode ?? DEFAULT_MODE;
      for (const s of p.sources ?? []) {
        if (s.configMap)
          keyedPayload(payload, 'configmap', s.configMap.name!, await src.getConfigMap(ns, s.configMap.name!), s.configMap.items, s.configMap.optional, mode);
        else if (s.secret) keyedPayload(payload, 'secret', s.secret.name!, await src.getSecret(ns, s.secret.name!), s.secret.items, s.secret.optional, mode);
        else if (s.downwardAPI) downwardPayload(payload, pod, s.downwardAPI.items ?? [], mode, src);
        else if (s.serviceAccountToken) {
          const t = s.serviceAccountToken;
          if (!src.serviceAccountToken) throw new VolumeError(`volume ${v.name}: service account tokens are not available on this node`);
          let token: string;
          try {
            token = await src.serviceAccountToken(pod, t.audience, t.expirationSeconds);
          } catch (e) {
            throw new VolumeError(`failed to fetch token: ${(e as Error).message}`);
          }
          payload.set(safeRelative(t.path, `serviceAccountToken ${t.path}`), { data: Buffer.from(token, 'utf8'), mode });
        } else throw new VolumeError(`volume ${v.name}: unsupported projected source on this node`);
      }
    }
    writeAtomic(dir, payload, fsGroup);
  }
  return paths;
}

/** The container's mounts for its volumeMounts (subPath and subPathExpr made inside the volume). */
export function containerMounts(c: Container, volumes: Map<string, string>, envs: Array<{ key: string; value: string }>): Mount[] {
  const vars = new Map(envs.map((e) => [e.key, e.value]));
  const mounts: Mount[] = [];
  for (const vm of c.volumeMounts ?? []) {
    const base = volumes.get(vm.name);
    if (base === undefined) throw new VolumeError(`container ${c.name}: volumeMount ${vm.name} names no volume of the pod`);
    let host = base;
    const sub = vm.subPathExpr !== undefined ? expandVars(vm.subPathExpr, vars) : vm.subPath;
    if (sub) {
      host = join(base, safeRelative(sub, `container ${c.name}: subPath`));
      if (!existsSync(host)) {
        mkdirSync(host, { recursive: true });
        chmodSync(host, 0o777);
      }
    }
    const propagation =
      vm.mountPropagation === 'Bidirectional'
        ? 'PROPAGATION_BIDIRECTIONAL'
        : vm.mountPropagation === 'HostToContainer'
          ? 'PROPAGATION_HOST_TO_CONTAINER'
          : 'PROPAGATION_PRIVATE';
    mounts.push({ containerPath: vm.mountPath, hostPath: host, readonly: !!vm.readOnly, propagation });
  }
  return mounts;
}

/** Unmounts what is mounted under the pod's dir (tmpfs emptyDirs), then removes it. */
export function tearDownVolumes(podsRoot: string, uid: string): void {
  const dir = podDir(podsRoot, uid);
  if (!existsSync(dir)) return;
  const prefix = `${dir}/`;
  let points: string[] = [];
  try {
    points = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[4]?.replace(/\\040/g, ' '))
      .filter((p): p is string => !!p && p.startsWith(prefix))
      .sort((a, b) => b.length - a.length);
  } catch {
    // no mountinfo: nothing mounted that we can see
  }
  for (const p of points) spawnSync('umount', [p], { stdio: 'ignore' });
  // Still mounted (busy): detach lazily rather than remove files through the mount.
  for (const p of points) if (isMounted(p)) spawnSync('umount', ['-l', p], { stdio: 'ignore' });
  rmSync(dir, { recursive: true, force: true });
}
