// The events kinds: core v1 Event and events.k8s.io/v1 Event, two registry entries over one
// kind of object (upstream stores both as core events), declared here and listed in
// src/registry/index.ts. They differ in field names: involvedObject/message/source in core,
// regarding/note/reportingController in events.k8s.io.
import { path } from '../../api/kind.js';
import type { KindDef } from '../kind.js';
import { coreEventPrinter, eventPrinter } from './printer.js';
import { coreEventValidator, eventValidator } from './validation.js';

export const events: KindDef = {
  kind: 'Event',
  plural: 'events',
  namespaced: true,
  shortNames: ['ev'],
  allowCreateOnUpdate: true,
  fieldLabels: {
    'involvedObject.kind': path('involvedObject', 'kind'),
    'involvedObject.namespace': path('involvedObject', 'namespace'),
    'involvedObject.name': path('involvedObject', 'name'),
    'involvedObject.uid': path('involvedObject', 'uid'),
    'involvedObject.apiVersion': path('involvedObject', 'apiVersion'),
    'involvedObject.resourceVersion': path('involvedObject', 'resourceVersion'),
    'involvedObject.fieldPath': path('involvedObject', 'fieldPath'),
    reason: path('reason'),
    reportingComponent: path('reportingComponent'),
    source: path('source', 'component'),
    type: path('type'),
  },
  printer: coreEventPrinter,
  validator: coreEventValidator,
};

export const eventsK8sIo: KindDef = {
  group: 'events.k8s.io',
  kind: 'Event',
  plural: 'events',
  namespaced: true,
  shortNames: ['ev'],
  allowCreateOnUpdate: true,
  fieldLabels: {
    'regarding.kind': path('regarding', 'kind'),
    'regarding.namespace': path('regarding', 'namespace'),
    'regarding.name': path('regarding', 'name'),
    'regarding.uid': path('regarding', 'uid'),
    reason: path('reason'),
    reportingController: path('reportingController'),
    type: path('type'),
  },
  printer: eventPrinter,
  validator: eventValidator,
};
