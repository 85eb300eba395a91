// Names both ends of the API server <-> node agent connection agree on, kept apart from the
// X.509 code so that the agent can import them without loading it. The node end's TLS checks
// that use them are the kubelet core's (src/kubelet/endpoint-tls.ts).
import { createHash } from 'node:crypto';

/** The subject of the API server's client certificate for agents, as kubeadm's apiserver-kubelet-client. */
export const KUBELET_CLIENT_CN = 'kube-apiserver-kubelet-client';
export const KUBELET_CLIENT_O = 'kubeadm:cluster-admins';

/** The signer of agents' serving certificates. */
export const KUBELET_SERVING_SIGNER = 'kubernetes.io/kubelet-serving';
/** The signer of agents' client certificates (kubelet TLS bootstrap). */
export const KUBE_APISERVER_CLIENT_KUBELET_SIGNER = 'kubernetes.io/kube-apiserver-client-kubelet';

/**
 * Where a joining agent's node password rides on its client CertificateSigningRequest. The API
 * server replaces the value with its hash (hashNodePassword) as it stores the request, so that
 * what anyone can read is never what proves the machine.
 */
export const NODE_PASSWORD_ANNOTATION = 'berth.dev/node-password';

export function hashNodePassword(password: string): string {
  return `sha256:${createHash('sha256').update(password).digest('hex')}`;
}
