// A pod's lifecycle on its node, as upstream's pod workers keep it (pkg/kubelet/pod_workers.go):
// syncing (driven to its spec) -> terminating (its containers being stopped) -> terminated
// (nothing runs) -> finished (nothing of it is left; the worker ends). Berth adds why it
// terminates, because that decides what follows: a pod that completed keeps its stopped
// containers (for their logs) until it is deleted; a deleted pod is removed and its object
// deleted; a pod gone from the API is removed without writing to it any more.
// Every change of state goes through podWorkerTransition, so the table below is the whole story.

/** Why a pod stops: it completed (a terminal phase), its deletion was requested, or its object is gone. */
export type TerminationReason = 'completed' | 'deleted' | 'gone';

export type PodWorkerState =
  | { readonly phase: 'syncing' }
  | { readonly phase: 'terminating'; readonly reason: TerminationReason }
  | { readonly phase: 'terminated'; readonly reason: TerminationReason }
  | { readonly phase: 'finished' };

export type PodWorkerEvent =
  /** The pod object has a deletionTimestamp. */
  | 'deletionRequested'
  /** The pod object is gone from the API (deleted with no grace, or its deletion finished). */
  | 'podRemoved'
  /** The API has the pod in a terminal phase (Succeeded or Failed) already. */
  | 'phaseTerminal'
  /** The worker found nothing will run again (the app containers are done, or init failed for good). */
  | 'allExited'
  /** The termination step is done: nothing of the pod runs. */
  | 'stopped'
  /** Everything of the pod is removed from the node (and its object deleted, when it was asked to be). */
  | 'cleanedUp';

export const SYNCING: PodWorkerState = { phase: 'syncing' };

/** A step reported something that cannot happen in the state it ran in: a bug, not a pod's doing. */
export class InvalidPodWorkerTransition extends Error {
  constructor(state: PodWorkerState, event: PodWorkerEvent) {
    super(`pod worker: ${event} cannot happen while ${describePodWorkerState(state)}`);
  }
}

export function describePodWorkerState(s: PodWorkerState): string {
  return s.phase === 'syncing' || s.phase === 'finished' ? s.phase : `${s.phase} (${s.reason})`;
}

/**
 * The next state. Requests that come again, or come late, change nothing (as upstream ignores a
 * repeated termination request); a deletion overrides completion, and the object's disappearance
 * overrides both (nothing is written to it any more). A step reporting what its state does not do
 * ('stopped' outside terminating, 'cleanedUp' before a removal) throws.
 */
export function podWorkerTransition(s: PodWorkerState, e: PodWorkerEvent): PodWorkerState {
  if (s.phase === 'finished') return s;
  switch (e) {
    case 'deletionRequested':
      if (s.phase === 'syncing') return { phase: 'terminating', reason: 'deleted' };
      // A completed pod's deletion: stop (nothing runs; quick) and go on to removal.
      return s.reason === 'completed' ? { phase: 'terminating', reason: 'deleted' } : s;
    case 'podRemoved':
      if (s.phase === 'syncing') return { phase: 'terminating', reason: 'gone' };
      if (s.phase === 'terminated' && s.reason === 'completed') return { phase: 'terminating', reason: 'gone' };
      return { phase: s.phase, reason: 'gone' };
    case 'phaseTerminal':
      // Someone (or this worker, before a restart) found it finished: only make sure nothing runs.
      return s.phase === 'syncing' ? { phase: 'terminated', reason: 'completed' } : s;
    case 'allExited':
      return s.phase === 'syncing' ? { phase: 'terminating', reason: 'completed' } : s;
    case 'stopped':
      if (s.phase !== 'terminating') throw new InvalidPodWorkerTransition(s, e);
      return { phase: 'terminated', reason: s.reason };
    case 'cleanedUp':
      if (s.phase !== 'terminated' || s.reason === 'completed') throw new InvalidPodWorkerTransition(s, e);
      return { phase: 'finished' };
  }
}
