// Secrets encryption at rest, as k3s offers it: `berth server --secrets-encryption` keeps an
// EncryptionConfiguration in DATA_DIR/cred/encryption-config.json (kube-apiserver's
// --encryption-provider-config FILE names another), and `berth secrets-encrypt status|rotate-keys`
// inspect and rotate its keys.
//
// rotate-keys works on the store directly and only while no server runs on the data dir: a
// running server holds its keys in memory (there is no reload), so values rewritten under a key
// it does not know would be unreadable to it until its restart. (k3s rotates through its
// running server because it reloads the configuration; Berth does not.)
import { existsSync } from 'node:fs';
import type { Logger } from '../log/logger.js';
import { join, resolve } from 'node:path';
import { EncryptingStore } from '../storage/encryption/encrypting-store.js';
import {
  defaultEncryptionConfig,
  loadEncryptionConfig,
  newAescbcKey,
  writeEncryptionConfig,
  type EncryptionConfig,
  type EncryptionConfigDoc,
} from '../storage/encryption/config.js';
import { storedKeyLabel } from '../storage/encryption/transformer.js';
import type { Store } from '../storage/store.js';
import { lockDataDir, lockHolder } from './data-dir-lock.js';
import { openStore, parseDatastore, type EtcdTlsFlags } from './datastore.js';
import { defaultDataDir } from './flags.js';

export function encryptionConfigPath(dataDir: string): string {
  return join(dataDir, 'cred', 'encryption-config.json');
}

export interface EncryptionFlags {
  secretsEncryption?: boolean;
  encryptionProviderConfig?: string;
}

/** A given --encryption-provider-config is read before anything is written: a bad one stops the start. */
export function givenEncryptionConfig(flags: EncryptionFlags): EncryptionConfig | undefined {
  return flags.encryptionProviderConfig ? loadEncryptionConfig(resolve(flags.encryptionProviderConfig)) : undefined;
}

/**
 * The configuration the server runs with: the given file; else with --secrets-encryption the
 * data dir's own, written with a fresh key on first start; else none (values stored as they are).
 */
export function serverEncryption(flags: EncryptionFlags, given: EncryptionConfig | undefined, dataDir: string, log: Logger): EncryptionConfig | undefined {
  if (given) return given;
  const file = encryptionConfigPath(dataDir);
  if (!flags.secretsEncryption) {
    if (existsSync(file))
      log.warn(`${file} exists but --secrets-encryption is not given: Secrets written now are stored plain, and encrypted ones cannot be read`);
    return undefined;
  }
  if (!existsSync(file)) {
    writeEncryptionConfig(file, defaultEncryptionConfig());
    log(`secrets encryption: wrote a new aescbc key to ${file}`);
  }
  return loadEncryptionConfig(file);
}

export function encryptingStore(store: Store, config: EncryptionConfig | undefined): Store {
  return config ? new EncryptingStore(store, config.routes) : store;
}

/** Every key under prefix, a page at a time, at one revision. */
async function* scan(store: Store, prefix: string): AsyncGenerator<{ key: string; value: string; modRevision: number }> {
  let startKey: string | undefined;
  let revision: number | undefined;
  for (;;) {
    const page = await store.list(prefix, { limit: 500, startKey, revision });
    revision = page.revision;
    yield* page.items;
    if (!page.more || !page.items.length) return;
    startKey = page.items.at(-1)!.key + '\0';
  }
}

/** How many stored values of each configured resource are under each key (from the raw bytes). */
export async function countByKey(raw: Store, prefixes: string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const prefix of prefixes) {
    for await (const kv of scan(raw, prefix)) {
      const label = storedKeyLabel(kv.value);
      counts.set(label, (counts.get(label) ?? 0) + 1);
    }
  }
  return counts;
}

interface CommandFlags extends EtcdTlsFlags {
  dataDir?: string;
  datastore?: string;
  encryptionProviderConfig?: string;
}

function configFile(flags: CommandFlags, dataDir: string): string {
  return flags.encryptionProviderConfig ? resolve(flags.encryptionProviderConfig) : encryptionConfigPath(dataDir);
}

/** `berth secrets-encrypt status`: on or off, the key new writes use, values per key. */
export async function runSecretsEncryptStatus(flags: CommandFlags, out: (line: string) => void = (l) => process.stdout.write(l + '\n')): Promise<void> {
  const dataDir = resolve(flags.dataDir ?? defaultDataDir());
  const file = configFile(flags, dataDir);
  const config = existsSync(file) ? loadEncryptionConfig(file) : undefined;
  out(`Encryption Status: ${config ? 'Enabled' : 'Disabled'}`);
  const prefixes = config ? config.routes.map((r) => r.prefix) : ['/registry/secrets/'];
  if (config) {
    out(`Config: ${file}`);
    const secrets = config.routes.find((r) => r.prefix === '/registry/secrets/');
    out(`Active Key: ${secrets ? secrets.transformer.writer : 'none (Secrets are not in the configuration)'}`);
    out(`Resources: ${config.routes.map((r) => r.prefix.slice('/registry/'.length, -1)).join(', ')}`);
  }
  const spec = parseDatastore(flags.datastore, dataDir);
  const holder = lockHolder(dataDir);
  if (spec.kind === 'sqlite' && holder) {
    out(`Stored values per key: unknown while the server (pid ${holder}) holds ${spec.path}; stop it to count`);
    return;
  }
  const raw = await openStore(spec, flags);
  try {
    const counts = await countByKey(raw, prefixes);
    out(`Stored values per key${config ? '' : ' (Secrets)'}:${counts.size ? '' : ' none stored'}`);
    for (const [label, n] of [...counts].sort()) out(`  ${label}: ${n}`);
  } finally {
    await raw.close();
  }
}

/** A key name not yet in the configuration, dated as k3s names its rotated keys. */
function rotatedKeyName(doc: EncryptionConfigDoc): string {
  const taken = new Set(doc.resources.flatMap((e) => e.providers.flatMap((p) => [...(p.aescbc?.keys ?? []), ...(p.aesgcm?.keys ?? [])].map((k) => k.name))));
  const base = `aescbckey-${new Date().toISOString().replace(/[-:]|\.\d+/g, '')}`;
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}-${i}`;
  return name;
}

/**
 * A new aescbc key first in every entry (old keys stay, for reading), the configuration
 * written, then every value of the configured resources rewritten under the new key.
 */
export async function runSecretsEncryptRotateKeys(flags: CommandFlags, out: (line: string) => void = (l) => process.stdout.write(l + '\n')): Promise<void> {
  const dataDir = resolve(flags.dataDir ?? defaultDataDir());
  const file = configFile(flags, dataDir);
  if (!existsSync(file)) throw new Error(`secrets encryption is not on: no ${file} (start the server once with --secrets-encryption)`);
  const current = loadEncryptionConfig(file);
  const holder = lockHolder(dataDir);
  if (holder) throw new Error(`a server (pid ${holder}) runs on ${dataDir}: stop it first (it would not know the new key until restarted)`);
  const lock = lockDataDir(dataDir);
  try {
    const doc = structuredClone(current.doc);
    const key = newAescbcKey(rotatedKeyName(doc));
    for (const entry of doc.resources) {
      const i = entry.providers.findIndex((p) => p.aescbc);
      if (i >= 0) {
        const [aescbc] = entry.providers.splice(i, 1);
        aescbc!.aescbc!.keys.unshift(key);
        entry.providers.unshift(aescbc!);
      } else {
        entry.providers.unshift({ aescbc: { keys: [key] } });
      }
    }
    // Written first: should the rewrite stop half way, every value is readable under this file.
    writeEncryptionConfig(file, doc);
    const next = loadEncryptionConfig(file);
    out(`secrets encryption: new key ${key.name} is first in ${file}; re-encrypting`);
    const raw = await openStore(parseDatastore(flags.datastore, dataDir), flags);
    const store = new EncryptingStore(raw, next.routes);
    try {
      let rewritten = 0;
      for (const { prefix } of next.routes) {
        for await (const kv of scan(store, prefix)) {
          let { value, modRevision } = kv;
          // A server sharing the etcd may write meanwhile: rewrite its latest value.
          for (;;) {
            try {
              await store.update(kv.key, value, modRevision);
              break;
            } catch (e) {
              const now = await store.get(kv.key);
              if (!now) break;
              if (now.modRevision === modRevision) throw e;
              ({ value, modRevision } = now);
            }
          }
          rewritten++;
        }
      }
      out(`secrets encryption: re-encrypted ${rewritten} values with ${key.name}; the old keys stay for reading and can now be removed from ${file}`);
    } finally {
      await store.close();
    }
  } finally {
    lock.release();
  }
}
