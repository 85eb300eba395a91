// The secrets kind: its registry entry and its code, declared here and listed in src/registry/index.ts.
import { path } from '../../api/kind.js';
import type { KindDef } from '../kind.js';
import { secretPrinter } from './printer.js';
import { secretValidator } from './validation.js';
import { defaultSecret } from './defaults.js';

export const secrets: KindDef = {
  kind: 'Secret',
  plural: 'secrets',
  namespaced: true,
  fieldLabels: { type: path('type') },
  printer: secretPrinter,
  defaulter: defaultSecret,
  validator: secretValidator,
};
