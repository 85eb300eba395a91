// The controllerrevisions kind (apps): its registry entry and its code, declared here and listed in src/registry/index.ts.
import type { KindDef } from '../kind.js';
import { controllerRevisionPrinter } from './printer.js';
import { controllerRevisionValidator } from './validation.js';

export const controllerrevisions: KindDef = {
  group: 'apps',
  kind: 'ControllerRevision',
  plural: 'controllerrevisions',
  namespaced: true,
  printer: controllerRevisionPrinter,
  validator: controllerRevisionValidator,
};
