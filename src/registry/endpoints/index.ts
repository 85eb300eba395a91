// The endpoints kind (core/v1 Endpoints, the legacy list of a Service's backends): its registry
// entry and its code, declared here and listed in src/api/registry.ts.
import type { KindDef } from '../../api/kind.js';
import { endpointsPrinter } from './printer.js';
import { endpointsValidator } from './validation.js';
import { defaultEndpoints } from './defaults.js';

export const endpoints: KindDef = {
  kind: 'Endpoints',
  plural: 'endpoints',
  namespaced: true,
  shortNames: ['ep'],
  printer: endpointsPrinter,
  defaulter: defaultEndpoints,
  validator: endpointsValidator,
};
