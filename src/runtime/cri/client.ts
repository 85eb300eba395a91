// CriRuntime: the Runtime interface over CRI v1 gRPC (RuntimeService + ImageService) on a unix
// socket, as kubelet's remote runtime does.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { CRI_API_PROTO } from './api-proto.js';
import type {
  Container,
  ContainerConfig,
  ContainerState,
  ContainerStatus,
  ExecSyncResult,
  Image,
  ListFilter,
  PodSandbox,
  PodSandboxConfig,
  PodSandboxStatus,
  Runtime,
  RuntimeCondition,
  RuntimeVersion,
  SandboxState,
  StreamRequest,
} from '../runtime.js';

type Any = Record<string, any>;
type UnaryFn = (req: Any, meta: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: Any) => void) => void;

/** A CRI call that failed: the gRPC code and the runtime's message. */
export class CriError extends Error {
  constructor(
    readonly method: string,
    readonly code: grpc.status,
    readonly details: string,
  ) {
    super(`${method}: ${details || grpc.status[code]}`);
  }
}

export function isCriNotFound(e: unknown): boolean {
  return e instanceof CriError && e.code === grpc.status.NOT_FOUND;
}

let packageDefinition: protoLoader.PackageDefinition | undefined;

/**
 * The proto text lives in a TS module (so the bundled CLI carries it); proto-loader reads files,
 * so it is written to a temp file for the moment of loading.
 */
export function loadDefinition(): protoLoader.PackageDefinition {
  if (packageDefinition) return packageDefinition;
  const dir = mkdtempSync(join(tmpdir(), 'berth-cri-'));
  try {
    const file = join(dir, 'api.proto');
    writeFileSync(file, CRI_API_PROTO);
    // int64s decoded as numbers: as decimal strings each took a Long division per digit, and the
    // relist decodes every container's and sandbox's timestamp each second. A nanosecond
    // timestamp as a double is within 256 ns, far below the milliseconds they are read in.
    packageDefinition = protoLoader.loadSync(file, { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return packageDefinition;
}

/** Nanoseconds (an int64, decoded as a number) to milliseconds. */
export function nsToMs(v: unknown): number {
  if (typeof v === 'number') return Math.floor(v / 1_000_000);
  if (v === undefined || v === null || v === '' || v === '0') return 0;
  return Number(BigInt(String(v)) / 1_000_000n);
}

function sandboxOf(s: Any): PodSandbox {
  return {
    id: s.id,
    metadata: { name: s.metadata?.name ?? '', uid: s.metadata?.uid ?? '', namespace: s.metadata?.namespace ?? '', attempt: s.metadata?.attempt ?? 0 },
    state: s.state as SandboxState,
    createdAtMs: nsToMs(s.createdAt),
    labels: s.labels ?? {},
    annotations: s.annotations ?? {},
  };
}

function containerOf(c: Any): Container {
  return {
    id: c.id,
    podSandboxId: c.podSandboxId,
    metadata: { name: c.metadata?.name ?? '', attempt: c.metadata?.attempt ?? 0 },
    image: c.image?.image ?? '',
    imageRef: c.imageRef ?? '',
    state: c.state as ContainerState,
    createdAtMs: nsToMs(c.createdAt),
    labels: c.labels ?? {},
    annotations: c.annotations ?? {},
  };
}

function imageOf(i: Any): Image {
  return {
    id: i.id,
    repoTags: i.repoTags ?? [],
    repoDigests: i.repoDigests ?? [],
    size: Number(i.size ?? 0),
    ...(i.uid ? { uid: Number(i.uid.value) } : {}),
    ...(i.username ? { username: i.username as string } : {}),
  };
}

function filterOf(f: (ListFilter & { state?: string }) | undefined): Any | undefined {
  if (!f) return undefined;
  return {
    id: f.id ?? '',
    podSandboxId: f.podSandboxId,
    labelSelector: f.labelSelector ?? {},
    state: f.state ? { state: f.state } : undefined,
  };
}

export interface CriRuntimeOptions {
  /** Path of the runtime's unix socket. */
  socket: string;
  /** Deadline of ordinary calls (default 2 min; pulls and stops get their own). */
  timeoutMs?: number;
}

export class CriRuntime implements Runtime {
  private readonly runtime: grpc.Client;
  private readonly images: grpc.Client;
  private readonly timeoutMs: number;

  constructor(readonly opts: CriRuntimeOptions) {
    const proto = grpc.loadPackageDefinition(loadDefinition()) as Any;
    const v1 = proto.runtime.v1;
    const address = `unix://${opts.socket}`;
    const channelOptions = { 'grpc.max_receive_message_length': 32 * 1024 * 1024 };
    this.runtime = new v1.RuntimeService(address, grpc.credentials.createInsecure(), channelOptions);
    this.images = new v1.ImageService(address, grpc.credentials.createInsecure(), channelOptions);
    this.timeoutMs = opts.timeoutMs ?? 120_000;
  }

  private call<R = Any>(client: grpc.Client, method: string, req: Any, timeoutMs = this.timeoutMs): Promise<R> {
    const fn = (client as unknown as Record<string, UnaryFn>)[method]!;
    return new Promise((resolve, reject) => {
      const deadline = timeoutMs > 0 ? Date.now() + timeoutMs : Infinity;
      fn.call(client, req, new grpc.Metadata(), { deadline }, (err, res) => {
        if (err) reject(new CriError(method, err.code, err.details));
        else resolve(res as R);
      });
    });
  }

  private rt<R = Any>(method: string, req: Any, timeoutMs?: number): Promise<R> {
    return this.call<R>(this.runtime, method, req, timeoutMs);
  }

  private img<R = Any>(method: string, req: Any, timeoutMs?: number): Promise<R> {
    return this.call<R>(this.images, method, req, timeoutMs);
  }

  /** Resolves once the socket answers (or rejects after timeoutMs). */
  async waitReady(timeoutMs = 10_000): Promise<RuntimeVersion> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return await this.call<RuntimeVersion>(this.runtime, 'Version', { version: 'v1' }, 2000).then((r) => ({
          runtimeName: r.runtimeName,
          runtimeVersion: r.runtimeVersion,
          runtimeApiVersion: r.runtimeApiVersion,
        }));
      } catch (e) {
        if (Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  async version(): Promise<RuntimeVersion> {
    const r = await this.rt('Version', { version: 'v1' });
    return { runtimeName: r.runtimeName, runtimeVersion: r.runtimeVersion, runtimeApiVersion: r.runtimeApiVersion };
  }

  async status(): Promise<RuntimeCondition[]> {
    const r = await this.rt('Status', { verbose: false });
    return (r.status?.conditions ?? []).map((c: Any) => ({ type: c.type, status: !!c.status, reason: c.reason ?? '', message: c.message ?? '' }));
  }

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    const r = await this.rt('RunPodSandbox', { config, runtimeHandler: '' }, 4 * 60_000);
    return r.podSandboxId;
  }

  async stopPodSandbox(id: string): Promise<void> {
    await this.rt('StopPodSandbox', { podSandboxId: id });
  }

  async removePodSandbox(id: string): Promise<void> {
    await this.rt('RemovePodSandbox', { podSandboxId: id });
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus | undefined> {
    try {
      const r = await this.rt('PodSandboxStatus', { podSandboxId: id, verbose: false });
      const s = r.status;
      const ips = [s.network?.ip, ...(s.network?.additionalIps ?? []).map((p: Any) => p.ip)].filter((ip: unknown): ip is string => !!ip);
      return { ...sandboxOf(s), ips };
    } catch (e) {
      if (isCriNotFound(e)) return undefined;
      throw e;
    }
  }

  async listPodSandbox(filter?: ListFilter & { state?: SandboxState }): Promise<PodSandbox[]> {
    const f = filterOf(filter);
    if (f) delete f.podSandboxId;
    const r = await this.rt('ListPodSandbox', { filter: f });
    return (r.items ?? []).map(sandboxOf);
  }

  async createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string> {
    const r = await this.rt('CreateContainer', { podSandboxId, config, sandboxConfig });
    return r.containerId;
  }

  async startContainer(id: string): Promise<void> {
    await this.rt('StartContainer', { containerId: id });
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    // The runtime kills after timeoutSeconds; allow it that long plus a margin to answer.
    await this.rt('StopContainer', { containerId: id, timeout: Math.max(0, Math.floor(timeoutSeconds)) }, (timeoutSeconds + 60) * 1000);
  }

  async removeContainer(id: string): Promise<void> {
    await this.rt('RemoveContainer', { containerId: id });
  }

  async listContainers(filter?: ListFilter & { state?: ContainerState }): Promise<Container[]> {
    const r = await this.rt('ListContainers', { filter: filterOf(filter) });
    return (r.containers ?? []).map(containerOf);
  }

  async containerStatus(id: string): Promise<ContainerStatus | undefined> {
    try {
      const r = await this.rt('ContainerStatus', { containerId: id, verbose: false });
      const s = r.status;
      return {
        id: s.id,
        metadata: { name: s.metadata?.name ?? '', attempt: s.metadata?.attempt ?? 0 },
        state: s.state,
        createdAtMs: nsToMs(s.createdAt),
        startedAtMs: nsToMs(s.startedAt),
        finishedAtMs: nsToMs(s.finishedAt),
        exitCode: s.exitCode ?? 0,
        image: s.image?.image ?? '',
        imageRef: s.imageRef ?? '',
        reason: s.reason ?? '',
        message: s.message ?? '',
        labels: s.labels ?? {},
        annotations: s.annotations ?? {},
        logPath: s.logPath ?? '',
      };
    } catch (e) {
      if (isCriNotFound(e)) return undefined;
      throw e;
    }
  }

  async execSync(id: string, cmd: string[], timeoutSeconds: number): Promise<ExecSyncResult> {
    const r = await this.rt('ExecSync', { containerId: id, cmd, timeout: timeoutSeconds }, timeoutSeconds > 0 ? (timeoutSeconds + 10) * 1000 : 0);
    return { stdout: Buffer.from(r.stdout ?? []), stderr: Buffer.from(r.stderr ?? []), exitCode: r.exitCode ?? 0 };
  }

  async exec(req: StreamRequest): Promise<string> {
    const r = await this.rt('Exec', { ...req });
    return r.url;
  }

  async attach(req: Omit<StreamRequest, 'cmd'>): Promise<string> {
    const r = await this.rt('Attach', { ...req });
    return r.url;
  }

  async portForward(podSandboxId: string, ports: number[]): Promise<string> {
    const r = await this.rt('PortForward', { podSandboxId, port: ports });
    return r.url;
  }

  async imageStatus(image: string): Promise<Image | undefined> {
    const r = await this.img('ImageStatus', { image: { image }, verbose: false });
    return r.image && r.image.id ? imageOf(r.image) : undefined;
  }

  async pullImage(image: string, sandboxConfig?: PodSandboxConfig): Promise<string> {
    const r = await this.img('PullImage', { image: { image }, sandboxConfig }, 10 * 60_000);
    return r.imageRef;
  }

  async listImages(): Promise<Image[]> {
    const r = await this.img('ListImages', {});
    return (r.images ?? []).map(imageOf);
  }

  async removeImage(image: string): Promise<void> {
    await this.img('RemoveImage', { image: { image } });
  }

  close(): void {
    this.runtime.close();
    this.images.close();
  }
}
