// The cluster DNS server a node agent runs: informers on all Services and EndpointSlices feed
// the record model; once they have synced (a server answering NXDOMAIN from an empty model
// would be believed and cached) it binds its UDP and TCP sockets and publishes the node's
// kube-dns EndpointSlice. The address it serves on may not exist yet (the pod bridge appears
// with the first pod), so binding is retried until it does; port 53 taken by another server
// on that address (or no right to bind it) means a free port instead, which the slice then carries.
import type { Service } from 'kubernetes-types/core/v1';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1';
import { Informer, createInformer, isInvalid, sleep, type RestClient } from '../client/index.js';
import { ENDPOINTSLICES, SERVICES, publishKubeDnsSlice } from './endpoint-slice.js';
import { Forwarder, upstreamsFrom } from './forwarder.js';
import { DnsHandler } from './handler.js';
import { ClusterRecords } from './records.js';
import { ResolvConfFile } from './resolv-conf.js';
import { DnsServer } from './server.js';

export const DEFAULT_CLUSTER_DNS = '10.43.0.10';
export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';

export interface ClusterDnsOptions {
  client: RestClient;
  nodeName: string;
  /** The address the node's pods reach the server on. */
  host: () => string;
  /** Default 53; taken, a free port is used. */
  port?: number;
  clusterDomain?: string;
  /** Cluster records' TTL, 5 to 30 s (default 5). */
  ttl?: number;
  /** The node's resolver configuration, whose nameservers get the names outside the cluster. */
  resolvConf?: string;
  /** The upstreams' port (53; tests run theirs elsewhere). */
  upstreamPort?: number;
  /** How often a failed bind or slice publication is retried (default 1 s). */
  retryMs?: number;
  /**
   * The cluster's Services from an informer the caller shares and stops (the node agent's, which
   * its containers' Service variables also read): one watch of them per node, not two.
   */
  services?: Informer<Service>;
  log?: (msg: string) => void;
}

export class ClusterDns {
  readonly records: ClusterRecords;
  readonly forwarder: Forwarder;
  private readonly handler: DnsHandler;
  private server?: DnsServer;
  private readonly services: Informer<Service>;
  private readonly slices: Informer<EndpointSlice>;
  private readonly abort = new AbortController();
  private readonly log: (msg: string) => void;
  private running?: Promise<void>;
  private readyResolve!: () => void;
  /** Resolves once the server listens and its slice is published. */
  readonly ready = new Promise<void>((r) => (this.readyResolve = r));

  constructor(private readonly o: ClusterDnsOptions) {
    this.log = o.log ?? ((m) => process.stderr.write(`berth: dns: ${m}\n`));
    this.records = new ClusterRecords(o.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN);
    const resolv = new ResolvConfFile(o.resolvConf ?? '/etc/resolv.conf');
    this.forwarder = new Forwarder({ upstreams: () => upstreamsFrom(resolv.current().servers, o.upstreamPort ?? 53) });
    this.handler = new DnsHandler({ records: this.records, forwarder: this.forwarder, ttl: o.ttl, log: this.log });
    this.services = o.services ?? createInformer<Service>(o.client, SERVICES, { name: 'dns services', log: this.log });
    this.slices = createInformer<EndpointSlice>(o.client, ENDPOINTSLICES, { name: 'dns endpointslices', log: this.log });
    this.services.addEventHandler({
      onAdd: (s) => this.records.setService(s),
      onUpdate: (_o, s) => this.records.setService(s),
      onDelete: (s) => this.records.deleteService(s),
    });
    this.slices.addEventHandler({
      onAdd: (s) => this.records.setSlice(s),
      onUpdate: (_o, s) => this.records.setSlice(s),
      onDelete: (s) => this.records.deleteSlice(s),
    });
  }

  /** The address and port it listens on, once it does. */
  get address(): { host: string; port: number } | undefined {
    return this.server?.port ? { host: this.server.host, port: this.server.port } : undefined;
  }

  /** Starts in the background: the agent does not wait for the cluster's Services to sync. */
  start(): void {
    this.services.start();
    this.slices.start();
    this.running = this.run().catch((e) => {
      if (!this.abort.signal.aborted) this.log(`cluster DNS stopped: ${(e as Error).message}`);
    });
  }

  private async run(): Promise<void> {
    await Promise.all([this.services.waitForSync(), this.slices.waitForSync()]);
    const retry = this.o.retryMs ?? 1000;
    let waitingSaid = false;
    while (!this.abort.signal.aborted) {
      const host = this.o.host();
      try {
        this.server = await this.bind(host);
        break;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'EADDRNOTAVAIL') throw e;
        if (!waitingSaid) this.log(`waiting for ${host} to exist on this node (the pod bridge comes up with the first pod) to serve DNS on it`);
        waitingSaid = true;
        await sleep(retry);
      }
    }
    if (this.abort.signal.aborted) return void (await this.server?.stop());
    const { host, port } = this.address!;
    this.log(`serving cluster DNS for ${this.records.zone} on ${host}:${port} (UDP and TCP)`);
    while (!this.abort.signal.aborted) {
      try {
        await publishKubeDnsSlice(this.o.client, this.o.nodeName, host, port);
        this.readyResolve();
        return;
      } catch (e) {
        // Refused as invalid (a loopback address, which EndpointSlices may not hold): asking
        // again changes nothing. The server still answers whoever reaches it.
        if (isInvalid(e)) return this.log(`cannot publish EndpointSlice kube-system/kube-dns-${this.o.nodeName}: ${(e as Error).message}`);
        this.log(`publishing EndpointSlice kube-system/kube-dns-${this.o.nodeName}: ${(e as Error).message}; retrying`);
        await sleep(Math.max(retry, 5000));
      }
    }
  }

  private async bind(host: string): Promise<DnsServer> {
    const wanted = this.o.port ?? 53;
    const s = new DnsServer({ host, port: wanted, handler: this.handler, log: this.log });
    try {
      await s.start();
      return s;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if ((code !== 'EADDRINUSE' && code !== 'EACCES') || wanted === 0) throw e;
      this.log(`port ${wanted} on ${host} is ${code === 'EACCES' ? 'not ours to bind' : 'taken'}: serving DNS on a free port instead`);
      const any = new DnsServer({ host, port: 0, handler: this.handler, log: this.log });
      await any.start();
      return any;
    }
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.all([this.o.services ? undefined : this.services.stop(), this.slices.stop()]);
    await this.running;
    await this.server?.stop();
    this.forwarder.close();
  }
}
