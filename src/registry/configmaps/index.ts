// The configmaps kind: its registry entry and its code, declared here and listed in src/registry/index.ts.
import type { KindDef } from '../kind.js';
import { configMapPrinter } from './printer.js';
import { configMapValidator } from './validation.js';

export const configmaps: KindDef = {
  kind: 'ConfigMap',
  plural: 'configmaps',
  namespaced: true,
  shortNames: ['cm'],
  printer: configMapPrinter,
  validator: configMapValidator,
};
