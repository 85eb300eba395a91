// Namespaces get their own name as a label, as upstream's namespace defaulting does.
import type { Defaulter } from '../../api/resource.js';

export const defaultNamespace: Defaulter = (o) => {
  // The namespace's own name as a label lets selectors pick namespaces by name.
  const meta = o.metadata;
  if (meta.name) meta.labels = { ...(meta.labels ?? {}), 'kubernetes.io/metadata.name': meta.name };
};
