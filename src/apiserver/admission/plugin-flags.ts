// kube-apiserver's --enable-admission-plugins and --disable-admission-plugins for Berth's chain.
// Berth runs all of its plugins by default; a name is checked against upstream's registered
// plugins, so a typo is an error, and a plugin upstream has but Berth does not is either nothing
// to disable or an error to enable.
import { AdmissionChain } from './chain.js';
import { admissionPlugins } from './plugins.js';

/** Every plugin kube-apiserver registers (pkg/kubeapiserver/options/plugins.go AllOrderedPlugins). */
const UPSTREAM_PLUGINS = [
  'AlwaysAdmit',
  'NamespaceAutoProvision',
  'NamespaceLifecycle',
  'NamespaceExists',
  'LimitPodHardAntiAffinityTopology',
  'LimitRanger',
  'ServiceAccount',
  'NodeRestriction',
  'TaintNodesByCondition',
  'AlwaysPullImages',
  'ImagePolicyWebhook',
  'PodSecurity',
  'PodNodeSelector',
  'Priority',
  'DefaultTolerationSeconds',
  'PodTolerationRestriction',
  'EventRateLimit',
  'ExtendedResourceToleration',
  'DefaultStorageClass',
  'StorageObjectInUseProtection',
  'OwnerReferencesPermissionEnforcement',
  'PersistentVolumeClaimResize',
  'RuntimeClass',
  'CertificateApproval',
  'CertificateSigning',
  'ClusterTrustBundleAttest',
  'CertificateSubjectRestriction',
  'DefaultIngressClass',
  'DenyServiceExternalIPs',
  'PodTopologyLabels',
  'MutatingAdmissionPolicy',
  'MutatingAdmissionWebhook',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionWebhook',
  'ResourceQuota',
  'AlwaysDeny',
];

/** Upstream plugins whose work Berth does in a kind's strategy, so they cannot be switched off. */
const IN_STRATEGIES: Record<string, string> = {
  DefaultStorageClass: 'persistentvolumeclaims',
  StorageObjectInUseProtection: 'persistentvolumes and persistentvolumeclaims',
};

const names = (v: string | undefined): string[] =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * The chain the flags ask for, and what to tell the operator (plugins upstream has that Berth
 * does not run anyway). Every mistake is an Error with upstream's wording.
 */
export function admissionChainFromFlags(enable: string | undefined, disable: string | undefined): { chain: AdmissionChain; notes: string[] } {
  const enabled = names(enable);
  const disabled = names(disable);
  const errors: string[] = [];
  const berth = new Set(admissionPlugins.map((p) => p.name));
  for (const [flag, list] of [
    ['enable-admission-plugins', enabled],
    ['disable-admission-plugins', disabled],
  ] as const) {
    for (const n of list) if (!UPSTREAM_PLUGINS.includes(n) && !berth.has(n)) errors.push(`${flag} plugin "${n}" is unknown`);
  }
  for (const n of enabled) {
    if (UPSTREAM_PLUGINS.includes(n) && !berth.has(n) && !IN_STRATEGIES[n]) errors.push(`enable-admission-plugins plugin "${n}" is not available in Berth`);
  }
  for (const n of disabled) {
    if (IN_STRATEGIES[n]) errors.push(`disable-admission-plugins plugin "${n}" cannot be disabled in Berth: ${IN_STRATEGIES[n]} always apply it`);
  }
  const both = enabled.filter((n) => disabled.includes(n));
  if (both.length) errors.push(`[${[...new Set(both)].sort().join(' ')}] in enable-admission-plugins and disable-admission-plugins overlapped`);
  if (errors.length) throw new Error(errors.join('; '));
  const notes = disabled.filter((n) => !berth.has(n) && !IN_STRATEGIES[n]).map((n) => `admission plugin ${n} is not part of Berth: nothing to disable`);
  return { chain: new AdmissionChain(admissionPlugins.filter((p) => !disabled.includes(p.name))), notes };
}
