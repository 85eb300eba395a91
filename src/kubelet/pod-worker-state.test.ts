import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  InvalidPodWorkerTransition,
  SYNCING,
  describePodWorkerState,
  podWorkerTransition,
  type PodWorkerEvent,
  type PodWorkerState,
} from './pod-worker-state.js';

const terminating = (reason: 'completed' | 'deleted' | 'gone'): PodWorkerState => ({ phase: 'terminating', reason });
const terminated = (reason: 'completed' | 'deleted' | 'gone'): PodWorkerState => ({ phase: 'terminated', reason });
const FINISHED: PodWorkerState = { phase: 'finished' };
const STATES: PodWorkerState[] = [
  SYNCING,
  terminating('completed'),
  terminating('deleted'),
  terminating('gone'),
  terminated('completed'),
  terminated('deleted'),
  terminated('gone'),
  FINISHED,
];
const EVENTS: PodWorkerEvent[] = ['deletionRequested', 'podRemoved', 'phaseTerminal', 'allExited', 'stopped', 'cleanedUp'];

/** The whole table: each state's row, one column per event ('throw': the event cannot happen there). */
const TABLE: Array<[PodWorkerState, Record<PodWorkerEvent, PodWorkerState | 'throw'>]> = [
  [
    SYNCING,
    {
      deletionRequested: terminating('deleted'),
      podRemoved: terminating('gone'),
      phaseTerminal: terminated('completed'),
      allExited: terminating('completed'),
      stopped: 'throw',
      cleanedUp: 'throw',
    },
  ],
  [
    terminating('completed'),
    {
      deletionRequested: terminating('deleted'),
      podRemoved: terminating('gone'),
      phaseTerminal: terminating('completed'),
      allExited: terminating('completed'),
      stopped: terminated('completed'),
      cleanedUp: 'throw',
    },
  ],
  [
    terminating('deleted'),
    {
      deletionRequested: terminating('deleted'),
      podRemoved: terminating('gone'),
      phaseTerminal: terminating('deleted'),
      allExited: terminating('deleted'),
      stopped: terminated('deleted'),
      cleanedUp: 'throw',
    },
  ],
  [
    terminating('gone'),
    {
      deletionRequested: terminating('gone'),
      podRemoved: terminating('gone'),
      phaseTerminal: terminating('gone'),
      allExited: terminating('gone'),
      stopped: terminated('gone'),
      cleanedUp: 'throw',
    },
  ],
  [
    terminated('completed'),
    {
      deletionRequested: terminating('deleted'),
      podRemoved: terminating('gone'),
      phaseTerminal: terminated('completed'),
      allExited: terminated('completed'),
      stopped: 'throw',
      cleanedUp: 'throw',
    },
  ],
  [
    terminated('deleted'),
    {
      deletionRequested: terminated('deleted'),
      podRemoved: terminated('gone'),
      phaseTerminal: terminated('deleted'),
      allExited: terminated('deleted'),
      stopped: 'throw',
      cleanedUp: FINISHED,
    },
  ],
  [
    terminated('gone'),
    {
      deletionRequested: terminated('gone'),
      podRemoved: terminated('gone'),
      phaseTerminal: terminated('gone'),
      allExited: terminated('gone'),
      stopped: 'throw',
      cleanedUp: FINISHED,
    },
  ],
  [FINISHED, { deletionRequested: FINISHED, podRemoved: FINISHED, phaseTerminal: FINISHED, allExited: FINISHED, stopped: FINISHED, cleanedUp: FINISHED }],
];

test('pod worker transitions: every state and event as the table says', () => {
  assert.equal(TABLE.length, STATES.length, 'a row per state');
  for (const [state, row] of TABLE) {
    for (const event of EVENTS) {
      const want = row[event];
      const label = `${describePodWorkerState(state)} + ${event}`;
      if (want === 'throw') assert.throws(() => podWorkerTransition(state, event), InvalidPodWorkerTransition, label);
      else assert.deepEqual(podWorkerTransition(state, event), want, label);
    }
  }
});

test('pod worker transitions: a completed pod waits terminated until deleted, then is stopped again and removed', () => {
  let s = SYNCING;
  for (const e of ['allExited', 'stopped', 'deletionRequested', 'stopped', 'cleanedUp'] as const) s = podWorkerTransition(s, e);
  assert.deepEqual(s, FINISHED);
});

test('pod worker transitions: the object disappearing mid-termination keeps the stop under way but drops the final writes', () => {
  let s = podWorkerTransition(SYNCING, 'deletionRequested');
  s = podWorkerTransition(s, 'podRemoved');
  assert.deepEqual(s, terminating('gone'));
  assert.deepEqual(podWorkerTransition(s, 'stopped'), terminated('gone'));
});

test('pod worker transitions: an invalid report names the state and the event', () => {
  assert.throws(() => podWorkerTransition(terminated('completed'), 'cleanedUp'), /cleanedUp cannot happen while terminated \(completed\)/);
});
