// The strategy of each kind, keyed like src/api/registry.ts. A kind whose writes need no code of
// its own has no line here; a kind with code has its folder (strategy, tests) and one line.
import type { ResourceType } from '../api/registry.js';
import type { Strategy } from './strategy.js';
import { namespaceStrategy } from './namespaces/strategy.js';
import { podStrategy } from './pods/strategy.js';
import { csrStrategy } from './certificatesigningrequests/strategy.js';

export type { Strategy, Subresource } from './strategy.js';

const strategies: Record<string, Strategy> = {
  namespaces: namespaceStrategy,
  pods: podStrategy,
  // Nodes report their own status when they register.
  nodes: { keepsStatusOnCreate: true },
  'certificatesigningrequests.certificates.k8s.io': csrStrategy,
};

const GENERIC: Strategy = {};

export function strategyFor(r: ResourceType): Strategy {
  return strategies[r.key] ?? GENERIC;
}
