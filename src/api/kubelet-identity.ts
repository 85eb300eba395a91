// Names both ends of the API server <-> node agent connection agree on, kept apart from the
// X.509 code so that the agent can import them without loading it.
import type { TLSSocket } from 'node:tls';

/** The subject of the API server's client certificate for agents, as kubeadm's apiserver-kubelet-client. */
export const KUBELET_CLIENT_CN = 'kube-apiserver-kubelet-client';
export const KUBELET_CLIENT_O = 'kubeadm:cluster-admins';

/** The signer of agents' serving certificates. */
export const KUBELET_SERVING_SIGNER = 'kubernetes.io/kubelet-serving';
/** The signer of agents' client certificates (kubelet TLS bootstrap). */
export const KUBE_APISERVER_CLIENT_KUBELET_SIGNER = 'kubernetes.io/kube-apiserver-client-kubelet';

/** A node endpoint's certificate and key (PEM). */
export interface ServingCert {
  cert: string;
  key: string;
}

/**
 * TLS options of a node's kubelet endpoint (the agent's, the simulator's): its serving
 * certificate, and the cluster CA for client certificates, asked for but checked per request so
 * that the answer can say what was wrong instead of a failed handshake.
 */
export function kubeletEndpointTls(serving: ServingCert | undefined, clientCa: string) {
  return { ...(serving ?? {}), ca: clientCa, requestCert: true, rejectUnauthorized: false };
}

/** Why a request on a kubelet endpoint is refused (401 without a CA-signed client certificate, 403 for anyone but the API server), or undefined. */
export function kubeletClientRefusal(socket: TLSSocket): { code: 401 | 403; reason: 'Unauthorized' | 'Forbidden'; message: string } | undefined {
  if (!socket.authorized) return { code: 401, reason: 'Unauthorized', message: 'Unauthorized: a client certificate signed by the cluster CA is required' };
  const cn = socket.getPeerCertificate().subject?.CN;
  if (cn !== KUBELET_CLIENT_CN) return { code: 403, reason: 'Forbidden', message: `Forbidden: ${String(cn)} may not use the node's endpoint` };
  return undefined;
}
