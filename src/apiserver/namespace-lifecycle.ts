// What makes namespaces behave as on a real cluster, in-process for now: every namespace gets
// its "default" ServiceAccount and "kube-root-ca.crt" ConfigMap (upstream's serviceaccount and
// root-ca-cert-publisher controllers). Emptying and finalizing a namespace being deleted is the
// namespace controller's work (src/controllers/namespace.ts), through the API.
import { resourceByKey } from '../registry/index.js';
import type { KObject } from '../api/object.js';
import { ApiError } from './errors.js';
import type { RestStorage } from './rest-storage.js';
import { collectionPrefix } from './storage-keys.js';
import { warnOf, type LogFn } from '../log/logger.js';

export class NamespaceLifecycle {
  private pending = new Set<string>();
  private stopped = false;
  private cancel?: () => void;
  private timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly storage: RestStorage,
    private readonly caCert: string,
    private readonly log: LogFn,
  ) {}

  async start(): Promise<void> {
    const nsResource = resourceByKey('namespaces');
    this.cancel = await this.storage
      .cache(nsResource)
      .watch(
        { fromRevision: 0, sendInitialEvents: true, prefix: collectionPrefix(nsResource) },
        { send: (type, entry) => type !== 'DELETED' && this.enqueue(entry.obj.metadata.name!), expire: () => {} },
      );
  }

  stop(): void {
    this.stopped = true;
    this.cancel?.();
    for (const t of this.timers) clearTimeout(t);
  }

  private enqueue(name: string, delayMs = 0): void {
    if (this.stopped || this.pending.has(name)) return;
    this.pending.add(name);
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.pending.delete(name);
      this.reconcile(name).catch((e) => {
        warnOf(this.log)(`namespace ${name}: ${(e as Error).message}`);
        this.enqueue(name, 1000);
      });
    }, delayMs);
    this.timers.add(t);
  }

  private async reconcile(name: string): Promise<void> {
    const ns = this.storage.lookups.getNamespace(name);
    // A namespace being deleted gets nothing new (admission would refuse it anyway).
    if (!ns || this.stopped || ns.metadata.deletionTimestamp) return;
    await this.ensure('serviceaccounts', name, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: name } });
    await this.ensure('configmaps', name, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'kube-root-ca.crt',
        namespace: name,
        annotations: {
          'kubernetes.io/description':
            'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.',
        },
      },
      data: { 'ca.crt': this.caCert },
    });
  }

  private async ensure(key: string, namespace: string, obj: KObject): Promise<void> {
    const r = resourceByKey(key);
    if (this.storage.cache(r).get(`/registry/${r.key}/${namespace}/${obj.metadata.name}`)) return;
    try {
      await this.storage.create(r, obj);
    } catch (e) {
      // Already there, or the namespace started terminating meanwhile: nothing to do.
      if (!(e instanceof ApiError) || (e.code !== 409 && e.code !== 403 && e.code !== 404)) throw e;
    }
  }
}
