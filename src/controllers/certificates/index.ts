// The certificates controllers of kube-controller-manager (pkg/controller/certificates): the
// approver, which approves kubelet serving requests that name only their own node and kubelet
// client requests of joining machines that hold their node name (node-password.ts), and the
// signer, which issues approved requests of kubernetes.io/kubelet-serving and
// kubernetes.io/kube-apiserver-client-kubelet with the cluster CA. The signer runs only where
// the CA's key is (`berth server`, or --cluster-signing-cert-file/--cluster-signing-key-file).
import type { Node } from 'kubernetes-types/core/v1';
import { isConflict, isNotFound, resourcePath, resources, runWorkers, WorkQueue, type Informer, type RestClient } from '../../client/index.js';
import type { CaFiles } from '../../apiserver/pki.js';
import { hasCondition } from '../../api/csr.js';
import type { Controller, ControllerContext } from '../context.js';
import { clientApproval, isFinished, servingApproval, signRequest, type Csr } from './rules.js';
import { claimNodeName, releaseNodeName, takenMessage } from './node-password.js';
import { KUBE_APISERVER_CLIENT_KUBELET_SIGNER } from '../../api/kubelet-identity.js';

export interface CsrSigningOptions {
  ca: CaFiles;
  /** --cluster-signing-duration (default one year). */
  durationMs?: number;
}

type CsrObject = Csr & { apiVersion?: string; kind?: string; metadata: { name: string; resourceVersion?: string; annotations?: Record<string, string> } };

const REF = resources.certificatesigningrequests;

/** One queue of CSR names over the shared informer; sync decides per name. */
abstract class CsrController implements Controller {
  abstract readonly name: string;
  protected readonly queue: WorkQueue<string>;
  protected readonly csrs: Informer<CsrObject>;
  protected readonly client: RestClient;
  protected readonly log: (m: string) => void;

  constructor(ctx: ControllerContext, queueName: string) {
    this.client = ctx.client;
    this.log = ctx.log;
    this.queue = new WorkQueue<string>({ name: queueName });
    this.csrs = ctx.informers.for<CsrObject>(REF);
    this.csrs.addEventHandler({ onAdd: (c) => this.enqueue(c), onUpdate: (_o, c) => this.enqueue(c) });
  }

  protected enqueue(c: CsrObject): void {
    if (c.metadata?.name) this.queue.add(c.metadata.name);
  }

  protected abstract sync(name: string): Promise<void>;

  async run(signal: AbortSignal): Promise<void> {
    await runWorkers(this.queue, 2, (name) => this.sync(name), {
      signal,
      onError: (name, e) => {
        if (!isConflict(e) && !isNotFound(e)) this.log(`${this.name}: ${name}: ${(e as Error)?.message ?? e}`);
      },
    });
  }
}

export class CsrApprovingController extends CsrController {
  readonly name = 'csrapproving';
  private readonly nodes: Informer<Node>;

  constructor(ctx: ControllerContext) {
    super(ctx, 'certificate_approving');
    this.nodes = ctx.informers.for<Node>(resources.nodes);
    // A request may wait for its Node to register or report its addresses: pending requests
    // are few, so any Node change looks at them again.
    const recheck = () => {
      for (const c of this.csrs.indexer.list()) if (!isFinished(c)) this.enqueue(c);
    };
    // A deleted Node's name is free for another machine (node-password.ts).
    const release = (n: Node) => {
      const name = n.metadata?.name;
      if (name) releaseNodeName(this.client, name).catch((e) => this.log(`${this.name}: freeing node name ${name}: ${(e as Error).message}`));
    };
    this.nodes.addEventHandler({ onAdd: recheck, onUpdate: recheck, onDelete: release });
  }

  protected async sync(name: string): Promise<void> {
    const csr = this.csrs.indexer.getByKey(name);
    if (!csr || isFinished(csr)) return;
    if (csr.spec?.signerName === KUBE_APISERVER_CLIENT_KUBELET_SIGNER) return this.syncClient(csr);
    const d = await servingApproval(csr, (n) => this.nodes.indexer.getByKey(n));
    if (d.approve) await this.decide(csr, 'Approved', 'AutoApproved', d.message);
  }

  private async syncClient(csr: CsrObject): Promise<void> {
    const d = await clientApproval(csr);
    if (!d.approve) return;
    if (d.claim && !(await claimNodeName(this.client, d.claim.nodeName, d.claim.passwordHash))) {
      return this.decide(csr, 'Denied', 'NodeNameTaken', takenMessage(d.claim.nodeName));
    }
    await this.decide(csr, 'Approved', 'AutoApproved', d.message);
  }

  private async decide(csr: CsrObject, type: 'Approved' | 'Denied', reason: string, message: string): Promise<void> {
    const name = csr.metadata.name;
    const conditions = [...(csr.status?.conditions ?? []), { type, status: 'True', reason, message }];
    await this.client.request('PUT', resourcePath({ ...REF, name, subresource: 'approval' }), { ...csr, status: { ...(csr.status ?? {}), conditions } });
    this.log(`${type === 'Approved' ? 'approved' : 'denied'} CertificateSigningRequest ${name}: ${message}`);
  }
}

export class CsrSigningController extends CsrController {
  readonly name = 'csrsigning';

  constructor(
    ctx: ControllerContext,
    private readonly opts: CsrSigningOptions,
  ) {
    super(ctx, 'certificate_signing');
  }

  protected async sync(name: string): Promise<void> {
    const csr = this.csrs.indexer.getByKey(name);
    if (!csr || !hasCondition(csr.status, 'Approved')) return;
    const result = await signRequest(csr, this.opts.ca, this.opts.durationMs);
    if (!result) return;
    const status = { ...(csr.status ?? {}) };
    if ('certificate' in result) status.certificate = result.certificate;
    else status.conditions = [...(status.conditions ?? []), { type: 'Failed', status: 'True', reason: 'SignerValidationFailure', message: result.failed }];
    await this.client.updateStatus(REF, { ...csr, status });
    this.log('certificate' in result ? `issued CertificateSigningRequest ${name}` : `CertificateSigningRequest ${name} failed: ${result.failed}`);
  }
}
