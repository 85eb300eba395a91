// The bytes of upstream's aescbc and aesgcm providers (k8s.io/apiserver storage/value/encrypt/aes),
// without the `k8s:enc:...:` prefix that names the provider and key:
//   aescbc: 16-byte random IV, then AES-CBC of the value with PKCS#7 padding (no authentication);
//   aesgcm: 12-byte random nonce, then AES-GCM ciphertext with its 16-byte tag, the storage key
//           as additional authenticated data (a value copied under another key does not open).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const BLOCK = 16;
const NONCE = 12;
const TAG = 16;

export type AesMode = 'aescbc' | 'aesgcm';

function algorithm(mode: AesMode, key: Buffer): string {
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) throw new Error(`AES keys are 16, 24 or 32 bytes, got ${key.length}`);
  return `aes-${key.length * 8}-${mode === 'aescbc' ? 'cbc' : 'gcm'}`;
}

export function aesSeal(mode: AesMode, key: Buffer, plain: Buffer, authenticatedData: Buffer): Buffer {
  if (mode === 'aescbc') {
    const iv = randomBytes(BLOCK);
    const c = createCipheriv(algorithm(mode, key), key, iv); // PKCS#7 padding is Node's default
    return Buffer.concat([iv, c.update(plain), c.final()]);
  }
  const nonce = randomBytes(NONCE);
  const c = createCipheriv(algorithm(mode, key), key, nonce) as import('node:crypto').CipherGCM;
  c.setAAD(authenticatedData);
  const body = Buffer.concat([c.update(plain), c.final()]);
  return Buffer.concat([nonce, body, c.getAuthTag()]);
}

/** Throws when the value was not sealed with this key (or, for aesgcm, not under this storage key). */
export function aesOpen(mode: AesMode, key: Buffer, sealed: Buffer, authenticatedData: Buffer): Buffer {
  if (mode === 'aescbc') {
    if (sealed.length < BLOCK) throw new Error('the stored data was shorter than the required size');
    if ((sealed.length - BLOCK) % BLOCK !== 0) throw new Error('the stored data is not a multiple of the block size');
    const d = createDecipheriv(algorithm(mode, key), key, sealed.subarray(0, BLOCK));
    try {
      return Buffer.concat([d.update(sealed.subarray(BLOCK)), d.final()]);
    } catch {
      // A wrong key shows as bad padding: CBC carries no authentication to say more.
      throw new Error('invalid PKCS7 padding (wrong key?)');
    }
  }
  if (sealed.length < NONCE + TAG) throw new Error('the stored data was shorter than the required size');
  const d = createDecipheriv(algorithm(mode, key), key, sealed.subarray(0, NONCE)) as import('node:crypto').DecipherGCM;
  d.setAAD(authenticatedData);
  d.setAuthTag(sealed.subarray(sealed.length - TAG));
  try {
    return Buffer.concat([d.update(sealed.subarray(NONCE, sealed.length - TAG)), d.final()]);
  } catch {
    throw new Error('message authentication failed (wrong key, or a value moved from another key)');
  }
}
