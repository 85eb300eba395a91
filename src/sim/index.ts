// Simulated nodes (kwok-like) for scale tests: Nodes that register, keep their Leases and
// conditions fresh, and run the pods bound to them through a kubelet's lifecycle without
// running anything. `berth sim` (src/cli/sim.ts) is this, from the command line.
export { startSimulator, DEFAULT_SIMULATOR_OPTIONS, type Simulator, type SimulatorOptions } from './simulator.js';
export { generatedZones, regionOfZone, NodePlanError, type SimNode } from './node-plan.js';
export { SIMULATED_LABEL } from './node-object.js';
export { NODE_LEASE_NAMESPACE, restartBackoffMs } from '../kubelet/index.js';
export {
  EXIT_AFTER_ANNOTATION,
  EXIT_CODE_ANNOTATION,
  READINESS_FAILS_ANNOTATION,
  DEADLINE_EXCEEDED_REASON,
  DEADLINE_EXCEEDED_MESSAGE,
  nextPodStatus,
  stoppedPodStatus,
  TimeMemo,
  type LifecycleOptions,
  type PodEnv,
  type PodStep,
} from './pod-lifecycle.js';
export { parseGoDuration, formatGoDuration } from './duration.js';
export { CidrError, NodeCidrAllocator, parseCidr, parseIp, formatCidr, formatIp, cidrContains } from '../api/cidr.js';
