// A pod's containers in the order kubelet starts them and kubectl lists them: init containers
// (sidecars among them) first, then the app containers. Ephemeral containers are not included.
import type { Container } from 'kubernetes-types/core/v1';

export function initThenAppContainers<C = Container>(spec: { initContainers?: C[]; containers?: C[] } | undefined): C[] {
  return [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])];
}
