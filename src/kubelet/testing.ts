// Builders shared by unit tests of the kubelet core and the agent.
import type { ContainerStatus } from '../runtime/index.js';

export const T0 = Date.parse('2026-01-01T00:00:00Z');

/** A container as the runtime reports it: started a second after T0, exited a second later. */
export function criContainer(name: string, state: ContainerStatus['state'], o: Partial<ContainerStatus> = {}): ContainerStatus {
  return {
    id: `${name}-${o.metadata?.attempt ?? 0}`,
    metadata: { name, attempt: 0 },
    state,
    createdAtMs: T0,
    startedAtMs: T0 + 1000,
    finishedAtMs: state === 'CONTAINER_EXITED' ? T0 + 2000 : 0,
    exitCode: 0,
    image: 'busybox:1',
    imageRef: 'sha256:aaa',
    reason: '',
    message: '',
    labels: {},
    annotations: {},
    logPath: '',
    ...o,
  };
}
