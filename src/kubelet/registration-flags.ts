// What a node registers itself with beyond the machine's facts, from the agent's flags (k3s's
// --node-label, --node-taint, --node-external-ip; kubelet's --node-labels and
// --register-with-taints): checked at start, as kubelet does, so that a bad value stops the
// agent with one clear line instead of a Node the API or NodeRestriction later refuses.
import { isIP } from 'node:net';
import type { Taint } from 'kubernetes-types/core/v1';
import { isLabelValue, isQualifiedName } from '../api/names.js';
import { kubeletLabelsHelp, mayKubeletSetLabel } from '../api/kubelet-labels.js';

const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

const quoted = (s: string) => JSON.stringify(s);

function checkKey(flag: string, spec: string, key: string): void {
  const errs = isQualifiedName(key);
  if (errs.length) throw new Error(`${flag} ${quoted(spec)}: key ${quoted(key)}: ${errs.join('; ')}`);
}

function checkValue(flag: string, spec: string, value: string): void {
  const errs = isLabelValue(value);
  if (errs.length) throw new Error(`${flag} ${quoted(spec)}: value ${quoted(value)}: ${errs.join('; ')}`);
}

/**
 * --node-label KEY=VALUE, repeatable; a later value of a key wins (as kubelet's map flag). Keys in
 * the kubernetes.io and k8s.io namespaces are refused unless a kubelet may set them.
 */
export function parseNodeLabels(specs: readonly string[] = []): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    if (eq < 0) throw new Error(`--node-label ${quoted(spec)}: must be KEY=VALUE`);
    const key = spec.slice(0, eq);
    const value = spec.slice(eq + 1);
    checkKey('--node-label', spec, key);
    checkValue('--node-label', spec, value);
    if (!mayKubeletSetLabel(key)) {
      throw new Error(
        `--node-label ${quoted(spec)}: a node may not set ${quoted(key)} on itself: in the kubernetes.io and k8s.io namespaces only ${kubeletLabelsHelp()}`,
      );
    }
    labels[key] = value;
  }
  return labels;
}

/** One taint as kubectl taint and kubelet's --register-with-taints write it: KEY[=VALUE]:EFFECT. */
export function parseTaintSpec(spec: string, flag = '--node-taint'): Taint {
  const parts = spec.split(':');
  if (parts.length !== 2) throw new Error(`${flag} ${quoted(spec)}: must be KEY[=VALUE]:EFFECT (effect NoSchedule, PreferNoSchedule or NoExecute)`);
  const [kv, effect] = parts as [string, string];
  if (!TAINT_EFFECTS.includes(effect)) throw new Error(`${flag} ${quoted(spec)}: effect ${quoted(effect)} is not one of ${TAINT_EFFECTS.join(', ')}`);
  const kvParts = kv.split('=');
  if (kvParts.length > 2) throw new Error(`${flag} ${quoted(spec)}: must be KEY[=VALUE]:EFFECT`);
  const [key, value] = kvParts as [string, string | undefined];
  checkKey(flag, spec, key);
  if (value !== undefined) checkValue(flag, spec, value);
  return value ? { key, value, effect } : { key, effect };
}

/** --node-taint, repeatable; one key may carry one taint per effect (upstream refuses duplicates). */
export function parseNodeTaints(specs: readonly string[] = []): Taint[] {
  const taints: Taint[] = [];
  for (const spec of specs) {
    const t = parseTaintSpec(spec);
    if (taints.some((o) => o.key === t.key && o.effect === t.effect)) {
      throw new Error(`--node-taint ${quoted(spec)}: a taint with key ${quoted(t.key)} and effect ${t.effect} is given twice`);
    }
    taints.push(t);
  }
  return taints;
}

/** --node-external-ip: an address others reach the node at (the Node's ExternalIP). */
export function parseExternalIP(ip: string | undefined): string | undefined {
  if (ip === undefined) return undefined;
  const v = ip.trim();
  if (!isIP(v)) throw new Error(`--node-external-ip ${quoted(ip)}: not an IP address`);
  if (v === '0.0.0.0' || v === '::') throw new Error(`--node-external-ip ${v}: the unspecified address is no node's address`);
  return v;
}
