// The node agent (Berth's kubelet): Node registration and Lease, pod workers driving pods through
// a container runtime, pod status, probes, and the HTTPS endpoint for logs and exec.
export { Agent, type AgentOptions, type AgentCniOptions, type AgentDnsServerOptions } from './agent.js';
export { AGENT_VERSION, defaultNodeIP, machineFacts, nodeStatus, nodeConditions } from './node.js';
export { NODE_LEASE_NAMESPACE, ServingCertManager } from '../kubelet/index.js';
export { computePodStatus, type PodView, type ContainerView } from '../kubelet/index.js';
export { podPhase } from '../kubelet/index.js';
export { AgentServer, EndpointError, pipeUpgrade, type AgentServerOptions, type ContainerLookup, type ServingCert } from './server.js';
