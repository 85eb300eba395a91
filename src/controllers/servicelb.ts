// ServiceLB, as k3s's servicelb without its per-service DaemonSet: a `type: LoadBalancer` Service
// with no spec.loadBalancerClass is given the ready nodes' addresses (ExternalIPs where a node has
// them, InternalIPs otherwise) as status.loadBalancer.ingress. Every node's service proxy answers
// on those addresses, which is what the DaemonSet's pods did in k3s. With externalTrafficPolicy
// Local only nodes with a ready endpoint of the Service count (traffic is not forwarded to other
// nodes, so the others would answer nothing). A Service with a loadBalancerClass belongs to
// another implementation and is not touched.
import type { Node, Service } from 'kubernetes-types/core/v1';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1';
import { isNotFound, metaNamespaceKey, resources, runWorkers, WorkQueue, type Informer } from '../client/index.js';
import { deepEqual } from '../api/object.js';
import type { Controller, ControllerContext } from './context.js';

export interface ServiceLBControllerOptions {
  workers?: number;
}

export function newServiceLBController(ctx: ControllerContext, opts: ServiceLBControllerOptions = {}): Controller {
  return new ServiceLBController(ctx, opts);
}

function isNodeReady(node: Node): boolean {
  return !node.metadata?.deletionTimestamp && node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}

/** The addresses a node's load-balanced ports answer on, as k3s's servicelb picks them. */
export function nodeIngressIPs(node: Node): string[] {
  const addrs = node.status?.addresses ?? [];
  const external = addrs.filter((a) => a.type === 'ExternalIP').map((a) => a.address);
  const ips = external.length ? external : addrs.filter((a) => a.type === 'InternalIP').map((a) => a.address);
  return ips.filter((ip) => !ip.includes(':'));
}

/** Nodes hosting a ready pod endpoint in these slices. */
export function nodesWithReadyEndpoints(slices: readonly EndpointSlice[]): Set<string> {
  const names = new Set<string>();
  for (const s of slices)
    for (const e of s.endpoints ?? []) if (e.conditions?.ready !== false && e.targetRef?.kind === 'Pod' && e.nodeName) names.add(e.nodeName);
  return names;
}

/**
 * The ingress of a load-balanced Service: every ready node's addresses (only the nodes named in
 * `only`, when given), each once, in order.
 */
export function loadBalancerIngress(nodes: readonly Node[], only?: Set<string>): Array<{ ip: string }> {
  const ips = new Set<string>();
  for (const n of nodes) if (isNodeReady(n) && (!only || only.has(n.metadata?.name ?? ''))) for (const ip of nodeIngressIPs(n)) ips.add(ip);
  return [...ips].sort(compareIPv4).map((ip) => ({ ip }));
}

function compareIPv4(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

const SLICE_SERVICE_INDEX = 'servicelb:service';
/** Every slice by the key of the Service it names, whoever manages it. */
function bySliceService(slice: EndpointSlice): string[] {
  const name = slice.metadata?.labels?.['kubernetes.io/service-name'];
  return name ? [`${slice.metadata?.namespace}/${name}`] : [];
}

export function isServiceLBManaged(svc: Service): boolean {
  return svc.spec?.type === 'LoadBalancer' && !svc.spec.loadBalancerClass;
}

class ServiceLBController implements Controller {
  readonly name = 'service-lb';
  private readonly queue = new WorkQueue<string>({ name: 'service-lb' });
  private readonly services: Informer<Service>;
  private readonly nodes: Informer<Node>;
  private readonly slices: Informer<EndpointSlice>;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly opts: ServiceLBControllerOptions,
  ) {
    this.services = ctx.informers.for<Service>(resources.services);
    this.nodes = ctx.informers.for<Node>(resources.nodes);
    this.slices = ctx.informers.for<EndpointSlice>(resources.endpointslices, { [SLICE_SERVICE_INDEX]: bySliceService });
    const onSlice = (slice: EndpointSlice) => {
      for (const key of bySliceService(slice)) {
        const svc = this.services.getByKey(key);
        if (svc && isServiceLBManaged(svc) && svc.spec?.externalTrafficPolicy === 'Local') this.queue.add(key);
      }
    };
    this.slices.addEventHandler({ onAdd: onSlice, onUpdate: (_o, cur) => onSlice(cur), onDelete: onSlice });
    this.services.addEventHandler({
      onAdd: (s) => this.queue.add(metaNamespaceKey(s)),
      onUpdate: (_o, s) => this.queue.add(metaNamespaceKey(s)),
    });
    const allLoadBalancers = () => {
      for (const s of this.services.list()) if (isServiceLBManaged(s)) this.queue.add(metaNamespaceKey(s));
    };
    this.nodes.addEventHandler({
      onAdd: allLoadBalancers,
      onDelete: allLoadBalancers,
      onUpdate: (old, cur) => {
        if (isNodeReady(old) !== isNodeReady(cur) || !deepEqual(nodeIngressIPs(old), nodeIngressIPs(cur))) allLoadBalancers();
      },
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    await runWorkers(this.queue, this.opts.workers ?? 2, (key) => this.sync(key), {
      signal,
      onError: (key, e) => this.ctx.log(`service-lb ${key}: ${(e as Error)?.message ?? e}`),
    });
  }

  private async sync(key: string): Promise<void> {
    const svc = this.services.getByKey(key);
    if (!svc || svc.metadata?.deletionTimestamp || svc.spec?.loadBalancerClass) return;
    const current = svc.status?.loadBalancer?.ingress ?? [];
    // A Service no longer of type LoadBalancer keeps no ingress it was given here.
    const local = svc.spec?.externalTrafficPolicy === 'Local' ? nodesWithReadyEndpoints(this.slices.byIndex(SLICE_SERVICE_INDEX, key)) : undefined;
    const want = isServiceLBManaged(svc) ? loadBalancerIngress(this.nodes.list(), local) : [];
    if (deepEqual(JSON.parse(JSON.stringify(current)), want)) return;
    const status = { ...(svc.status ?? {}), loadBalancer: want.length ? { ingress: want } : {} };
    try {
      await this.ctx.client.updateStatus<Service>({ ...resources.services, namespace: svc.metadata!.namespace, name: svc.metadata!.name! }, { ...svc, status });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}
