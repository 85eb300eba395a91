// The agent endpoint's serving certificate, signed by the cluster CA, obtained as upstream's
// kubelet does with serverTLSBootstrap: a CertificateSigningRequest of signer
// kubernetes.io/kubelet-serving (CN=system:node:NAME, O=system:nodes, SANs the node's name and
// address), kept in agent.crt/agent.key and renewed by the shared CertManager (cert-manager.ts).
import { isIP } from 'node:net';
import type { RestClient } from '../client/index.js';
import type { ServingCert } from './endpoint-tls.js';
import { KUBELET_SERVING_SIGNER } from '../api/kubelet-identity.js';
import { CertManager, currentCert, nodeCsr, x509, type CsrProfile } from './cert-manager.js';

/** Whether pem is usable for serving now: signed by the CA, covering the names, not due for renewal. */
export async function usableServingCert(pem: string, caPem: string, names: string[], now = Date.now()): Promise<boolean> {
  const cert = await currentCert(pem, caPem, now);
  if (!cert) return false;
  const x = await x509();
  const san = cert.getExtension(x.SubjectAlternativeNameExtension);
  const have = new Set((san?.names.toJSON() ?? []).map((n) => n.value));
  return names.every((n) => have.has(n));
}

/** A new key and the PEM CSR for it: the node's serving identity. */
export async function servingCsr(nodeName: string, names: string[]): Promise<{ csr: string; key: string }> {
  const san = [...new Set(names)].filter(Boolean).map((v) => ({ type: isIP(v) ? ('ip' as const) : ('dns' as const), value: v }));
  return nodeCsr(nodeName, (x) => [new x.SubjectAlternativeNameExtension(san)]);
}

export interface ServingCertManagerOptions {
  client: RestClient;
  nodeName: string;
  /** The SANs: the node's name and the address the API server dials. */
  names: string[];
  /** The cluster CA, which must have signed the certificate. */
  caCert: string;
  /** Where the key and certificate are kept (agent.key, agent.crt); none: in memory only (the simulator asks anew each run). */
  dir?: string;
  /** Called with each certificate to serve (the first, then renewals). */
  onCert: (c: ServingCert) => void;
  log: (m: string) => void;
  /** How often the issued certificate is looked for (default 1 s). */
  pollMs?: number;
  /** How often renewal is considered (default hourly). */
  checkMs?: number;
  /** The clock renewal is judged by (tests move it). */
  now?: () => number;
}

export function servingProfile(nodeName: string, names: string[], caCert: string): CsrProfile {
  return {
    what: 'serving certificate',
    signerName: KUBELET_SERVING_SIGNER,
    usages: ['digital signature', 'server auth'],
    fileBase: 'agent',
    newRequest: () => servingCsr(nodeName, names),
    usable: (pem, now) => usableServingCert(pem, caCert, names, now),
  };
}

export class ServingCertManager extends CertManager {
  constructor(o: ServingCertManagerOptions) {
    super(o, servingProfile(o.nodeName, o.names, o.caCert));
  }
}
