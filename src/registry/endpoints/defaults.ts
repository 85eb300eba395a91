// Endpoints defaulting, as upstream's SetDefaults_EndpointPort: a port without a protocol is TCP.
import type { Defaulter } from '../../api/resource.js';

type Any = Record<string, any>;

export const defaultEndpoints: Defaulter = (o) => {
  for (const ss of ((o as Any).subsets ?? []) as Any[]) for (const p of (ss?.ports ?? []) as Any[]) if (p && typeof p === 'object') p.protocol ||= 'TCP';
};
