// One worker per pod, driving it to its spec through the runtime (kubelet's syncPod): sandbox,
// init containers in order, app containers (each one's postStart hook run before the next
// starts), restarts by restartPolicy with back-off; then the status. A pod being deleted is
// stopped with its grace period (preStop hooks first), everything of it removed in the runtime,
// and the pod object deleted (kubelet's final delete). Syncs of one pod never overlap.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Container, Pod } from 'kubernetes-types/core/v1';
import { deepEqual } from '../api/object.js';
import type { EventRecorder, RestClient } from '../client/index.js';
import { isConflict, isNotFound, objectReference, resources } from '../client/index.js';
import type { ContainerStatus, PodSandbox, PodSandboxConfig, Runtime } from '../runtime/index.js';
import { removeCgroup } from '../runtime/index.js';
import { Backoff, isRestartableInit } from '../kubelet/index.js';
import {
  ANNOTATION_CONTAINER_HASH,
  LABEL_POD_UID,
  containerConfig,
  containerHash,
  podCgroupParent,
  podLogDirectory,
  sandboxConfig,
  type DnsSettings,
} from './container-config.js';
import { ContainerConfigError, containerEnv } from './env.js';
import { hostsMount } from './etc-hosts.js';
import type { ObjectCache } from './object-cache.js';
import type { ImagePuller } from './image-puller.js';
import { MIN_GRACE_SECONDS, graceAfterPreStop, killGracePeriod, runHook, runPreStopHook, type KillReason } from './lifecycle.js';
import { computePodStatus, type ContainerView } from './pod-status.js';
import { initContainerActions, terminationPrereqs } from './sidecars.js';
import { allDone, formatDuration, shouldRestart } from './restart-policy.js';
import type { ProbeManager } from './probes.js';
import { imageUser, runAsNonRootViolation } from './security-context.js';
import type { StartGate } from './start-gate.js';
import type { StatusManager } from './status-manager.js';
import { VolumeError, containerMounts, podDir, setUpVolumes, tearDownVolumes } from './volumes.js';

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
  /** ConfigMaps and Secrets for refreshing running pods' volumes (a short TTL, shared). */
  volumeSources: ObjectCache;
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

export class PodWorker {
  private pod: Pod;
  private gone = false;
  private syncing = false;
  private again = false;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private finished = false;
  /** Why containers aren't running, as last found (back-off, pull and config errors). */
  private readonly waiting = new Map<string, { reason: string; message?: string }>();
  /** Containers to kill on the next sync (failed liveness or startup probe), with the reason. */
  private readonly toKill = new Map<string, string>();
  /** Fires when the pod starts terminating (or the worker stops): a postStart hook under way is given up. */
  private readonly ending = new AbortController();
  private sandboxBackoff = new Backoff(1000, 60_000);
  /** Why refreshing the volumes failed last (said once). */
  private refreshError?: string;

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
  killForProbe(containerId: string, message: string): void {
    this.toKill.set(containerId, message);
    this.queue();
  }

  /** Stops syncing; resolves when a sync under way has ended. */
  stop(): Promise<void> {
    this.finished = true;
    this.ending.abort();
    clearTimeout(this.timer);
    return this.running ?? Promise.resolve();
  }

  /** Syncs now (or right after the running sync), or after delayMs. */
  queue(delayMs = 0): void {
    if (this.finished) return;
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
          if (this.finished) return;
          this.d.log(`pod ${this.name}: sync failed: ${(e as Error).message}`);
          next = 2000;
        }
        if (this.finished) return;
        if (!this.again && next !== undefined) this.queue(next);
      } while (this.again && !this.finished);
    } finally {
      this.syncing = false;
    }
  }

  /** One pass; returns when to sync again at the latest (undefined: only on events). */
  private async sync(): Promise<number | undefined> {
    if (this.gone || this.pod.metadata!.deletionTimestamp) {
      await this.terminate();
      return undefined;
    }
    const phase = this.pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') {
      // Finished: nothing runs any more (the sandbox is stopped, its IP released); containers
      // stay for their logs until the pod is deleted.
      await this.stopEverything(MIN_GRACE_SECONDS, false);
      return undefined;
    }
    const rt = this.d.runtime;
    let sandboxes = await this.sandboxes();
    let sandbox = sandboxes[0];
    const cfgFor = (attempt: number) =>
      sandboxConfig(this.pod, { attempt, logRoot: this.d.logRoot, cgroupRoot: this.d.cgroupRoot, dns: this.d.dns });
    let containers = await this.containers();

    if (!sandbox || sandbox.state !== 'SANDBOX_READY') {
      // A pod that never restarts doesn't get a new sandbox once its containers ran (upstream).
      if (sandbox && (allDone(this.pod, containers.byName) || (this.pod.spec!.restartPolicy === 'Never' && containers.all.length > 0))) {
        return this.finish(containers, sandbox);
      }
      // Kill what still runs of a dead sandbox, then start a new one.
      for (const c of containers.all) if (c.state === 'CONTAINER_RUNNING') await this.kill(c, MIN_GRACE_SECONDS, 'sandbox changed');
      const attempt = sandbox ? sandbox.metadata.attempt + 1 : 0;
      if (sandbox) this.event('Normal', 'SandboxChanged', 'Pod sandbox changed, it will be killed and re-created.');
      const key = 'sandbox';
      if (this.sandboxBackoff.isInBackOffSince(key, Date.now())) return this.report(containers, sandbox, this.sandboxBackoff.remainingMs(key, Date.now()));
      try {
        const id = await this.d.startGate.run(this.order, () => rt.runPodSandbox(cfgFor(attempt)));
        this.sandboxBackoff.reset(key);
        // The old sandbox is stopped (its IP released) but kept while its exited containers
        // still say something (restart counts, lastState); removeGarbage removes it after.
        for (const old of sandboxes) await rt.stopPodSandbox(old.id).catch(() => undefined);
        sandboxes = await this.sandboxes();
        sandbox = sandboxes.find((s) => s.id === id) ?? sandboxes[0];
        containers = await this.containers();
      } catch (e) {
        this.sandboxBackoff.next(key);
        this.event('Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${(e as Error).message}`);
        return this.report(containers, sandbox, this.sandboxBackoff.remainingMs(key, Date.now()));
      }
    }
    const podIPs = await this.podIPs(sandbox!);
    const sbConfig = cfgFor(sandbox!.metadata.attempt);

    // Containers a probe condemned.
    for (const [id, message] of [...this.toKill]) {
      this.toKill.delete(id);
      const c = containers.all.find((x) => x.id === id);
      if (c && c.state === 'CONTAINER_RUNNING') {
        // The message is the probe manager's ("... failed liveness probe, ..."): it names the probe.
        const reason: KillReason = /failed liveness probe/.test(message) ? 'liveness' : /failed startup probe/.test(message) ? 'startup' : 'other';
        await this.kill(c, killGracePeriod(this.pod, this.specOf(c.metadata.name), reason), message);
      }
    }
    containers = await this.containers();

    let requeue: number | undefined = RESYNC_MS;
    const soonest = (ms: number | undefined) => {
      if (ms !== undefined && (requeue === undefined || ms < requeue)) requeue = Math.max(ms, 50);
    };
    const spec = this.pod.spec!;
    // Nothing will run again (the app containers are done, or an init container failed for
    // good): sidecars are stopped rather than restarted (upstream's KillPod).
    if (allDone(this.pod, containers.byName)) {
      await this.removeGarbage(containers, sandbox!.id);
      return this.finish(containers, sandbox);
    }
    const actions = initContainerActions(
      spec,
      (name) => containers.byName.get(name)?.[0],
      // A startup probe's verdict counts only once its worker runs; without one, running is started.
      (c, s) => !c.startupProbe || (this.d.probes.tracked(s.id) && this.d.probes.started(s.id)),
    );
    for (const c of spec.initContainers ?? []) {
      const latest = containers.byName.get(c.name)?.[0];
      // Done for good (or for now, until the pod ends): no back-off or error to show any more.
      if (latest?.state === 'CONTAINER_EXITED' && !actions.start.includes(c.name)) this.waiting.delete(c.name);
    }
    for (const name of actions.start) {
      if (this.ending.signal.aborted) break;
      const c = spec.initContainers!.find((x) => x.name === name)!;
      const wait = await this.startOrRestart(c, containers.byName.get(name)?.[0], true, sbConfig, sandbox!.id, podIPs);
      soonest(wait);
      // Upstream: a sidecar that cannot start now is skipped; a regular init container that
      // cannot start ends this pass.
      if (wait !== undefined && !isRestartableInit(c)) break;
    }
    const initDone = actions.initialized;
    if (initDone) {
      for (const c of spec.containers) {
        if (this.ending.signal.aborted) break;
        const latest = containers.byName.get(c.name)?.[0];
        if (latest?.state === 'CONTAINER_RUNNING') {
          this.waiting.delete(c.name);
          if (latest.annotations[ANNOTATION_CONTAINER_HASH] && latest.annotations[ANNOTATION_CONTAINER_HASH] !== containerHash(c)) {
            await this.kill(latest, killGracePeriod(this.pod, c, 'other'), `Container ${c.name} definition changed, will be restarted`);
            soonest(0);
          }
          continue;
        }
        if (latest?.state === 'CONTAINER_EXITED' && !shouldRestart(spec.restartPolicy, latest.exitCode)) {
          this.waiting.delete(c.name);
          continue;
        }
        soonest(await this.startOrRestart(c, latest, false, sbConfig, sandbox!.id, podIPs));
      }
    }
    containers = await this.containers();
    await this.removeGarbage(containers, sandbox!.id);
    if (allDone(this.pod, containers.byName)) return this.finish(containers, sandbox);
    await this.refreshVolumes(podIPs);
    await this.report(containers, sandbox, undefined, podIPs);
    return requeue;
  }

  /**
   * Starts a container that never ran, or restarts one that exited (with back-off). Returns when
   * to look again (the back-off's end), or undefined.
   */
  private async startOrRestart(c: Container, latest: ContainerStatus | undefined, init: boolean, sb: PodSandboxConfig, sandboxId: string, podIPs: string[]): Promise<number | undefined> {
    const rt = this.d.runtime;
    let attempt = 0;
    if (latest) {
      attempt = latest.metadata.attempt + 1;
      if (latest.state === 'CONTAINER_CREATED' || latest.state === 'CONTAINER_UNKNOWN') {
        // Created but never started (a failed start): replace it under the same attempt.
        attempt = latest.metadata.attempt;
        await rt.removeContainer(latest.id).catch(() => undefined);
      } else if (latest.state === 'CONTAINER_EXITED') {
        const key = `${this.uid}/${c.name}`;
        const exitedAt = latest.finishedAtMs || Date.now();
        if (this.d.restartBackoff.isInBackOffSince(key, exitedAt)) {
          const wait = this.d.restartBackoff.remainingMs(key, exitedAt);
          const message = `back-off ${formatDuration(this.d.restartBackoff.currentMs(key))} restarting failed container=${c.name} pod=${this.pod.metadata!.name}_${this.pod.metadata!.namespace}(${this.uid})`;
          if (this.waiting.get(c.name)?.reason !== 'CrashLoopBackOff') this.event('Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${this.pod.metadata!.name}_${this.pod.metadata!.namespace}(${this.uid})`, c, init);
          this.waiting.set(c.name, { reason: 'CrashLoopBackOff', message });
          return wait;
        }
        this.d.restartBackoff.next(key, exitedAt);
      }
    }
    const pull = await this.d.images.ensure(this.pod, c, sb, {
      pulling: (image) => this.event('Normal', 'Pulling', `Pulling image "${image}"`, c, init),
      pulled: (image, ms, present) =>
        this.event('Normal', 'Pulled', present ? `Container image "${image}" already present on machine` : `Successfully pulled image "${image}" in ${(ms / 1000).toFixed(3)}s`, c, init),
      failed: (reason, message) => this.event('Warning', 'Failed', `Error: ${reason}: ${message}`, c, init),
    });
    if (!pull.ok) {
      this.waiting.set(c.name, { reason: pull.reason, message: pull.message });
      return pull.retryInMs;
    }
    let envs: Array<{ key: string; value: string }>;
    try {
      envs = await containerEnv(this.pod, c, {
        getConfigMap: (ns, name) => this.getOptional(resources.configmaps, ns, name),
        getSecret: (ns, name) => this.getOptional(resources.secrets, ns, name),
        podIPs,
        hostIPs: this.d.hostIPs(),
        allocatable: this.d.allocatable,
      });
    } catch (e) {
      if (!(e instanceof ContainerConfigError)) throw e;
      this.waiting.set(c.name, { reason: 'CreateContainerConfigError', message: e.message });
      this.event('Warning', 'Failed', `Error: ${e.message}`, c, init);
      return 5000;
    }
    let mounts: ReturnType<typeof containerMounts>;
    try {
      const volumes = await setUpVolumes(this.pod, this.d.podsRoot, {
        getConfigMap: (ns, name) => this.getOptional(resources.configmaps, ns, name),
        getSecret: (ns, name) => this.getOptional(resources.secrets, ns, name),
        podIPs,
        hostIPs: this.d.hostIPs(),
        allocatable: this.d.allocatable,
      });
      mounts = containerMounts(c, volumes, envs);
      const hosts = hostsMount(this.pod, this.d.podsRoot, podIPs, this.d.dns.clusterDomain, mounts);
      if (hosts) mounts.push(hosts);
    } catch (e) {
      if (!(e instanceof VolumeError) && (e as NodeJS.ErrnoException).code === undefined) throw e;
      // Upstream: the container waits in ContainerCreating while kubelet retries the mount.
      const message = (e as Error).message;
      if (this.waiting.get(c.name)?.message !== message) this.event('Warning', 'FailedMount', `MountVolume.SetUp failed: ${message}`);
      this.waiting.set(c.name, { reason: 'ContainerCreating', message });
      return 2000;
    }
    const user = imageUser(await rt.imageStatus(pull.imageRef).catch(() => undefined));
    const violation = runAsNonRootViolation(this.pod, c, user);
    if (violation) {
      this.waiting.set(c.name, { reason: 'CreateContainerConfigError', message: violation });
      this.event('Warning', 'Failed', `Error: ${violation}`, c, init);
      return 5000;
    }
    const config = containerConfig(this.pod, c, { attempt, image: pull.imageRef, envs, memoryCapacity: this.d.memoryCapacity, mounts, imageUser: user });
    let id: string;
    try {
      id = await this.d.startGate.run(this.order, () => rt.createContainer(sandboxId, config, sb));
    } catch (e) {
      this.waiting.set(c.name, { reason: 'CreateContainerError', message: (e as Error).message });
      this.event('Warning', 'Failed', `Error: ${(e as Error).message}`, c, init);
      return 5000;
    }
    this.event('Normal', 'Created', `Created container: ${c.name}`, c, init);
    try {
      await this.d.startGate.run(this.order, () => rt.startContainer(id));
    } catch (e) {
      this.waiting.set(c.name, { reason: 'RunContainerError', message: (e as Error).message });
      this.event('Warning', 'Failed', `Error: ${(e as Error).message}`, c, init);
      return 5000;
    }
    this.waiting.delete(c.name);
    this.event('Normal', 'Started', `Started container ${c.name}`, c, init);
    if (c.lifecycle?.postStart) return this.postStart(c, id, init, podIPs);
    return undefined;
  }

  /**
   * Brings the running pod's configMap, secret, downwardAPI and projected volumes up to date
   * (kubelet's periodic remount: each sync, with sources at most a TTL old); the atomic writer
   * swaps only what changed. subPath mounts keep the file they were made from, as upstream.
   */
  private async refreshVolumes(podIPs: string[]): Promise<void> {
    if (!this.pod.spec?.volumes?.some((v) => v.configMap || v.secret || v.downwardAPI || v.projected)) return;
    if (!existsSync(join(podDir(this.d.podsRoot, this.uid), 'volumes'))) return;
    try {
      await setUpVolumes(this.pod, this.d.podsRoot, {
        getConfigMap: (ns, name) => this.d.volumeSources.get(resources.configmaps, ns, name),
        getSecret: (ns, name) => this.d.volumeSources.get(resources.secrets, ns, name),
        podIPs,
        hostIPs: this.d.hostIPs(),
        allocatable: this.d.allocatable,
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
      onHttpFallback: (host) => this.event('Warning', 'LifecycleHTTPFallback', `request to HTTPS lifecycle hook ${host} got HTTP response, retry with HTTP succeeded`),
    });
    // Given up because the pod is terminating: its termination stops the container.
    if (r.ok || this.ending.signal.aborted) return undefined;
    this.d.log(`pod ${this.name}: ${r.message}`);
    // The hook's output stays out of the event (it may hold secrets), as upstream; the status has it.
    this.event('Warning', 'FailedPostStartHook', 'PostStartHook failed', c, init);
    const st = await this.d.runtime.containerStatus(id);
    if (st) await this.kill(st, killGracePeriod(this.pod, c, 'other'), 'FailedPostStartHook');
    this.waiting.set(c.name, { reason: 'PostStartHookError', message: r.message });
    return 0;
  }

  /** The pod finished: sidecars and the sandbox are stopped, the final phase written. */
  private async finish(containers: RuntimeContainers, sandbox: PodSandbox | undefined): Promise<undefined> {
    await this.killInOrder(
      containers.all.filter((c) => c.state === 'CONTAINER_RUNNING'),
      (c) => killGracePeriod(this.pod, this.specOf(c.metadata.name), 'other'),
      'pod finished',
    );
    if (sandbox) await this.d.runtime.stopPodSandbox(sandbox.id).catch(() => undefined);
    this.waiting.clear();
    await this.report(await this.containers(), undefined, undefined, undefined, true);
    return undefined;
  }

  /** Computes the status from the runtime and writes it if it changed. */
  private async report(containers: RuntimeContainers, sandbox: PodSandbox | undefined, requeue?: number, podIPs?: string[], terminal = false): Promise<number | undefined> {
    const views = new Map<string, ContainerView>();
    const keep = new Set<string>();
    const ips = podIPs ?? (sandbox?.state === 'SANDBOX_READY' ? await this.podIPs(sandbox) : []);
    const spec = this.pod.spec!;
    for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
      const list = containers.byName.get(c.name) ?? [];
      const [latest, previous] = list;
      let ready = false;
      let started = false;
      if (latest?.state === 'CONTAINER_RUNNING') {
        keep.add(latest.id);
        if (!terminal && ips[0]) this.d.probes.track(this.pod, c, latest.id, latest.startedAtMs || Date.now(), ips[0]);
        ready = this.d.probes.ready(latest.id);
        started = this.d.probes.started(latest.id);
      }
      views.set(c.name, { latest, previous, waiting: this.waiting.get(c.name), ready, started });
    }
    this.d.probes.retain(this.uid, keep);
    const pod = { ...this.pod, status: this.d.status.current(this.pod) };
    const status = computePodStatus(pod, {
      sandboxReady: sandbox?.state === 'SANDBOX_READY' && (ips.length > 0 || !!spec.hostNetwork),
      podIPs: ips,
      hostIPs: this.d.hostIPs(),
      containers: views,
      terminal,
      runtimeName: this.d.runtimeName,
    });
    await this.d.status.write(this.pod, status);
    return requeue;
  }

  /** Stops the pod: containers with the grace period, then the sandbox; then removes everything and deletes the pod object. */
  private async terminate(): Promise<void> {
    const meta = this.pod.metadata!;
    // A pod already gone from the API (deleted with no grace) still gets a second for its
    // preStop hooks, as kubelet gives at least 1.
    const grace = this.gone ? 1 : Math.max(1, meta.deletionGracePeriodSeconds ?? this.pod.spec?.terminationGracePeriodSeconds ?? 30);
    await this.stopEverything(grace, true);
    if (!this.gone) {
      await this.report(await this.containers(), undefined, undefined, undefined, true).catch((e) => this.d.log(`pod ${this.name}: final status: ${(e as Error).message}`));
    }
    await this.removeEverything();
    if (!this.gone) {
      try {
        await this.d.client.delete({ ...resources.pods, namespace: meta.namespace!, name: meta.name! }, { gracePeriodSeconds: 0, preconditions: { uid: meta.uid } });
      } catch (e) {
        if (!isNotFound(e) && !isConflict(e)) throw e;
      }
    }
    this.finished = true;
    clearTimeout(this.timer);
    this.d.status.forget(this.uid);
    this.d.images.forgetPod(this.uid);
    this.d.restartBackoff.resetPrefix(`${this.uid}/`);
    this.d.done(this.uid);
  }

  /** Kills every running container (with the grace period, sidecars last) and stops the sandboxes. */
  private async stopEverything(grace: number, announce: boolean): Promise<void> {
    this.d.probes.retain(this.uid, new Set());
    const containers = await this.containers();
    await this.killInOrder(
      containers.all.filter((c) => c.state === 'CONTAINER_RUNNING' || c.state === 'CONTAINER_CREATED'),
      () => grace,
      announce ? undefined : 'pod finished',
    );
    for (const s of await this.sandboxes()) if (s.state === 'SANDBOX_READY') await this.d.runtime.stopPodSandbox(s.id);
  }

  /** Everything of the pod in the runtime and on disk: containers, sandboxes (with netns and IP), logs, cgroup. */
  private async removeEverything(): Promise<void> {
    const rt = this.d.runtime;
    for (const c of (await this.containers()).all) await rt.removeContainer(c.id).catch((e) => this.d.log(`pod ${this.name}: remove container ${c.id}: ${(e as Error).message}`));
    for (const s of await this.sandboxes()) await this.removeSandbox(s.id);
    rmSync(podLogDirectory(this.pod, this.d.logRoot), { recursive: true, force: true });
    removeCgroup(podCgroupParent(this.pod, this.d.cgroupRoot));
    tearDownVolumes(this.d.podsRoot, this.uid);
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
  private async killInOrder(list: ContainerStatus[], graceOf: (c: ContainerStatus) => number, why?: string): Promise<void> {
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
          await this.kill(c, graceOf(c), why, turn);
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
  private async kill(c: ContainerStatus, grace: number, why?: string, turn?: () => Promise<void>): Promise<void> {
    const spec = this.specOf(c.metadata.name);
    const init = !!this.pod.spec?.initContainers?.some((x) => x.name === c.metadata.name);
    this.event('Normal', 'Killing', why && why !== 'pod finished' ? why : `Stopping container ${c.metadata.name}`, spec, init);
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
  private async removeGarbage(containers: RuntimeContainers, current: string): Promise<void> {
    const kept = new Set<string>();
    for (const list of containers.byName.values()) {
      for (const [i, c] of list.entries()) {
        if (i >= 2 && c.state === 'CONTAINER_EXITED') await this.d.runtime.removeContainer(c.id).catch(() => undefined);
        else kept.add(c.id);
      }
    }
    const sandboxes = await this.sandboxes();
    if (sandboxes.length < 2) return;
    const inUse = new Set((await this.d.runtime.listContainers({ labelSelector: { [LABEL_POD_UID]: this.uid } })).filter((c) => kept.has(c.id)).map((c) => c.podSandboxId));
    for (const s of sandboxes) if (s.id !== current && !inUse.has(s.id)) await this.removeSandbox(s.id).catch(() => undefined);
  }

  /** The sandbox's IPs; a pod on the host's network has the host's. */
  private async podIPs(sandbox: PodSandbox): Promise<string[]> {
    if (this.pod.spec?.hostNetwork) return this.d.hostIPs();
    return (await this.d.runtime.podSandboxStatus(sandbox.id))?.ips ?? [];
  }

  private async sandboxes(): Promise<PodSandbox[]> {
    const list = await this.d.runtime.listPodSandbox({ labelSelector: { [LABEL_POD_UID]: this.uid } });
    return list.sort((a, b) => b.metadata.attempt - a.metadata.attempt || b.createdAtMs - a.createdAtMs);
  }

  private async containers(): Promise<RuntimeContainers> {
    const list = await this.d.runtime.listContainers({ labelSelector: { [LABEL_POD_UID]: this.uid } });
    const statuses = (await Promise.all(list.map((c) => this.d.runtime.containerStatus(c.id)))).filter((s): s is ContainerStatus => !!s);
    const byName = new Map<string, ContainerStatus[]>();
    for (const s of statuses) {
      const l = byName.get(s.metadata.name) ?? [];
      l.push(s);
      byName.set(s.metadata.name, l);
    }
    for (const l of byName.values()) l.sort((a, b) => b.metadata.attempt - a.metadata.attempt || b.createdAtMs - a.createdAtMs);
    return { byName, all: statuses };
  }

  private async getOptional<T>(gvr: { group?: string; version: string; resource: string }, namespace: string, name: string): Promise<T | undefined> {
    try {
      return await this.d.client.get<T>({ ...gvr, namespace, name });
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  private event(type: 'Normal' | 'Warning', reason: string, message: string, c?: Container, init = false): void {
    const ref = { ...objectReference({ apiVersion: 'v1', kind: 'Pod', metadata: this.pod.metadata }) };
    if (c) (ref as { fieldPath?: string }).fieldPath = `spec.${init ? 'initContainers' : 'containers'}{${c.name}}`;
    this.d.recorder.event(ref, type, reason, message);
  }
}
