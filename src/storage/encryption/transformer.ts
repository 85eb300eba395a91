// How one resource's values are written and read, from its providers in configuration order:
// the first provider writes; reading picks the provider and key named by the value's prefix
// (`k8s:enc:aescbc:v1:KEYNAME:`). A value with no such prefix was stored plain (before
// encryption was turned on) and reads as it is.
//
// The Store holds strings: an encrypted value is the prefix followed by the sealed bytes, one
// character per byte (latin1). The etcd backend writes such a value as those very bytes (see
// storedBytes), which is upstream's layout; SQLite keeps the string.
import { aesOpen, aesSeal, type AesMode } from './aes.js';

export const ENCRYPTED_PREFIX = 'k8s:enc:';

export type Provider = { type: 'identity' } | { type: AesMode; keys: Array<{ name: string; secret: Buffer }> };

export class DecryptError extends Error {}

export class ValueTransformer {
  constructor(readonly providers: Provider[]) {
    if (!providers.length) throw new Error('a resource needs at least one provider');
  }

  /** What new writes use: `aescbc:NAME`, or `identity`. */
  get writer(): string {
    const p = this.providers[0]!;
    return p.type === 'identity' ? 'identity' : `${p.type}:${p.keys[0]!.name}`;
  }

  /** Stored otherwise than this transformer writes now: a rewrite would change the bytes' form. */
  isStale(stored: string): boolean {
    return storedKeyLabel(stored) !== this.writer;
  }

  toStorage(storageKey: string, value: string): string {
    const p = this.providers[0]!;
    if (p.type === 'identity') return value;
    const k = p.keys[0]!;
    const sealed = aesSeal(p.type, k.secret, Buffer.from(value, 'utf8'), Buffer.from(storageKey, 'utf8'));
    return `${ENCRYPTED_PREFIX}${p.type}:v1:${k.name}:${sealed.toString('latin1')}`;
  }

  fromStorage(storageKey: string, stored: string): string {
    if (!stored.startsWith(ENCRYPTED_PREFIX)) return stored;
    const label = storedKeyLabel(stored);
    for (const p of this.providers) {
      if (p.type === 'identity') continue;
      for (const k of p.keys) {
        const prefix = `${ENCRYPTED_PREFIX}${p.type}:v1:${k.name}:`;
        if (!stored.startsWith(prefix)) continue;
        try {
          return aesOpen(p.type, k.secret, Buffer.from(stored.slice(prefix.length), 'latin1'), Buffer.from(storageKey, 'utf8')).toString('utf8');
        } catch (e) {
          throw new DecryptError(`cannot decrypt ${storageKey} (stored with ${label}): ${(e as Error).message}`);
        }
      }
    }
    throw new DecryptError(`cannot decrypt ${storageKey}: stored with ${label}, which the encryption configuration does not hold`);
  }
}

/** Which provider and key a stored value was written with: `aescbc:NAME`, or `identity` for plain. */
export function storedKeyLabel(stored: string): string {
  if (!stored.startsWith(ENCRYPTED_PREFIX)) return 'identity';
  const [type, version, name] = stored.slice(ENCRYPTED_PREFIX.length).split(':', 3);
  return version === 'v1' && name !== undefined ? `${type}:${name}` : `${type ?? 'unknown'} (unreadable prefix)`;
}

/** The bytes a backend stores for a value: an encrypted value's characters are its bytes. */
export function storedBytes(value: string): Buffer {
  return Buffer.from(value, value.startsWith(ENCRYPTED_PREFIX) ? 'latin1' : 'utf8');
}

/** The inverse of storedBytes. */
export function valueOfBytes(bytes: Buffer): string {
  return bytes.toString(bytes.subarray(0, ENCRYPTED_PREFIX.length).toString('latin1') === ENCRYPTED_PREFIX ? 'latin1' : 'utf8');
}
