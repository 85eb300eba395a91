// The agent's own identity towards the API server, obtained as upstream's kubelet TLS bootstrap:
// a CertificateSigningRequest of signer kubernetes.io/kube-apiserver-client-kubelet
// (CN=system:node:NAME, O=system:nodes, no SANs, digital signature + client auth), made first
// with the bootstrap credential and later, for renewals, with the certificate itself. Kept in
// kubelet-client.crt/.key (0600) and renewed by the shared CertManager (cert-manager.ts).
import type { RestClient } from '../client/index.js';
import { KUBE_APISERVER_CLIENT_KUBELET_SIGNER, NODE_PASSWORD_ANNOTATION } from '../api/kubelet-identity.js';
import { CertManager, currentCert, nodeCsr, type CertAndKey, type CsrProfile } from './cert-manager.js';

/** Whether pem is this node's client certificate under the CA, not due for renewal. */
export async function usableClientCert(pem: string, caPem: string, nodeName: string, now = Date.now()): Promise<boolean> {
  const cert = await currentCert(pem, caPem, now);
  return !!cert && cert.subjectName.getField('CN')[0] === `system:node:${nodeName}` && cert.subjectName.getField('O').includes('system:nodes');
}

export function clientCsr(nodeName: string): Promise<{ csr: string; key: string }> {
  return nodeCsr(nodeName, () => []);
}

export interface ClientCertManagerOptions {
  /** The bootstrap client first, then one authenticating with the certificate. */
  client: RestClient;
  nodeName: string;
  caCert: string;
  /** DATA_DIR/pki. */
  dir: string;
  /** This machine's node password, sent with the request (node-password.ts). */
  nodePassword?: string;
  onCert: (c: CertAndKey) => void;
  log: (m: string) => void;
  pollMs?: number;
  checkMs?: number;
  now?: () => number;
}

export function clientProfile(o: Pick<ClientCertManagerOptions, 'nodeName' | 'caCert' | 'nodePassword'>): CsrProfile {
  return {
    what: 'client certificate',
    signerName: KUBE_APISERVER_CLIENT_KUBELET_SIGNER,
    usages: ['digital signature', 'client auth'],
    fileBase: 'kubelet-client',
    newRequest: () => clientCsr(o.nodeName),
    usable: (pem, now) => usableClientCert(pem, o.caCert, o.nodeName, now),
    annotations: o.nodePassword ? { [NODE_PASSWORD_ANNOTATION]: o.nodePassword } : undefined,
  };
}

export class ClientCertManager extends CertManager {
  constructor(o: ClientCertManagerOptions) {
    super(o, clientProfile(o));
  }
}
