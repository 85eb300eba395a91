// Secret defaulting: stringData folded into data, and the Opaque type.
import type { Defaulter } from '../../api/resource.js';

type Any = Record<string, any>;

/**
 * A Secret's stringData is write-only, as upstream's conversion of v1 Secrets makes it: each entry
 * is base64-encoded into data (over a key data already has) and stringData itself is not kept.
 */
function mergeStringData(secret: Any): void {
  const stringData = secret.stringData;
  if (stringData === undefined) return;
  delete secret.stringData;
  if (stringData === null || typeof stringData !== 'object') return;
  const entries = Object.entries(stringData as Record<string, unknown>).filter(([, v]) => typeof v === 'string');
  if (!entries.length) return;
  secret.data = { ...(secret.data ?? {}) };
  for (const [k, v] of entries) secret.data[k] = Buffer.from(v as string, 'utf8').toString('base64');
}

export const defaultSecret: Defaulter = (o) => {
  mergeStringData(o as Any);
  (o as Any).type ??= 'Opaque';
};
