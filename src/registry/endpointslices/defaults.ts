// EndpointSlice defaulting, as upstream's discovery/v1 defaults: ports are TCP unless said.
import type { Defaulter } from '../../api/resource.js';

type Any = Record<string, any>;

export const defaultEndpointSlice: Defaulter = (o) => {
  for (const p of ((o as Any).ports ?? []) as Any[]) if (p && typeof p === 'object') p.protocol ||= 'TCP';
};
