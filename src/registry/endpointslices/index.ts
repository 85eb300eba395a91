// The endpointslices kind (discovery.k8s.io/v1 EndpointSlice, a Service's backends in slices):
// its registry entry and its code, declared here and listed in src/api/registry.ts.
import type { KindDef } from '../../api/kind.js';
import { endpointSlicePrinter } from './printer.js';
import { endpointSliceValidator } from './validation.js';
import { defaultEndpointSlice } from './defaults.js';

export const endpointslices: KindDef = {
  group: 'discovery.k8s.io',
  kind: 'EndpointSlice',
  plural: 'endpointslices',
  namespaced: true,
  printer: endpointSlicePrinter,
  defaulter: defaultEndpointSlice,
  validator: endpointSliceValidator,
};
