// The admission plugins the API server runs, in upstream's order (pkg/kubeapiserver/options/
// plugins.go AllOrderedPlugins, the default-enabled ones). One line per plugin; the comment
// lines hold the places of upstream plugins Berth does not have (yet): a new plugin goes on the
// line after its name. See chain.ts for how to write one.
import { AdmissionChain } from './chain.js';
import type { AdmissionPlugin } from './types.js';
import { serviceAccount } from './plugins/service-account.js';
import { namespaceLifecycle } from './plugins/namespace-lifecycle.js';
import { priority } from './plugins/priority.js';
import { defaultTolerationSeconds } from './plugins/default-toleration-seconds.js';
import { limitRanger } from './plugins/limit-ranger.js';
import { nodeRestriction } from './plugins/node-restriction.js';
import { resourceQuota } from './plugins/resource-quota.js';
import { podSecurity } from './plugins/pod-security.js';

export const admissionPlugins: readonly AdmissionPlugin[] = [
  // NamespaceLifecycle
  namespaceLifecycle,
  // LimitRanger
  limitRanger,

  // ServiceAccount
  serviceAccount,

  // NodeRestriction
  nodeRestriction,

  // TaintNodesByCondition

  // PodSecurity
  podSecurity,

  // Priority
  priority,
  // DefaultTolerationSeconds
  defaultTolerationSeconds,

  // DefaultStorageClass

  // StorageObjectInUseProtection

  // RuntimeClass

  // CertificateApproval, CertificateSigning, ClusterTrustBundleAttest, CertificateSubjectRestriction

  // DefaultIngressClass

  // --- webhooks, policies and ResourceQuota go last, as upstream's ---
  // MutatingAdmissionWebhook

  // ValidatingAdmissionPolicy

  // ValidatingAdmissionWebhook

  // ResourceQuota
  resourceQuota,
];

/** The chain of the default plugins. */
export const defaultAdmissionChain = () => new AdmissionChain(admissionPlugins);
