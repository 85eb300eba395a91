// Images Berth provides without a registry, built from the host's static busybox: a busybox
// image for workloads and a pause image for sandboxes (busybox's `sleep infinity`; the runtime
// stops sandboxes with SIGKILL). Imported into containerd with `ctr images import`.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { ociArchive, tar, type TarEntry } from './oci-archive.js';

const run = promisify(execFile);

export const BUSYBOX_IMAGE = 'berth.local/busybox:host';
export const PAUSE_IMAGE = 'berth.local/pause:host';

/** The containerd namespace the CRI plugin keeps its images and containers in. */
export const CRI_NAMESPACE = 'k8s.io';

export function findOnPath(name: string, extra: string[] = []): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...extra].filter(Boolean);
  for (const d of dirs) {
    const p = join(d, name);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** A busybox that runs without shared libraries (Debian's busybox-static). */
export async function findStaticBusybox(): Promise<string | undefined> {
  for (const p of [findOnPath('busybox', ['/usr/bin', '/bin']), '/bin/busybox', '/usr/bin/busybox']) {
    if (!p || !existsSync(p)) continue;
    // An ELF with a PT_INTERP header needs a loader that the image won't have.
    const head = readFileSync(p).subarray(0, 4096);
    if (head.includes(Buffer.from('/lib64/ld-linux')) || head.includes(Buffer.from('/lib/ld-'))) continue;
    return p;
  }
  return undefined;
}

/** The root filesystem layer: /bin/busybox, a link per applet, /etc/passwd and /etc/group. */
export async function busyboxLayer(busybox: string): Promise<Buffer> {
  const { stdout } = await run(busybox, ['--list']);
  const applets = stdout
    .split('\n')
    .map((s) => s.trim())
    .filter((s) => s && s !== 'busybox' && /^[\w.[\]-]+$/.test(s))
    .sort();
  const entries: TarEntry[] = [];
  for (const d of ['bin/', 'dev/', 'etc/', 'proc/', 'root/', 'sys/', 'usr/', 'usr/bin/', 'var/', 'var/run/']) entries.push({ name: d, type: 'dir' });
  entries.push({ name: 'tmp/', type: 'dir', mode: 0o1777 });
  entries.push({ name: 'bin/busybox', type: 'file', mode: 0o755, data: readFileSync(busybox) });
  for (const a of applets) entries.push({ name: `bin/${a}`, type: 'symlink', linkname: 'busybox' });
  entries.push({ name: 'etc/passwd', type: 'file', data: Buffer.from('root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n') });
  entries.push({ name: 'etc/group', type: 'file', data: Buffer.from('root:x:0:\nnobody:x:65534:\n') });
  return tar(entries);
}

/** The archive holding both local images. */
export async function localImagesArchive(busybox: string): Promise<Buffer> {
  const layer = await busyboxLayer(busybox);
  return ociArchive([
    { name: BUSYBOX_IMAGE, layer, cmd: ['sh'] },
    { name: PAUSE_IMAGE, layer, entrypoint: ['/bin/sleep', 'infinity'] },
  ]);
}

export interface CtrOptions {
  socket: string;
  /** ctr binary (default: ctr on PATH). */
  ctr?: string;
  snapshotter: string;
}

/** Imports an OCI or docker archive into containerd's CRI namespace, unpacked for the CRI's snapshotter. */
export async function importImageArchive(file: string, o: CtrOptions): Promise<string[]> {
  const ctr = o.ctr ?? findOnPath('ctr', ['/usr/bin', '/usr/local/bin']) ?? 'ctr';
  const { stdout } = await run(ctr, ['--address', o.socket, '--namespace', CRI_NAMESPACE, 'images', 'import', '--snapshotter', o.snapshotter, file], {
    maxBuffer: 16 * 1024 * 1024,
  });
  // ctr prints "unpacking NAME (sha256:...)...done" per image.
  return [...stdout.matchAll(/unpacking (\S+) \(/g)].map((m) => m[1]!);
}
