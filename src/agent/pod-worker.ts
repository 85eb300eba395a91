// One worker per pod, moving it through its lifecycle (src/kubelet/pod-worker-state.ts, upstream's
// pod_workers.go): while syncing it is driven to its spec through the runtime (kubelet's
// syncPod): sandbox, init containers in order, app containers (each one's postStart hook run
// before the next starts), restarts by restartPolicy with back-off; then the status. A pod that
// completed is stopped and keeps its containers for their logs; a pod being deleted is stopped
// with its grace period (preStop hooks first), everything of it removed from the node, and the
// pod object deleted (kubelet's final delete). Syncs of one pod never overlap.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ConfigMap, Container, PersistentVolume, PersistentVolumeClaim, Pod, Secret } from 'kubernetes-types/core/v1';
import { deepEqual } from '../api/object.js';
import type { EventRecorder, RestClient } from '../client/index.js';
import { isConflict, isNotFound, objectReference, resources } from '../client/index.js';
import type { ContainerStatus, Image, PodSandbox, PodSandboxConfig, PodSandboxStatus, Runtime } from '../runtime/index.js';
import {
  Backoff,
  SYNCING,
  computePodStatus,
  isRestartableInit,
  podWorkerTransition,
  type PodWorkerEvent,
  type PodWorkerState,
  type ContainerView,
  type TerminationReason,
} from '../kubelet/index.js';
import { ANNOTATION_CONTAINER_HASH, LABEL_POD_UID, containerConfig, containerHash, sandboxConfig, type DnsSettings } from './container-config.js';
import { ContainerConfigError, containerEnv } from './env.js';
import { hostsMount } from './etc-hosts.js';
import type { ObjectCache } from './object-cache.js';
import type { ImagePuller } from './image-puller.js';
import { MIN_GRACE_SECONDS, graceAfterPreStop, killGracePeriod, killMessage, runHook, runPreStopHook, type KillReason } from './lifecycle.js';
import { podIdentity, removePodFromNode } from './pod-cleanup.js';
import { initContainerActions, terminationPrereqs, type InitActions } from './sidecars.js';
import { allDone, formatDuration, shouldRestart } from './restart-policy.js';
import type { ProbeManager } from './probes.js';
import { imageUser, runAsNonRootViolation } from './security-context.js';
import type { StartGate } from './start-gate.js';
import type { StatusManager } from './status-manager.js';
import { VolumeError, containerMounts, podDir, setUpVolumes } from './volumes.js';
import type { ServiceAccountTokens } from './sa-token.js';
import type { ServiceEnv } from './service-env.js';

/** A worker syncs at least this often even when nothing happens. */
const RESYNC_MS = 10_000;

export interface PodWorkerDeps {
  runtime: Runtime;
  runtimeName: string;
  client: RestClient;
  recorder: EventRecorder;
  images: ImagePuller;
  probes: ProbeManager;
  status: StatusManager;
  /** Bounds the runtime's start-up steps in flight, earlier pods first. */
  startGate: StartGate;
  /** Container restarts: 10 s doubling to 5 min (upstream). */
  restartBackoff: Backoff;
  hostIPs(): string[];
  logRoot: string;
  /** Where pods' volumes live (<podsRoot>/<uid>/volumes/...). */
  podsRoot: string;
  /** ConfigMaps and Secrets (watched for the node's pods), claims and volumes; shared. */
  volumeSources: ObjectCache;
  /** The Service variables of containers (from an informer on the cluster's Services). */
  serviceEnv: ServiceEnv;
  /** Tokens for projected serviceAccountToken sources (absent: such volumes cannot be set up). */
  serviceAccountTokens?: ServiceAccountTokens;
  cgroupRoot: string;
  dns: DnsSettings;
  allocatable: { cpuMilli: number; memory: number };
  memoryCapacity: number;
  log(msg: string): void;
  /** The worker is finished: its pod is gone and nothing of it is left in the runtime. */
  done(uid: string): void;
}

interface RuntimeContainers {
  /** By container name: newest first. */
  byName: Map<string, ContainerStatus[]>;
  all: ContainerStatus[];
}

/** What a syncing pass works with once the pod has a ready sandbox. */
interface SandboxContext {
  sandbox: PodSandbox;
  config: PodSandboxConfig;
  podIPs: string[];
  /**
   * All the pod's sandboxes as the pass found or left them: only this worker makes and stops
   * them, so the garbage removal at the pass's end needs no second list.
   */
  sandboxes: PodSandbox[];
}

/** A step could not go on now: look again after retryInMs (0: at once; undefined: only on events or the resync). */
interface Blocked {
  retryInMs: number | undefined;
}

function isBlocked<T>(x: T | Blocked): x is Blocked {
  return typeof x === 'object' && x !== null && 'retryInMs' in x;
}

/** The earlier of two requeue times (undefined: none); never sooner than 50 ms, so a busy pod doesn't spin. */
function soonest(current: number | undefined, ms: number | undefined): number | undefined {
  return ms !== undefined && (current === undefined || ms < current) ? Math.max(ms, 50) : current;
}

/** The states a sandbox or container is in after the call that made it (a container may have exited since: news). */
const SANDBOX_MADE: ReadonlySet<string> = new Set(['SANDBOX_READY']);
const CONTAINER_MADE: ReadonlySet<string> = new Set(['CONTAINER_CREATED', 'CONTAINER_RUNNING']);

/** Sandboxes' and containers' states by id, as the agent's relist compares them. */
export function runtimeView(containers: Array<{ id: string; state: string }>, sandboxes: Array<{ id: string; state: string }>): Map<string, string> {
  return new Map([...sandboxes, ...containers].map((x) => [x.id, x.state]));
}

const isTerminalPhase = (pod: Pod) => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';

export class PodWorker {
  private pod: Pod;
  /** Where the pod is in its lifecycle; changed only by transition(). */
  private state: PodWorkerState = SYNCING;
  /** The pod object is gone from the API (an input: the state follows it at the next sync). */
  private gone = false;
  private syncing = false;
  private again = false;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  /** No more syncs: the pod is finished, or the agent stopped the worker. */
  private halted = false;
  /** Why containers aren't running, as last found (back-off, pull and config errors). */
  private readonly waiting = new Map<string, { reason: string; message?: string }>();
  /** Containers to kill on the next sync (failed liveness or startup probe), with the reason. */
  private readonly toKill = new Map<string, KillReason>();
  /** Fires when the pod starts terminating (or the worker stops): a postStart hook under way is given up. */
  private readonly ending = new AbortController();
  private sandboxBackoff = new Backoff(1000, 60_000);
  /** Why refreshing the volumes failed last (said once). */
  private refreshError?: string;
  /** Counts what this worker did to the pod's containers (made, started, killed, removed): a pass that did nothing needs no second look. */
  private changes = 0;
  /** The pod's sandboxes and containers by id with their states, as the last syncing pass left them (undefined: unknown). */
  private lastView?: Map<string, string>;
  /** The view the pass under way ends with (set by a syncing pass that ended normally). */
  private passView?: Map<string, string>;
  /** What the pass under way made, with the states its own calls leave it in. */
  private readonly made = new Map<string, ReadonlySet<string>>();
  /**
   * The pod's volumes as the pass under way set them up for the containers it starts: once per
   * pass, however many it starts (kubelet mounts a pod's volumes once before its containers), and
   * then no refresh in the same pass.
   */
  private passVolumes?: Promise<Map<string, string>>;

  constructor(
    pod: Pod,
    private readonly d: PodWorkerDeps,
    /** The pod's arrival on this node (its place in the start gate's order). */
    private readonly order = 0,
  ) {
    this.pod = pod;
  }

  get uid(): string {
    return this.pod.metadata!.uid!;
  }

  /** Where the pod is in its lifecycle. */
  get lifecycle(): PodWorkerState {
    return this.state;
  }

  private get name(): string {
    return `${this.pod.metadata!.namespace}/${this.pod.metadata!.name}`;
  }

  /** A newer copy of the pod; a sync follows unless only its status changed (our own writes come back this way). */
  update(pod: Pod): void {
    const old = this.pod;
    this.pod = pod;
    if (pod.metadata?.deletionTimestamp) this.ending.abort();
    const { resourceVersion: _a, managedFields: _b, ...oldMeta } = old.metadata ?? {};
    const { resourceVersion: _c, managedFields: _d, ...newMeta } = pod.metadata ?? {};
    if (!deepEqual(old.spec, pod.spec) || !deepEqual(oldMeta, newMeta)) this.queue();
  }

  /** The pod object is gone from the API (deleted with no grace, or its deletion finished). */
  podDeleted(): void {
    this.gone = true;
    this.ending.abort();
    this.queue();
  }

  /** A liveness or startup probe failed: the container is killed, then restarted as its policy says. */
  killForProbe(containerId: string, probe: 'liveness' | 'startup'): void {
    this.toKill.set(containerId, { kind: 'probeFailed', probe });
    this.queue();
  }

  /**
   * Whether the runtime's view of the pod (its sandboxes' and containers' states by id) is news
   * to this worker: not when it is what the worker's last pass left, nor, while a pass is under
   * way, when what differs is only what that pass made, in the state its own call left it (its
   * sandbox ready, its container created or running). The relist wakes the worker only for news.
   */
  sawRuntime(view: Map<string, string>): boolean {
    const last = this.lastView ?? (this.syncing ? new Map<string, string>() : undefined);
    if (!last) return false;
    for (const [id, state] of view) if (last.get(id) !== state && !(this.syncing && this.made.get(id)?.has(state))) return false;
    for (const id of last.keys()) if (!view.has(id)) return false;
    return true;
  }

  /** Stops syncing; resolves when a sync under way has ended. */
  stop(): Promise<void> {
    this.halted = true;
    this.ending.abort();
    clearTimeout(this.timer);
    return this.running ?? Promise.resolve();
  }

  /** Syncs now (or right after the running sync), or after delayMs. */
  queue(delayMs = 0): void {
    if (this.halted) return;
    if (delayMs > 0) {
      if (this.timer) return;
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.queue();
      }, delayMs);
      this.timer.unref();
      return;
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.syncing) {
      this.again = true;
      return;
    }
    this.running = this.loop();
  }

  private async loop(): Promise<void> {
    this.syncing = true;
    try {
      do {
        this.again = false;
        let next: number | undefined = RESYNC_MS;
        try {
          next = await this.sync();
        } catch (e) {
          // Stopped meanwhile: the runtime's connection closing under a sync is no failure.
          if (this.halted) return;
          this.d.log(`pod ${this.name}: sync failed: ${(e as Error).message}`);
          next = 2000;
        }
        if (this.halted) return;
        if (!this.again && next !== undefined) this.queue(next);
      } while (this.again && !this.halted);
    } finally {
      this.syncing = false;
    }
  }

  private transition(e: PodWorkerEvent): void {
    this.state = podWorkerTransition(this.state, e);
  }

  /** What the pod object says now, as events: its deletion, its disappearance, a terminal phase. */
  private observe(): void {
    if (this.gone) this.transition('podRemoved');
    else if (this.pod.metadata!.deletionTimestamp) this.transition('deletionRequested');
    else if (isTerminalPhase(this.pod)) this.transition('phaseTerminal');
  }

  /**
   * One pass: the step of the pod's state, and of each state a step moves it to (a deleted pod is
   * stopped, then removed, in one pass). Returns when to sync again at the latest (undefined: only on events).
   */
  private async sync(): Promise<number | undefined> {
    let before: PodWorkerState;
    let next: number | undefined;
    this.passView = undefined;
    this.passVolumes = undefined;
    try {
      do {
        this.observe();
        before = this.state;
        next = await this.step(before);
      } while (this.state !== before && this.state.phase !== 'finished');
    } finally {
      // Known only as a syncing pass that ended normally left it; otherwise every relist wakes the worker.
      this.lastView = this.passView;
      this.made.clear();
    }
    return next;
  }

  private async step(s: PodWorkerState): Promise<number | undefined> {
    switch (s.phase) {
      case 'syncing':
        return this.syncPod();
      case 'terminating':
        await this.syncTerminatingPod(s.reason);
        return undefined;
      case 'terminated':
        await this.syncTerminatedPod(s.reason);
        return undefined;
      case 'finished':
        return undefined;
    }
  }

  /** Drives the running pod to its spec: sandbox, condemned containers, init then app containers, status. */
  private async syncPod(): Promise<number | undefined> {
    const changesAtStart = this.changes;
    const containers = await this.containers();
    const ready = await this.ensureSandbox(containers);
    if (ready === 'allExited') {
      this.transition('allExited');
      return undefined;
    }
    if (isBlocked(ready)) return ready.retryInMs;
    await this.killCondemned();
    // Listed again only when this pass killed some (for a new sandbox, or a probe): only this
    // worker makes and kills the pod's containers, and its syncs never overlap. A container
    // that exits on its own meanwhile is seen by the next relist, as one exiting just after.
    const current = this.changes === changesAtStart ? containers : await this.containersAgain(containers);
    // Nothing will run again (the app containers are done, or an init container failed for
    // good): sidecars are stopped rather than restarted (upstream's KillPod).
    if (allDone(this.pod, current.byName)) {
      await this.removeGarbage(current, ready);
      this.transition('allExited');
      return undefined;
    }
    const actions = this.initActions(current);
    let requeue = soonest(RESYNC_MS, await this.startInitContainers(current, actions, ready));
    if (actions.initialized) requeue = soonest(requeue, await this.syncAppContainers(current, ready));
    const after = this.changes === changesAtStart ? current : await this.containersAgain(current);
    if (allDone(this.pod, after.byName)) {
      await this.removeGarbage(after, ready);
      this.transition('allExited');
      return undefined;
    }
    // The status first: neither the garbage (containers older than the two the status shows,
    // sandboxes no container is left in) nor the volumes' refresh changes it, and a container
    // just started is then reported running without waiting for them.
    await this.report(after, ready.sandbox, { podIPs: ready.podIPs });
    const sandboxes = await this.removeGarbage(after, ready);
    await this.refreshVolumes(ready.podIPs);
    // The pass acted on its sandbox as ready: if the list above already finds it otherwise,
    // that is news the next relist must still bring.
    this.passView = runtimeView(
      after.all,
      sandboxes.map((s) => (s.id === ready.sandbox.id ? { id: s.id, state: ready.sandbox.state } : s)),
    );
    return requeue;
  }

  private sandboxConfig(attempt: number): PodSandboxConfig {
    return sandboxConfig(this.pod, { attempt, logRoot: this.d.logRoot, cgroupRoot: this.d.cgroupRoot, dns: this.d.dns });
  }

  /**
   * The pod's ready sandbox, made anew (with back-off) when it has none or its sandbox died;
   * 'allExited' when a pod that is done gets none (upstream: nor does one that never restarts
   * once its containers ran); Blocked, with the status reported, while it cannot be made.
   */
  private async ensureSandbox(containers: RuntimeContainers): Promise<SandboxContext | Blocked | 'allExited'> {
    let sandboxes = await this.sandboxes();
    let sandbox: PodSandbox | PodSandboxStatus | undefined = sandboxes[0];
    if (!sandbox || sandbox.state !== 'SANDBOX_READY') {
      if (sandbox && (allDone(this.pod, containers.byName) || (this.pod.spec!.restartPolicy === 'Never' && containers.all.length > 0))) return 'allExited';
      const made = await this.recreateSandbox(containers, sandboxes);
      if (isBlocked(made)) return made;
      sandbox = made;
      // The old ones were stopped on the way.
      sandboxes = [made, ...sandboxes.map((s) => ({ ...s, state: 'SANDBOX_NOTREADY' as const }))];
    }
    return { sandbox, config: this.sandboxConfig(sandbox.metadata.attempt), podIPs: await this.podIPs(sandbox), sandboxes };
  }

  /** Kills what still runs of a dead sandbox, then starts a new one; the old ones are stopped (their IPs released). */
  private async recreateSandbox(containers: RuntimeContainers, sandboxes: PodSandbox[]): Promise<PodSandbox | PodSandboxStatus | Blocked> {
    const old = sandboxes[0];
    for (const c of containers.all) if (c.state === 'CONTAINER_RUNNING') await this.kill(c, MIN_GRACE_SECONDS, { kind: 'sandboxChanged' });
    const attempt = old ? old.metadata.attempt + 1 : 0;
    if (old) this.event('Normal', 'SandboxChanged', 'Pod sandbox changed, it will be killed and re-created.');
    const key = 'sandbox';
    const blocked = async (): Promise<Blocked> => {
      const retryInMs = this.sandboxBackoff.remainingMs(key, Date.now());
      await this.report(containers, old);
      return { retryInMs };
    };
    if (this.sandboxBackoff.isInBackOffSince(key, Date.now())) return blocked();
    try {
      const id = await this.d.startGate.run(this.order, () => this.d.runtime.runPodSandbox(this.sandboxConfig(attempt)));
      this.made.set(id, SANDBOX_MADE);
      this.sandboxBackoff.reset(key);
      // The old sandbox is stopped (its IP released) but kept while its exited containers
      // still say something (restart counts, lastState); removeGarbage removes it after.
      for (const s of sandboxes) await this.d.runtime.stopPodSandbox(s.id).catch(() => undefined);
      // Its status is the sandbox with its IPs: one call where a list and a status were two.
      const made = await this.d.runtime.podSandboxStatus(id);
      if (made) return made;
      const now = await this.sandboxes();
      return now.find((s) => s.id === id) ?? now[0]!;
    } catch (e) {
      this.sandboxBackoff.next(key);
      this.event('Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${(e as Error).message}`);
      return blocked();
    }
  }

  /** Kills the containers a probe condemned (each with its probe's grace period). */
  private async killCondemned(): Promise<void> {
    if (this.toKill.size === 0) return;
    const containers = await this.containers();
    for (const [id, reason] of [...this.toKill]) {
      this.toKill.delete(id);
      const c = containers.all.find((x) => x.id === id);
      if (c && c.state === 'CONTAINER_RUNNING') await this.kill(c, killGracePeriod(this.pod, this.specOf(c.metadata.name), reason), reason);
    }
  }

  private initActions(containers: RuntimeContainers): InitActions {
    return initContainerActions(
      this.pod.spec!,
      (name) => containers.byName.get(name)?.[0],
      // A startup probe's verdict counts only once its worker runs; without one, running is started.
      (c, s) => !c.startupProbe || (this.d.probes.tracked(s.id) && this.d.probes.started(s.id)),
    );
  }

  /** Starts the init containers due (in order); returns when to look again. */
  private async startInitContainers(containers: RuntimeContainers, actions: InitActions, sb: SandboxContext): Promise<number | undefined> {
    const spec = this.pod.spec!;
    for (const c of spec.initContainers ?? []) {
      const latest = containers.byName.get(c.name)?.[0];
      // Done for good (or for now, until the pod ends): no back-off or error to show any more.
      if (latest?.state === 'CONTAINER_EXITED' && !actions.start.includes(c.name)) this.waiting.delete(c.name);
    }
    let requeue: number | undefined;
    for (const name of actions.start) {
      if (this.ending.signal.aborted) break;
      const c = spec.initContainers!.find((x) => x.name === name)!;
      const wait = await this.startOrRestart(c, containers.byName.get(name)?.[0], true, sb);
      requeue = soonest(requeue, wait);
      // Upstream: a sidecar that cannot start now is skipped; a regular init container that
      // cannot start ends this pass.
      if (wait !== undefined && !isRestartableInit(c)) break;
    }
    return requeue;
  }

  /** Starts or restarts the app containers as restartPolicy says; one whose definition changed is restarted. */
  private async syncAppContainers(containers: RuntimeContainers, sb: SandboxContext): Promise<number | undefined> {
    const spec = this.pod.spec!;
    let requeue: number | undefined;
    for (const c of spec.containers) {
      if (this.ending.signal.aborted) break;
      const latest = containers.byName.get(c.name)?.[0];
      if (latest?.state === 'CONTAINER_RUNNING') {
        this.waiting.delete(c.name);
        if (latest.annotations[ANNOTATION_CONTAINER_HASH] && latest.annotations[ANNOTATION_CONTAINER_HASH] !== containerHash(c)) {
          const reason: KillReason = { kind: 'definitionChanged' };
          await this.kill(latest, killGracePeriod(this.pod, c, reason), reason);
          requeue = soonest(requeue, 0);
        }
        continue;
      }
      if (latest?.state === 'CONTAINER_EXITED' && !shouldRestart(spec.restartPolicy, latest.exitCode)) {
        this.waiting.delete(c.name);
        continue;
      }
      requeue = soonest(requeue, await this.startOrRestart(c, latest, false, sb));
    }
    return requeue;
  }

  /**
   * Starts a container that never ran, or restarts one that exited (with back-off): its image,
   * its environment and mounts, the runAsNonRoot check, create and start, then its postStart
   * hook. Returns when to look again (the back-off's end, a retry), or undefined.
   */
  private async startOrRestart(c: Container, latest: ContainerStatus | undefined, init: boolean, sb: SandboxContext): Promise<number | undefined> {
    const attempt = await this.nextAttempt(c, latest, init);
    if (isBlocked(attempt)) return attempt.retryInMs;
    const pulled = await this.pullImage(c, init, sb.config);
    if (isBlocked(pulled)) return pulled.retryInMs;
    const image = pulled.imageRef;
    const setup = await this.containerSetup(c, init, sb.podIPs);
    if (isBlocked(setup)) return setup.retryInMs;
    // An image found present was just looked at; one just pulled is looked at now.
    const user = imageUser(pulled.image ?? (await this.d.runtime.imageStatus(image).catch(() => undefined)));
    const violation = runAsNonRootViolation(this.pod, c, user);
    if (violation) return this.cannotStart(c, init, 'CreateContainerConfigError', violation);
    const config = containerConfig(this.pod, c, {
      attempt,
      image,
      envs: setup.envs,
      memoryCapacity: this.d.memoryCapacity,
      mounts: setup.mounts,
      imageUser: user,
    });
    const id = await this.createAndStart(c, init, config, sb);
    if (isBlocked(id)) return id.retryInMs;
    if (c.lifecycle?.postStart) return this.postStart(c, id, init, sb.podIPs);
    return undefined;
  }

  /**
   * The attempt number the container starts under: a created-but-never-started one is replaced
   * under its own; an exited one is restarted under the next once its back-off has passed.
   */
  private async nextAttempt(c: Container, latest: ContainerStatus | undefined, init: boolean): Promise<number | Blocked> {
    if (!latest) return 0;
    if (latest.state === 'CONTAINER_CREATED' || latest.state === 'CONTAINER_UNKNOWN') {
      this.changes++;
      await this.d.runtime.removeContainer(latest.id).catch(() => undefined);
      return latest.metadata.attempt;
    }
    if (latest.state === 'CONTAINER_EXITED') {
      const key = `${this.uid}/${c.name}`;
      const exitedAt = latest.finishedAtMs || Date.now();
      const b = this.d.restartBackoff;
      if (b.isInBackOffSince(key, exitedAt)) {
        const m = this.pod.metadata!;
        const message = `back-off ${formatDuration(b.currentMs(key))} restarting failed container=${c.name} pod=${m.name}_${m.namespace}(${this.uid})`;
        if (this.waiting.get(c.name)?.reason !== 'CrashLoopBackOff')
          this.event('Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${m.name}_${m.namespace}(${this.uid})`, c, init);
        this.waiting.set(c.name, { reason: 'CrashLoopBackOff', message });
        return { retryInMs: b.remainingMs(key, exitedAt) };
      }
      b.next(key, exitedAt);
    }
    return latest.metadata.attempt + 1;
  }

  /** The container's image, pulled as its pull policy says: the image reference to run, and the image when it was found present. */
  private async pullImage(c: Container, init: boolean, sb: PodSandboxConfig): Promise<{ imageRef: string; image?: Image } | Blocked> {
    const pull = await this.d.images.ensure(this.pod, c, sb, {
      pulling: (image) => this.event('Normal', 'Pulling', `Pulling image "${image}"`, c, init),
      pulled: (image, ms, present) =>
        this.event(
          'Normal',
          'Pulled',
          present ? `Container image "${image}" already present on machine` : `Successfully pulled image "${image}" in ${(ms / 1000).toFixed(3)}s`,
          c,
          init,
        ),
      failed: (reason, message) => this.event('Warning', 'Failed', `Error: ${reason}: ${message}`, c, init),
    });
    if (pull.ok) return { imageRef: pull.imageRef, image: pull.image };
    this.waiting.set(c.name, { reason: pull.reason, message: pull.message });
    return { retryInMs: pull.retryInMs };
  }

  private volumeSourcesNow(podIPs: string[]) {
    return {
      getConfigMap: (ns: string, name: string) => this.d.volumeSources.getFresh<ConfigMap>(resources.configmaps, ns, name),
      getSecret: (ns: string, name: string) => this.d.volumeSources.getFresh<Secret>(resources.secrets, ns, name),
      getClaim: (ns: string, name: string) => this.d.volumeSources.getFresh<PersistentVolumeClaim>(resources.persistentvolumeclaims, ns, name),
      getVolume: (name: string) => this.d.volumeSources.getFresh<PersistentVolume>(resources.persistentvolumes, '', name),
      podIPs,
      hostIPs: this.d.hostIPs(),
      allocatable: this.d.allocatable,
      serviceAccountToken: this.tokenSource(),
    };
  }

  private tokenSource() {
    const tokens = this.d.serviceAccountTokens;
    return tokens ? (pod: Pod, audience: string | undefined, seconds: number | undefined) => tokens.token(pod, audience, seconds) : undefined;
  }

  /** The container's environment and mounts (its volumes set up, /etc/hosts written). */
  private async containerSetup(
    c: Container,
    init: boolean,
    podIPs: string[],
  ): Promise<{ envs: Array<{ key: string; value: string }>; mounts: ReturnType<typeof containerMounts> } | Blocked> {
    // The environment and the volumes are read from the API server independently: side by
    // side, the container waits for the slower of the two rather than for both in turn.
    const [env, vols] = await Promise.allSettled([
      (async () => containerEnv(this.pod, c, { ...this.volumeSourcesNow(podIPs), serviceEnv: this.d.serviceEnv.forPod(this.pod) }))(),
      (this.passVolumes ??= setUpVolumes(this.pod, this.d.podsRoot, this.volumeSourcesNow(podIPs))),
    ]);
    if (env.status === 'rejected') {
      const e: unknown = env.reason;
      if (!(e instanceof ContainerConfigError)) throw e;
      return { retryInMs: this.cannotStart(c, init, 'CreateContainerConfigError', e.message) };
    }
    const envs = env.value;
    try {
      if (vols.status === 'rejected') throw vols.reason;
      const volumes = vols.value;
      const mounts = containerMounts(c, volumes, envs);
      const hosts = hostsMount(this.pod, this.d.podsRoot, podIPs, this.d.dns.clusterDomain, mounts);
      if (hosts) mounts.push(hosts);
      return { envs, mounts };
    } catch (e) {
      if (!(e instanceof VolumeError) && (e as NodeJS.ErrnoException).code === undefined) throw e;
      // Upstream: the container waits in ContainerCreating while kubelet retries the mount.
      const message = (e as Error).message;
      if (this.waiting.get(c.name)?.message !== message) this.event('Warning', 'FailedMount', `MountVolume.SetUp failed: ${message}`);
      this.waiting.set(c.name, { reason: 'ContainerCreating', message });
      return { retryInMs: 2000 };
    }
  }

  /** Creates and starts the container (each a start-up step under the start gate); its id. */
  private async createAndStart(c: Container, init: boolean, config: ReturnType<typeof containerConfig>, sb: SandboxContext): Promise<string | Blocked> {
    const rt = this.d.runtime;
    this.changes++;
    let id: string;
    try {
      id = await this.d.startGate.run(this.order, () => rt.createContainer(sb.sandbox.id, config, sb.config));
      this.made.set(id, CONTAINER_MADE);
    } catch (e) {
      return { retryInMs: this.cannotStart(c, init, 'CreateContainerError', (e as Error).message) };
    }
    this.event('Normal', 'Created', `Created container: ${c.name}`, c, init);
    try {
      await this.d.startGate.run(this.order, () => rt.startContainer(id));
    } catch (e) {
      return { retryInMs: this.cannotStart(c, init, 'RunContainerError', (e as Error).message) };
    }
    this.waiting.delete(c.name);
    this.event('Normal', 'Started', `Started container ${c.name}`, c, init);
    return id;
  }

  /** The container waits with reason (its status) and an event says why; tried again in 5 s. */
  private cannotStart(c: Container, init: boolean, reason: string, message: string): number {
    this.waiting.set(c.name, { reason, message });
    this.event('Warning', 'Failed', `Error: ${message}`, c, init);
    return 5000;
  }

  /**
   * Brings the running pod's configMap, secret, downwardAPI and projected volumes up to date
   * (kubelet's periodic remount: each sync, with sources at most a TTL old); the atomic writer
   * swaps only what changed. subPath mounts keep the file they were made from, as upstream.
   */
  private async refreshVolumes(podIPs: string[]): Promise<void> {
    if (this.passVolumes) return;
    if (!this.pod.spec?.volumes?.some((v) => v.configMap || v.secret || v.downwardAPI || v.projected)) return;
    if (!existsSync(join(podDir(this.d.podsRoot, this.uid), 'volumes'))) return;
    try {
      await setUpVolumes(this.pod, this.d.podsRoot, {
        getConfigMap: (ns, name) => this.d.volumeSources.get(resources.configmaps, ns, name),
        getSecret: (ns, name) => this.d.volumeSources.get(resources.secrets, ns, name),
        getClaim: (ns, name) => this.d.volumeSources.get(resources.persistentvolumeclaims, ns, name),
        getVolume: (name) => this.d.volumeSources.get(resources.persistentvolumes, '', name),
        podIPs,
        hostIPs: this.d.hostIPs(),
        allocatable: this.d.allocatable,
        serviceAccountToken: this.tokenSource(),
      });
      this.refreshError = undefined;
    } catch (e) {
      if (!(e instanceof VolumeError) && (e as NodeJS.ErrnoException).code === undefined) throw e;
      // The volume keeps its last content; say once why it is not updated.
      const message = (e as Error).message;
      if (this.refreshError !== message) this.event('Warning', 'FailedMount', `MountVolume.SetUp failed: ${message}`);
      this.refreshError = message;
    }
  }

  /**
   * Runs the container's postStart hook; the sync waits for it, so the container isn't reported
   * running (nor started, nor ready) and the next container doesn't start until it is done. A
   * failed hook kills the container (restartPolicy and back-off apply as to any exit).
   */
  private async postStart(c: Container, id: string, init: boolean, podIPs: string[]): Promise<number | undefined> {
    const r = await runHook(c.lifecycle!.postStart!, {
      runtime: this.d.runtime,
      pod: this.pod,
      container: c,
      containerId: id,
      podIP: podIPs[0] ?? '',
      signal: this.ending.signal,
      onHttpFallback: (host) =>
        this.event('Warning', 'LifecycleHTTPFallback', `request to HTTPS lifecycle hook ${host} got HTTP response, retry with HTTP succeeded`),
    });
    // Given up because the pod is terminating: its termination stops the container.
    if (r.ok || this.ending.signal.aborted) return undefined;
    this.d.log(`pod ${this.name}: ${r.message}`);
    // The hook's output stays out of the event (it may hold secrets), as upstream; the status has it.
    this.event('Warning', 'FailedPostStartHook', 'PostStartHook failed', c, init);
    const st = await this.d.runtime.containerStatus(id);
    const reason: KillReason = { kind: 'postStartHookFailed' };
    if (st) await this.kill(st, killGracePeriod(this.pod, c, reason), reason);
    this.waiting.set(c.name, { reason: 'PostStartHookError', message: r.message });
    return 0;
  }

  /**
   * Stops the pod (upstream's SyncTerminatingPod). A completed pod's containers are killed each
   * with its own grace period and the final phase written; a deleted pod's with the deletion's
   * grace period, at least a second (as kubelet gives a pod already gone from the API for its
   * preStop hooks).
   */
  private async syncTerminatingPod(reason: TerminationReason): Promise<void> {
    if (reason === 'completed') {
      const containers = await this.containers();
      const stopping: KillReason = { kind: 'podStopping' };
      const running = containers.all.filter((c) => c.state === 'CONTAINER_RUNNING');
      await this.killInOrder(running, (c) => killGracePeriod(this.pod, this.specOf(c.metadata.name), stopping));
      // A sandbox that died is stopped too: that is what releases its network (and IP).
      for (const s of await this.sandboxes()) await this.d.runtime.stopPodSandbox(s.id).catch(() => undefined);
      this.waiting.clear();
      await this.report(await this.containers(), undefined, { terminal: true });
    } else {
      const meta = this.pod.metadata!;
      const grace = reason === 'gone' ? 1 : Math.max(1, meta.deletionGracePeriodSeconds ?? this.pod.spec?.terminationGracePeriodSeconds ?? 30);
      await this.stopEverything(grace);
    }
    this.transition('stopped');
  }

  /**
   * Nothing of the pod runs (upstream's SyncTerminatedPod). A completed pod stays so (its
   * containers kept for their logs); a deleted one gets its final status, is removed from the
   * node, and its object deleted (kubelet's final delete): the worker is then finished.
   */
  private async syncTerminatedPod(reason: TerminationReason): Promise<void> {
    if (reason === 'completed') {
      // Nothing runs any more (the sandbox is stopped, its IP released); containers stay for
      // their logs until the pod is deleted.
      await this.stopEverything(MIN_GRACE_SECONDS);
      return;
    }
    if (reason === 'deleted') {
      await this.report(await this.containers(), undefined, { terminal: true }).catch((e) =>
        this.d.log(`pod ${this.name}: final status: ${(e as Error).message}`),
      );
    }
    await removePodFromNode(this.d, podIdentity(this.pod));
    if (reason === 'deleted') await this.deletePodObject();
    this.transition('cleanedUp');
    this.halted = true;
    clearTimeout(this.timer);
    this.d.status.forget(this.uid);
    this.d.images.forgetPod(this.uid);
    this.d.restartBackoff.resetPrefix(`${this.uid}/`);
    this.d.done(this.uid);
  }

  /** Deletes the pod object now that nothing of it is left (a newer pod of its name is not touched). */
  private async deletePodObject(): Promise<void> {
    const meta = this.pod.metadata!;
    try {
      await this.d.client.delete(
        { ...resources.pods, namespace: meta.namespace!, name: meta.name! },
        { gracePeriodSeconds: 0, preconditions: { uid: meta.uid } },
      );
    } catch (e) {
      if (!isNotFound(e) && !isConflict(e)) throw e;
    }
  }

  /** Computes the status from the runtime and writes it if it changed. */
  private async report(containers: RuntimeContainers, sandbox: PodSandbox | undefined, o: { podIPs?: string[]; terminal?: boolean } = {}): Promise<void> {
    const terminal = o.terminal ?? false;
    const ips = o.podIPs ?? (sandbox?.state === 'SANDBOX_READY' ? await this.podIPs(sandbox) : []);
    const spec = this.pod.spec!;
    const pod = { ...this.pod, status: this.d.status.current(this.pod) };
    const status = computePodStatus(pod, {
      sandboxReady: sandbox?.state === 'SANDBOX_READY' && (ips.length > 0 || !!spec.hostNetwork),
      podIPs: ips,
      hostIPs: this.d.hostIPs(),
      containers: this.containerViews(containers, terminal ? undefined : ips[0]),
      terminal,
      runtimeName: this.d.runtimeName,
    });
    await this.d.status.write(this.pod, status);
  }

  /**
   * What each container of the spec is, for the status: its newest two in the runtime, why it
   * waits, and its probes' verdicts. Running containers get probe workers (when the pod has an
   * IP to probe); the probes of any other container are dropped.
   */
  private containerViews(containers: RuntimeContainers, probeIP: string | undefined): Map<string, ContainerView> {
    const views = new Map<string, ContainerView>();
    const keep = new Set<string>();
    const spec = this.pod.spec!;
    for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
      const [latest, previous] = containers.byName.get(c.name) ?? [];
      let ready = false;
      let started = false;
      if (latest?.state === 'CONTAINER_RUNNING') {
        keep.add(latest.id);
        if (probeIP) this.d.probes.track(this.pod, c, latest.id, latest.startedAtMs || Date.now(), probeIP);
        ready = this.d.probes.ready(latest.id);
        started = this.d.probes.started(latest.id);
      }
      views.set(c.name, { latest, previous, waiting: this.waiting.get(c.name), ready, started });
    }
    this.d.probes.retain(this.uid, keep);
    return views;
  }

  /** Kills every running container (with the grace period, sidecars last) and stops the sandboxes. */
  private async stopEverything(grace: number): Promise<void> {
    this.d.probes.retain(this.uid, new Set());
    const containers = await this.containers();
    await this.killInOrder(
      containers.all.filter((c) => c.state === 'CONTAINER_RUNNING' || c.state === 'CONTAINER_CREATED'),
      () => grace,
    );
    for (const s of await this.sandboxes()) if (s.state === 'SANDBOX_READY') await this.d.runtime.stopPodSandbox(s.id);
  }

  private async removeSandbox(id: string): Promise<void> {
    await this.d.runtime.stopPodSandbox(id).catch(() => undefined);
    await this.d.runtime.removePodSandbox(id);
  }

  private specOf(name: string): Container | undefined {
    return [...(this.pod.spec?.initContainers ?? []), ...(this.pod.spec?.containers ?? [])].find((x) => x.name === name);
  }

  /**
   * Kills containers together, as kubelet's killContainersWithSyncResult: all at once, except
   * that each sidecar is sent its signal only once the app containers and the sidecar declared
   * after it have stopped (or its grace period ran out waiting).
   */
  private async killInOrder(list: ContainerStatus[], graceOf: (c: ContainerStatus) => number): Promise<void> {
    const prereqs = terminationPrereqs(
      this.pod.spec!,
      list.filter((c) => c.state === 'CONTAINER_RUNNING').map((c) => c.metadata.name),
    );
    const stopped = new Map<string, Array<Promise<void>>>();
    const kills = list.map((c) => {
      let resolve!: () => void;
      const p = new Promise<void>((r) => (resolve = r));
      stopped.set(c.metadata.name, [...(stopped.get(c.metadata.name) ?? []), p]);
      return { c, resolve };
    });
    await Promise.all(
      kills.map(async ({ c, resolve }) => {
        const before = prereqs.get(c.metadata.name) ?? [];
        const turn = before.length ? () => Promise.all(before.flatMap((n) => stopped.get(n) ?? [])).then(() => undefined) : undefined;
        try {
          await this.kill(c, graceOf(c), { kind: 'podStopping' }, turn);
        } finally {
          resolve();
        }
      }),
    );
  }

  /**
   * Kills a container as kubelet's killContainer: its preStop hook first, given at most the
   * grace period; then its turn (turn: what it waits for, with what is left of the grace
   * period); then SIGTERM with what is left (at least 2 s), then SIGKILL.
   */
  private async kill(c: ContainerStatus, grace: number, reason: KillReason, turn?: () => Promise<void>): Promise<void> {
    this.changes++;
    const spec = this.specOf(c.metadata.name);
    const init = !!this.pod.spec?.initContainers?.some((x) => x.name === c.metadata.name);
    this.event('Normal', 'Killing', killMessage(reason, c.metadata.name), spec, init);
    this.d.probes.untrack(c.id);
    let left = grace;
    const preStop = spec?.lifecycle?.preStop;
    if (preStop && grace > 0 && c.state === 'CONTAINER_RUNNING') {
      const podIP = (await this.currentPodIP()) ?? '';
      const { result, elapsedMs } = await runPreStopHook(preStop, { runtime: this.d.runtime, pod: this.pod, container: spec, containerId: c.id, podIP }, grace);
      if (!result) this.d.log(`pod ${this.name}: preStop hook of ${c.metadata.name} not completed in its grace period of ${grace}s`);
      else if (!result.ok) {
        this.d.log(`pod ${this.name}: ${result.message}`);
        this.event('Warning', 'FailedPreStopHook', 'PreStopHook failed', spec, init);
      }
      left = grace - Math.floor(elapsedMs / 1000);
    }
    let waitedMs = 0;
    if (turn && left > 0) {
      const t0 = Date.now();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([turn(), new Promise<void>((r) => (timer = setTimeout(r, left * 1000)))]);
      clearTimeout(timer);
      waitedMs = Date.now() - t0;
    }
    await this.d.runtime.stopContainer(c.id, graceAfterPreStop(left, waitedMs));
  }

  /** The pod's IP as its ready sandbox has it (httpGet hooks' default host). */
  private async currentPodIP(): Promise<string | undefined> {
    const sandbox = (await this.sandboxes()).find((s) => s.state === 'SANDBOX_READY');
    return sandbox ? (await this.podIPs(sandbox).catch(() => []))[0] : undefined;
  }

  /**
   * Keeps the newest two containers of each name (the running one and the last exited, for
   * --previous), and removes old sandboxes no container is left in.
   */
  private async removeGarbage(containers: RuntimeContainers, { sandbox: { id: current }, sandboxes }: SandboxContext): Promise<PodSandbox[]> {
    const kept = new Set<string>();
    for (const list of containers.byName.values()) {
      for (const [i, c] of list.entries()) {
        if (i >= 2 && c.state === 'CONTAINER_EXITED') await this.d.runtime.removeContainer(c.id).catch(() => undefined);
        else kept.add(c.id);
      }
    }
    if (sandboxes.length < 2) return sandboxes;
    const inUse = new Set(
      (await this.d.runtime.listContainers({ labelSelector: { [LABEL_POD_UID]: this.uid } })).filter((c) => kept.has(c.id)).map((c) => c.podSandboxId),
    );
    for (const s of sandboxes) if (s.id !== current && !inUse.has(s.id)) await this.removeSandbox(s.id).catch(() => undefined);
    return sandboxes;
  }

  /** The sandbox's IPs; a pod on the host's network has the host's. */
  private async podIPs(sandbox: PodSandbox | PodSandboxStatus): Promise<string[]> {
    if (this.pod.spec?.hostNetwork) return this.d.hostIPs();
    // A sandbox just made comes as its status, read then: its IPs need no second call.
    if ('ips' in sandbox) return sandbox.ips;
    return (await this.d.runtime.podSandboxStatus(sandbox.id))?.ips ?? [];
  }

  private async sandboxes(): Promise<PodSandbox[]> {
    const list = await this.d.runtime.listPodSandbox({ labelSelector: { [LABEL_POD_UID]: this.uid } });
    return list.sort((a, b) => b.metadata.attempt - a.metadata.attempt || b.createdAtMs - a.createdAtMs);
  }

  private async containers(): Promise<RuntimeContainers> {
    const list = await this.d.runtime.listContainers({ labelSelector: { [LABEL_POD_UID]: this.uid } });
    return this.containerStatuses(list.map((c) => c.id));
  }

  /**
   * The pod's containers after the pass changed some: those it knew and those it made, each read
   * again, without a list (only this worker makes a pod's containers, and its syncs never overlap).
   */
  private containersAgain(known: RuntimeContainers): Promise<RuntimeContainers> {
    const made = [...this.made].filter(([, states]) => states === CONTAINER_MADE).map(([id]) => id);
    return this.containerStatuses([...new Set([...known.all.map((c) => c.id), ...made])]);
  }

  /** The statuses of these containers (those gone meanwhile left out), by name, newest first. */
  private async containerStatuses(ids: string[]): Promise<RuntimeContainers> {
    const statuses = (await Promise.all(ids.map((id) => this.d.runtime.containerStatus(id)))).filter((s): s is ContainerStatus => !!s);
    const byName = new Map<string, ContainerStatus[]>();
    for (const s of statuses) {
      const l = byName.get(s.metadata.name) ?? [];
      l.push(s);
      byName.set(s.metadata.name, l);
    }
    for (const l of byName.values()) l.sort((a, b) => b.metadata.attempt - a.metadata.attempt || b.createdAtMs - a.createdAtMs);
    return { byName, all: statuses };
  }

  private event(type: 'Normal' | 'Warning', reason: string, message: string, c?: Container, init = false): void {
    const ref = { ...objectReference({ apiVersion: 'v1', kind: 'Pod', metadata: this.pod.metadata }) };
    if (c) (ref as { fieldPath?: string }).fieldPath = `spec.${init ? 'initContainers' : 'containers'}{${c.name}}`;
    this.d.recorder.event(ref, type, reason, message);
  }
}
