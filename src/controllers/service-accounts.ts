// The ServiceAccounts controllers act as, created when missing as upstream's controller manager
// does (its SAControllerClientBuilder makes the account before it asks for a token). A failure is
// logged and the controllers start anyway: their credentials do not depend on the objects.
import { isAlreadyExists, resources, type RestClient } from '../client/index.js';

export async function ensureServiceAccounts(
  client: RestClient,
  namespace: string,
  names: readonly string[],
  signal?: AbortSignal,
  log?: (m: string) => void,
): Promise<void> {
  for (const name of names) {
    if (signal?.aborted) return;
    try {
      await client.create({ ...resources.serviceaccounts, namespace }, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } });
    } catch (e) {
      if (!isAlreadyExists(e)) log?.(`creating ServiceAccount ${namespace}/${name}: ${(e as Error).message}`);
    }
  }
}
