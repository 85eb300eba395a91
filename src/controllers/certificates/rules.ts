// The decisions of the CSR approver and signer, free of the API: which kubelet serving requests
// are approved automatically, and what an approved request of a signer Berth runs is issued.
import type { Node } from 'kubernetes-types/core/v1';
import { KUBELET_SERVING_SIGNER, KUBE_APISERVER_CLIENT_KUBELET_SIGNER, NODE_PASSWORD_ANNOTATION } from '../../api/kubelet-identity.js';
import { hasCondition, kubeletClientProblems, kubeletServingProblems, parseRequest, type CsrSpec, type CsrStatus } from '../../api/csr.js';
import { ONE_YEAR_MS, signPublicKey, type CaFiles } from '../../apiserver/pki.js';

export interface Csr {
  metadata?: { name?: string; resourceVersion?: string };
  spec?: CsrSpec;
  status?: CsrStatus;
}

/** Approved, Denied or Failed: nothing is left to decide. */
export function isFinished(csr: Csr): boolean {
  return hasCondition(csr.status, 'Approved') || hasCondition(csr.status, 'Denied') || hasCondition(csr.status, 'Failed');
}

export type ApprovalDecision = { approve: true; message: string } | { approve: false; why: string };

/**
 * A kubelet-serving request is approved when it is a well-formed kubelet serving request
 * (upstream's validation of the signer: subject system:node:NAME / system:nodes, DNS and IP
 * SANs only, serving usages), signed by its key, and names only what the Node NAME is: its
 * name and addresses. Anything else is left for a person (`kubectl certificate approve|deny`).
 */
export async function servingApproval(csr: Csr, nodeOf: (name: string) => Node | undefined): Promise<ApprovalDecision> {
  if (csr.spec?.signerName !== KUBELET_SERVING_SIGNER) return { approve: false, why: `signer ${csr.spec?.signerName} is not ${KUBELET_SERVING_SIGNER}` };
  let req;
  try {
    req = parseRequest(csr.spec.request ?? '');
  } catch (e) {
    return { approve: false, why: (e as Error).message };
  }
  const problems = kubeletServingProblems(req, csr.spec.usages ?? []);
  if (problems.length) return { approve: false, why: problems.join('; ') };
  if (!(await req.verify())) return { approve: false, why: 'the request is not signed by its key' };
  const nodeName = req.commonName.slice('system:node:'.length);
  const node = nodeOf(nodeName);
  if (!node) return { approve: false, why: `node ${nodeName} does not exist (yet)` };
  const addrs = node.status?.addresses ?? [];
  const dnsOk = new Set([nodeName, ...addrs.filter((a) => ['Hostname', 'InternalDNS', 'ExternalDNS'].includes(a.type)).map((a) => a.address)]);
  const ipOk = new Set(addrs.filter((a) => a.type === 'InternalIP' || a.type === 'ExternalIP').map((a) => a.address));
  const foreign = [...req.dnsNames.filter((d) => !dnsOk.has(d)), ...req.ipAddresses.filter((ip) => !ipOk.has(ip))];
  if (foreign.length) return { approve: false, why: `names ${foreign.join(', ')} are not node ${nodeName}'s name or addresses` };
  return { approve: true, message: `Auto approving kubelet serving certificate: the subject is node ${nodeName} and the names are its own.` };
}

export type ClientDecision =
  | { approve: false; why: string }
  /** claim: approve only once the machine holds (or takes) the node name (node-password.ts). */
  | { approve: true; message: string; claim?: { nodeName: string; passwordHash: string } };

/**
 * A kube-apiserver-client-kubelet request is approved, as upstream's approver does for
 * nodeclient and selfnodeclient requests, when it is a well-formed kubelet client request
 * signed by its key and either the node itself renews (requestor system:node:NAME in
 * system:nodes) or a bootstrap caller (or an admin, whom upstream's SubjectAccessReview would
 * allow) asks: then also only for the machine holding the node name, proved by the node password.
 */
export async function clientApproval(csr: Csr & { metadata?: { annotations?: Record<string, string> } }): Promise<ClientDecision> {
  if (csr.spec?.signerName !== KUBE_APISERVER_CLIENT_KUBELET_SIGNER)
    return { approve: false, why: `signer ${csr.spec?.signerName} is not ${KUBE_APISERVER_CLIENT_KUBELET_SIGNER}` };
  let req;
  try {
    req = parseRequest(csr.spec.request ?? '');
  } catch (e) {
    return { approve: false, why: (e as Error).message };
  }
  const problems = kubeletClientProblems(req, csr.spec.usages ?? []);
  if (problems.length) return { approve: false, why: problems.join('; ') };
  if (!(await req.verify())) return { approve: false, why: 'the request is not signed by its key' };
  const nodeName = req.commonName.slice('system:node:'.length);
  const groups = csr.spec.groups ?? [];
  if (csr.spec.username === req.commonName && groups.includes('system:nodes'))
    return { approve: true, message: 'Auto approving self kubelet client certificate after SubjectAccessReview.' };
  if (!groups.includes('system:bootstrappers') && !groups.includes('system:masters'))
    return { approve: false, why: `requestor ${csr.spec.username} may not ask for node client certificates` };
  const passwordHash = csr.metadata?.annotations?.[NODE_PASSWORD_ANNOTATION];
  if (!passwordHash)
    return { approve: false, why: `no node password (annotation ${NODE_PASSWORD_ANNOTATION}): the machine that may be node ${nodeName} cannot be told` };
  return { approve: true, message: 'Auto approving kubelet client certificate after SubjectAccessReview.', claim: { nodeName, passwordHash } };
}

export type SignResult = { certificate: string } | { failed: string } | undefined;

/** Signers whose requests the signer issues, with the validation each applies (upstream's). */
const SIGNERS: Record<string, { usage: 'server' | 'client'; problems: typeof kubeletServingProblems }> = {
  [KUBELET_SERVING_SIGNER]: { usage: 'server', problems: kubeletServingProblems },
  [KUBE_APISERVER_CLIENT_KUBELET_SIGNER]: { usage: 'client', problems: kubeletClientProblems },
};

/**
 * The certificate for an approved request of a signer Berth runs (base64 PEM, as
 * status.certificate holds it), a failure to record, or undefined when it is not this signer's
 * to act on. The duration is the requested one capped at signingDurationMs (upstream's
 * --cluster-signing-duration, default one year).
 */
export async function signRequest(csr: Csr, ca: CaFiles, signingDurationMs = ONE_YEAR_MS, now = Date.now()): Promise<SignResult> {
  const signer = SIGNERS[csr.spec?.signerName ?? ''];
  if (!signer || !hasCondition(csr.status, 'Approved') || hasCondition(csr.status, 'Denied') || hasCondition(csr.status, 'Failed') || csr.status?.certificate)
    return undefined;
  let req;
  try {
    req = parseRequest(csr.spec!.request ?? '');
  } catch (e) {
    return { failed: (e as Error).message };
  }
  const problems = signer.problems(req, csr.spec!.usages ?? []);
  if (problems.length) return { failed: problems.join('; ') };
  if (!(await req.verify())) return { failed: 'the request is not signed by its key' };
  const requested = csr.spec!.expirationSeconds ? csr.spec!.expirationSeconds * 1000 : signingDurationMs;
  const subject = [`CN=${req.commonName}`, ...req.organizations.map((o) => `O=${o}`)].join(', ');
  const names = [...req.dnsNames.map((v) => ({ type: 'dns' as const, value: v })), ...req.ipAddresses.map((v) => ({ type: 'ip' as const, value: v }))];
  const pem = await signPublicKey(ca, await req.publicKey.export(), {
    subject,
    names,
    usage: signer.usage,
    notAfter: new Date(now + Math.min(requested, signingDurationMs)),
  });
  return { certificate: Buffer.from(pem).toString('base64') };
}
