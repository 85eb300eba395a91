// OCI image archives built by hand: a ustar writer, single-layer images, and the OCI image
// layout (oci-layout, index.json, blobs/sha256/...) in one tar that `ctr images import` loads.
// Everything is deterministic (fixed mtimes, sorted entries), so the same input gives the same
// digests and a re-import is a no-op.
import { createHash } from 'node:crypto';

export interface TarEntry {
  name: string;
  type: 'file' | 'dir' | 'symlink';
  mode?: number;
  data?: Buffer;
  linkname?: string;
  uid?: number;
  gid?: number;
}

const BLOCK = 512;

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, '0')}\0`;
}

function header(e: TarEntry): Buffer {
  const h = Buffer.alloc(BLOCK);
  let name = e.name;
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    // ustar: split at a slash into prefix (155) and name (100).
    const cut = name.lastIndexOf('/', 155);
    if (cut <= 0 || Buffer.byteLength(name.slice(cut + 1)) > 100) throw new Error(`tar: name too long: ${name}`);
    prefix = name.slice(0, cut);
    name = name.slice(cut + 1);
  }
  const size = e.type === 'file' ? (e.data?.length ?? 0) : 0;
  const mode = e.mode ?? (e.type === 'dir' ? 0o755 : e.type === 'symlink' ? 0o777 : 0o644);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(mode, 8), 100, 8, 'ascii');
  h.write(octal(e.uid ?? 0, 8), 108, 8, 'ascii');
  h.write(octal(e.gid ?? 0, 8), 116, 8, 'ascii');
  h.write(octal(size, 12), 124, 12, 'ascii');
  h.write(octal(0, 12), 136, 12, 'ascii');
  h.write('        ', 148, 8, 'ascii');
  h.write(e.type === 'file' ? '0' : e.type === 'dir' ? '5' : '2', 156, 1, 'ascii');
  if (e.linkname) h.write(e.linkname, 157, 100, 'utf8');
  h.write('ustar\0', 257, 6, 'ascii');
  h.write('00', 263, 2, 'ascii');
  h.write('root', 265, 32, 'ascii');
  h.write('root', 297, 32, 'ascii');
  if (prefix) h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return h;
}

/** A tar stream of the entries, in the order given, with the two zero blocks at the end. */
export function tar(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    parts.push(header(e));
    if (e.type === 'file' && e.data?.length) {
      parts.push(e.data);
      const pad = (BLOCK - (e.data.length % BLOCK)) % BLOCK;
      if (pad) parts.push(Buffer.alloc(pad));
    }
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

export function sha256(b: Buffer | string): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

export const MEDIA_TYPES = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar',
} as const;

export interface ImageSpec {
  /** Full reference, e.g. berth.local/busybox:host. */
  name: string;
  /** The uncompressed layer (a tar); images may share one. */
  layer: Buffer;
  entrypoint?: string[];
  cmd?: string[];
  env?: string[];
  workingDir?: string;
}

export function ociArch(arch: string = process.arch): string {
  return arch === 'x64' ? 'amd64' : arch === 'ia32' ? '386' : arch;
}

/** An OCI image-layout archive holding the images, each named by io.containerd.image.name. */
export function ociArchive(images: ImageSpec[], arch = ociArch()): Buffer {
  const blobs = new Map<string, Buffer>();
  const put = (b: Buffer) => {
    const d = sha256(b);
    blobs.set(d, b);
    return { digest: d, size: b.length };
  };
  const manifests = images.map((img) => {
    const layer = put(img.layer);
    const config = Buffer.from(
      JSON.stringify({
        created: '1970-01-01T00:00:00Z',
        architecture: arch,
        os: 'linux',
        config: {
          Env: img.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
          ...(img.entrypoint ? { Entrypoint: img.entrypoint } : {}),
          ...(img.cmd ? { Cmd: img.cmd } : {}),
          WorkingDir: img.workingDir ?? '/',
        },
        rootfs: { type: 'layers', diff_ids: [layer.digest] },
        history: [{ created: '1970-01-01T00:00:00Z', created_by: 'berth' }],
      }),
    );
    const cfg = put(config);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.manifest,
        config: { mediaType: MEDIA_TYPES.config, ...cfg },
        layers: [{ mediaType: MEDIA_TYPES.layer, ...layer }],
      }),
    );
    const m = put(manifest);
    const tag = img.name.slice(img.name.lastIndexOf(':') + 1);
    return {
      mediaType: MEDIA_TYPES.manifest,
      ...m,
      annotations: { 'io.containerd.image.name': img.name, 'org.opencontainers.image.ref.name': tag },
      platform: { architecture: arch, os: 'linux' },
    };
  });
  const index = { schemaVersion: 2, mediaType: MEDIA_TYPES.index, manifests };
  const entries: TarEntry[] = [
    { name: 'oci-layout', type: 'file', data: Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })) },
    { name: 'index.json', type: 'file', data: Buffer.from(JSON.stringify(index)) },
    { name: 'blobs/', type: 'dir' },
    { name: 'blobs/sha256/', type: 'dir' },
  ];
  for (const [d, b] of [...blobs].sort(([a], [b]) => a.localeCompare(b))) {
    entries.push({ name: `blobs/sha256/${d.slice('sha256:'.length)}`, type: 'file', data: b });
  }
  return tar(entries);
}
