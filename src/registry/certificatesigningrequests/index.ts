// The certificatesigningrequests kind: its registry entry and its code, declared here and listed in src/registry/index.ts.
import { path, STATUS, APPROVAL } from '../../api/kind.js';
import type { KindDef } from '../kind.js';
import { csrStrategy } from './strategy.js';
import { csrPrinter } from './printer.js';
import { certificatesigningrequests as csrValidator } from './validation.js';

export const certificatesigningrequests: KindDef = {
  group: 'certificates.k8s.io',
  kind: 'CertificateSigningRequest',
  plural: 'certificatesigningrequests',
  namespaced: false,
  shortNames: ['csr'],
  subresources: [STATUS, APPROVAL],
  hasStatus: true,
  fieldLabels: { 'spec.signerName': path('spec', 'signerName') },
  printer: csrPrinter,
  validator: csrValidator,
  strategy: csrStrategy,
};
