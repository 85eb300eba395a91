// The key pair that signs ServiceAccount tokens (upstream's --service-account-signing-key-file
// and --service-account-key-file). Every API server of a cluster must verify the tokens the
// others issued, so the pair lives in the store under a key of its own, created once (the first
// server to start wins the create; the others read what it wrote); a copy is kept under the data
// dir (DATA_DIR/pki/service-account.key, mode 0600) as the key files of upstream's servers are.
import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { KeyExistsError, type Store } from '../../storage/store.js';
import { keyId, type VerificationKey } from './jws.js';

/** Outside every resource's prefix: no watch cache, list or API request ever sees it. */
export const SIGNING_KEY_STORE_KEY = '/registry/berth/serviceaccount-signing-key';

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  kid: string;
}

function fromPem(pem: string): SigningKey {
  const privateKey = createPrivateKey(pem);
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, kid: keyId(publicKey) };
}

/**
 * RSA 2048 with RS256, as the key files kubeadm and k3s create. Generated on libuv's pool: it
 * takes 0.1 to 0.3 s, which a first start spends on other work meanwhile.
 */
async function generatePem(): Promise<string> {
  const { privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
}

/**
 * The cluster's signing key: the store's if it has one, else the data dir's copy (a data dir
 * that outlived its store) or a new key, created in the store unless another server was faster.
 */
export async function loadSigningKey(store: Store, copyPath?: string): Promise<SigningKey> {
  let pem = (await store.get(SIGNING_KEY_STORE_KEY))?.value;
  if (pem === undefined) {
    const candidate = copyPath && existsSync(copyPath) ? readFileSync(copyPath, 'utf8') : await generatePem();
    try {
      pem = (await store.create(SIGNING_KEY_STORE_KEY, candidate)).value;
    } catch (e) {
      if (!(e instanceof KeyExistsError)) throw e;
      pem = (await store.get(SIGNING_KEY_STORE_KEY))!.value;
    }
  }
  if (copyPath && (!existsSync(copyPath) || readFileSync(copyPath, 'utf8') !== pem)) {
    mkdirSync(dirname(copyPath), { recursive: true, mode: 0o700 });
    writeFileSync(copyPath, pem, { mode: 0o600 });
  }
  return fromPem(pem);
}

export const verificationKeys = (k: SigningKey): VerificationKey[] => [{ kid: k.kid, key: k.publicKey }];

/** The public keys as a JWK Set (RFC 7517), what /openid/v1/jwks serves. */
export function jwks(keys: VerificationKey[]): { keys: Array<Record<string, string>> } {
  return {
    keys: keys.map(({ kid, key }) => {
      const jwk = key.export({ format: 'jwk' }) as { kty: string; n: string; e: string };
      return { use: 'sig', kty: jwk.kty, kid, alg: 'RS256', n: jwk.n, e: jwk.e };
    }),
  };
}
