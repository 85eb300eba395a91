// What a container runtime would report about a simulated container: the image by its full
// name (as containerd shows "nginx" → "docker.io/library/nginx:latest"), an image ID with a
// digest, and a container ID that is stable for one run of one container.
import { createHash } from 'node:crypto';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** The image reference with registry, repository path and tag filled in as docker's normalizer does. */
export function normalizeImage(image: string): string {
  if (!image) return image;
  let name = image;
  let suffix = '';
  const at = name.indexOf('@');
  if (at >= 0) {
    suffix = name.slice(at);
    name = name.slice(0, at);
  }
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  const hasDomain = first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (!hasDomain) name = `docker.io/${slash < 0 ? 'library/' : ''}${name}`;
  else if (first === 'docker.io' && !name.slice(slash + 1).includes('/')) name = `docker.io/library/${name.slice(slash + 1)}`;
  const lastPart = name.slice(name.lastIndexOf('/') + 1);
  if (!suffix && !lastPart.includes(':')) name += ':latest';
  return name + suffix;
}

/** Image IDs already worked out: a cluster runs few images, and every status names them (bounded all the same). */
const imageIds = new Map<string, string>();
const IMAGE_IDS_KEPT = 1024;

/** "docker.io/library/nginx@sha256:…": the repository and a digest standing for this image. */
export function imageIdOf(image: string): string {
  let id = imageIds.get(image);
  if (id === undefined) {
    if (imageIds.size >= IMAGE_IDS_KEPT) imageIds.clear();
    imageIds.set(image, (id = computeImageId(image)));
  }
  return id;
}

function computeImageId(image: string): string {
  const full = normalizeImage(image);
  const at = full.indexOf('@');
  if (at >= 0) return full;
  const lastSlash = full.lastIndexOf('/');
  const colon = full.indexOf(':', lastSlash);
  const repo = colon >= 0 ? full.slice(0, colon) : full;
  return `${repo}@sha256:${sha256(full)}`;
}

/** sim://<64 hex>: one ID per pod, container and run (restartCount), as a runtime gives each new container its own. */
export function containerIdOf(podUid: string, container: string, run: number): string {
  return `sim://${sha256(`${podUid}/${container}/${run}`)}`;
}
