// Upstream's EncryptionConfiguration (apiserver.config.k8s.io/v1), as kube-apiserver's
// --encryption-provider-config reads it: per list of resources, the providers in order.
// Parsed into store routes: /registry/<resource key>/ -> the transformer of its entry.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parse } from 'yaml';
import { resources as knownResources } from '../../registry/index.js';
import type { AesMode } from './aes.js';
import type { PrefixTransformer } from './encrypting-store.js';
import { ValueTransformer, type Provider } from './transformer.js';

export const API_VERSION = 'apiserver.config.k8s.io/v1';
export const KIND = 'EncryptionConfiguration';

export interface KeyDoc {
  name: string;
  secret: string;
}
export type ProviderDoc = { aescbc?: { keys: KeyDoc[] }; aesgcm?: { keys: KeyDoc[] }; identity?: object; secretbox?: unknown; kms?: unknown };
export interface EncryptionConfigDoc {
  apiVersion: string;
  kind: string;
  resources: Array<{ resources: string[]; providers: ProviderDoc[] }>;
}

export class EncryptionConfigError extends Error {}

export interface EncryptionConfig {
  doc: EncryptionConfigDoc;
  /** Per store key prefix, how its values are stored; first match wins. */
  routes: PrefixTransformer[];
}

const AES_SIZES: Record<AesMode, number[]> = { aescbc: [32], aesgcm: [16, 24, 32] };
const RESOURCE_NAME = /^([a-z0-9-]+|\*)(\.([a-z0-9.-]*|\*))?$/;

function providerOf(p: ProviderDoc, where: string): Provider {
  if (!p || typeof p !== 'object') throw new EncryptionConfigError(`${where}: a provider is an object such as {aescbc: {keys: [...]}}`);
  const types = Object.keys(p);
  if (types.length !== 1)
    throw new EncryptionConfigError(`${where}: a provider names exactly one type (aescbc, aesgcm or identity), got ${types.join(', ') || 'none'}`);
  const type = types[0]!;
  if (type === 'identity') return { type: 'identity' };
  if (type === 'secretbox' || type === 'kms') throw new EncryptionConfigError(`${where}: provider ${type} is not supported by berth (use aescbc or aesgcm)`);
  if (type !== 'aescbc' && type !== 'aesgcm') throw new EncryptionConfigError(`${where}: unknown provider type "${type}"`);
  const keys = (p[type] as { keys?: unknown })?.keys;
  if (!Array.isArray(keys) || !keys.length) throw new EncryptionConfigError(`${where}.${type}.keys: at least one key is needed`);
  const seen = new Set<string>();
  return {
    type,
    keys: keys.map((k: Partial<KeyDoc>, i) => {
      const at = `${where}.${type}.keys[${i}]`;
      if (typeof k?.name !== 'string' || !k.name) throw new EncryptionConfigError(`${at}.name: a key needs a name`);
      // The name goes into the stored prefix, which ends at the next colon.
      if (k.name.includes(':')) throw new EncryptionConfigError(`${at}.name: "${k.name}" may not contain ':'`);
      if (seen.has(k.name)) throw new EncryptionConfigError(`${at}.name: "${k.name}" is used twice`);
      seen.add(k.name);
      if (typeof k.secret !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(k.secret) || k.secret.length % 4 !== 0)
        throw new EncryptionConfigError(`${at}.secret: must be base64`);
      const secret = Buffer.from(k.secret, 'base64');
      if (!AES_SIZES[type].includes(secret.length))
        throw new EncryptionConfigError(`${at}.secret: ${type} keys are ${AES_SIZES[type].join(', ')} bytes, this one is ${secret.length}`);
      return { name: k.name, secret };
    }),
  };
}

/** The store prefixes one configured resource name stands for (`secrets`, `deployments.apps`, `*.apps`, `*.*`). */
function prefixesOf(name: string): string[] {
  if (!name.includes('*')) return [`/registry/${name}/`];
  const group = name.slice(2); // "*." + group ('' for the core group, '*' for every group)
  return knownResources.filter((r) => group === '*' || r.group === group).map((r) => `/registry/${r.key}/`);
}

export function parseEncryptionConfig(text: string, file: string): EncryptionConfig {
  let doc: EncryptionConfigDoc;
  try {
    doc = parse(text) as EncryptionConfigDoc;
  } catch (e) {
    throw new EncryptionConfigError(`${file}: not YAML or JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!doc || typeof doc !== 'object') throw new EncryptionConfigError(`${file}: expected an ${KIND} object`);
  if (doc.kind !== KIND) throw new EncryptionConfigError(`${file}: kind must be ${KIND}, got ${JSON.stringify(doc.kind)}`);
  if (doc.apiVersion !== API_VERSION) throw new EncryptionConfigError(`${file}: apiVersion must be ${API_VERSION}, got ${JSON.stringify(doc.apiVersion)}`);
  if (!Array.isArray(doc.resources) || !doc.resources.length) throw new EncryptionConfigError(`${file}: resources: at least one entry is needed`);
  const routes: PrefixTransformer[] = [];
  const claimed = new Set<string>();
  doc.resources.forEach((entry, i) => {
    const where = `${file}: resources[${i}]`;
    if (!Array.isArray(entry?.resources) || !entry.resources.length) throw new EncryptionConfigError(`${where}.resources: name at least one resource`);
    if (!Array.isArray(entry.providers) || !entry.providers.length) throw new EncryptionConfigError(`${where}.providers: at least one provider is needed`);
    const transformer = new ValueTransformer(entry.providers.map((p, j) => providerOf(p, `${where}.providers[${j}]`)));
    for (const name of entry.resources) {
      if (typeof name !== 'string' || !RESOURCE_NAME.test(name))
        throw new EncryptionConfigError(`${where}.resources: "${name}" is not a resource such as secrets, deployments.apps or *.apps`);
      // A resource is handled by the first entry naming it, as upstream.
      for (const prefix of prefixesOf(name)) {
        if (claimed.has(prefix)) continue;
        claimed.add(prefix);
        routes.push({ prefix, transformer });
      }
    }
  });
  return { doc, routes };
}

export function loadEncryptionConfig(file: string): EncryptionConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new EncryptionConfigError(`cannot read encryption provider config ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseEncryptionConfig(text, file);
}

/** A fresh aescbc key as the configuration holds it: 32 random bytes, base64. */
export function newAescbcKey(name: string): KeyDoc {
  return { name, secret: randomBytes(32).toString('base64') };
}

/** What k3s writes on first start with --secrets-encryption: Secrets under aescbc, plain ones still readable. */
export function defaultEncryptionConfig(): EncryptionConfigDoc {
  return {
    kind: KIND,
    apiVersion: API_VERSION,
    resources: [{ resources: ['secrets'], providers: [{ aescbc: { keys: [newAescbcKey('aescbckey')] } }, { identity: {} }] }],
  };
}

/** Writes the file 0600 (it holds the keys), replacing any old one in one step. */
export function writeEncryptionConfig(file: string, doc: EncryptionConfigDoc): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(doc, null, 2) + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}
