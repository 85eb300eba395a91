// A node name belongs to the machine that first joined with it, as k3s's node password: the
// agent makes a random password once and sends it with its bootstrap request; the API server
// keeps only its hash on the request (the CSR strategy), and the approver compares that with the
// hash in the Secret kube-system/<node>.node-password.berth, which the first join creates. The
// Secret goes when the Node is deleted, and the name is free again.
import { isNotFound, resources, type RestClient } from '../../client/index.js';
import type { KubeObject } from '../../client/index.js';

export const NODE_PASSWORD_NAMESPACE = 'kube-system';

export function nodePasswordSecretName(nodeName: string): string {
  return `${nodeName}.node-password.berth`;
}

export function takenMessage(nodeName: string): string {
  return `node name ${nodeName} is taken by another machine; delete Node ${nodeName} to reuse it`;
}

interface Secret extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

const ref = (nodeName: string) => ({ ...resources.secrets, namespace: NODE_PASSWORD_NAMESPACE, name: nodePasswordSecretName(nodeName) });

/**
 * Whether the machine whose password hash is `hash` may be node `nodeName`: yes when it holds
 * the name already, or when nobody does (then it does from now on).
 */
export async function claimNodeName(client: RestClient, nodeName: string, hash: string): Promise<boolean> {
  try {
    const s = await client.get<Secret>(ref(nodeName));
    return Buffer.from(s.data?.hash ?? '', 'base64').toString('utf8') === hash;
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  await client.create<Secret>(resources.secrets, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: nodePasswordSecretName(nodeName), namespace: NODE_PASSWORD_NAMESPACE, labels: { 'berth.dev/node-password': nodeName } },
    type: 'berth.dev/node-password',
    data: { hash: Buffer.from(hash).toString('base64') },
  });
  return true;
}

/** Frees the name of a deleted Node. */
export async function releaseNodeName(client: RestClient, nodeName: string): Promise<void> {
  try {
    await client.delete(ref(nodeName));
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}
