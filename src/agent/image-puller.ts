// Images by imagePullPolicy, as kubelet's image manager: Never uses what is present, IfNotPresent
// pulls when absent, Always pulls every time a container starts. Failed pulls back off per image
// (ErrImagePull, then ImagePullBackOff while waiting).
import type { Container, Pod } from 'kubernetes-types/core/v1';
import type { Image, PodSandboxConfig, Runtime } from '../runtime/index.js';
import { Backoff, CONTAINER_BACKOFF_INITIAL_MS, CONTAINER_BACKOFF_MAX_MS } from '../kubelet/index.js';

export type PullResult =
  /** image: the image as found present (absent when pulled). */
  | { ok: true; imageRef: string; pulled: boolean; ms: number; image?: Image }
  | { ok: false; reason: 'ErrImagePull' | 'ImagePullBackOff' | 'ErrImageNeverPull' | 'InvalidImageName'; message: string; retryInMs?: number };

export interface PullEvents {
  pulling(image: string): void;
  pulled(image: string, ms: number, present: boolean): void;
  failed(reason: string, message: string): void;
}

export class ImagePuller {
  /** Image pulls back off 10 s doubling to 5 min, per pod and image (upstream's key). */
  readonly backoff: Backoff;
  /** The last error of each failing pull, shown while it backs off. */
  private readonly lastError = new Map<string, string>();

  constructor(
    private readonly runtime: Runtime,
    now?: () => number,
  ) {
    this.backoff = new Backoff(CONTAINER_BACKOFF_INITIAL_MS, CONTAINER_BACKOFF_MAX_MS, now);
  }

  async ensure(pod: Pod, c: Container, sandbox: PodSandboxConfig | undefined, ev: PullEvents): Promise<PullResult> {
    const image = c.image ?? '';
    if (!image.trim()) return { ok: false, reason: 'InvalidImageName', message: `Failed to apply default image tag "${image}": couldn't parse image name` };
    const policy = c.imagePullPolicy ?? 'IfNotPresent';
    if (policy !== 'Always') {
      const present = await this.runtime.imageStatus(image);
      if (present) {
        ev.pulled(image, 0, true);
        return { ok: true, imageRef: present.id, pulled: false, ms: 0, image: present };
      }
      if (policy === 'Never') {
        const message = `Container image "${image}" is not present with pull policy of Never`;
        ev.failed('ErrImageNeverPull', message);
        return { ok: false, reason: 'ErrImageNeverPull', message };
      }
    }
    const key = `${pod.metadata!.uid}/${image}`;
    if (this.backoff.isInBackOffSinceUpdate(key)) {
      const last = this.lastError.get(key);
      return {
        ok: false,
        reason: 'ImagePullBackOff',
        message: `Back-off pulling image "${image}"${last ? `: ErrImagePull: ${last}` : ''}`,
        retryInMs: this.backoff.remainingSinceUpdateMs(key),
      };
    }
    ev.pulling(image);
    const started = Date.now();
    try {
      const imageRef = await this.runtime.pullImage(image, sandbox);
      this.backoff.reset(key);
      this.lastError.delete(key);
      const ms = Date.now() - started;
      ev.pulled(image, ms, false);
      return { ok: true, imageRef, pulled: true, ms };
    } catch (e) {
      this.backoff.next(key);
      const message = `Failed to pull image "${image}": ${(e as Error).message}`;
      this.lastError.set(key, (e as Error).message);
      ev.failed('ErrImagePull', message);
      // Looked at again soon: the container then shows ImagePullBackOff until the back-off ends.
      return { ok: false, reason: 'ErrImagePull', message, retryInMs: 1000 };
    }
  }

  forgetPod(uid: string): void {
    this.backoff.resetPrefix(`${uid}/`);
    for (const k of this.lastError.keys()) if (k.startsWith(`${uid}/`)) this.lastError.delete(k);
  }
}
