// DefaultTolerationSeconds (upstream's plugin/pkg/admission/defaulttolerationseconds): a new pod
// tolerates a not-ready or unreachable node for 300 s before the taint manager evicts it, unless
// it says otherwise for that taint. Only at creation: an update may not take them back.
import type { Toleration } from 'kubernetes-types/core/v1';
import type { AdmissionPlugin } from '../types.js';

const DEFAULT_TOLERATION_SECONDS = 300;
const TAINTS = ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'];

export const defaultTolerationSeconds: AdmissionPlugin = {
  name: 'DefaultTolerationSeconds',
  handles: (a) => a.operation === 'CREATE' && a.resource.key === 'pods' && a.subresource === '',
  admit(a) {
    const spec = (a.object as { spec?: { tolerations?: Toleration[] } }).spec;
    if (!spec) return;
    const tolerations = (spec.tolerations ??= []);
    for (const key of TAINTS) {
      const covered = tolerations.some((t) => (t.operator === 'Exists' && !t.key) || (t.key === key && (!t.effect || t.effect === 'NoExecute')));
      if (!covered) tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: DEFAULT_TOLERATION_SECONDS });
    }
  },
};
