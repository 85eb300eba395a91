// DIR/token: the join token `berth server` hands to agents (k3s's server/token), written once
// (0600) and read back at every start so that agents joined earlier keep working. --token sets
// its secret; the CA hash always follows the CA the server actually serves.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { caBundleHash, formatJoinToken, parseJoinToken } from '../api/join-token.js';

export interface ServerJoinToken {
  /** The full token (K10<CA hash>::server:<secret>). */
  token: string;
  secret: string;
  path: string;
}

export function ensureJoinToken(dataDir: string, caBundle: string, given?: string): ServerJoinToken {
  const path = join(dataDir, 'token');
  let secret: string | undefined;
  if (given !== undefined) {
    const t = parseJoinToken(given);
    if (t.caHash && t.caHash !== caBundleHash(caBundle))
      throw new Error(`--token: its CA hash ${t.caHash} is not this server's CA (${caBundleHash(caBundle)}); give the secret alone or this cluster's token`);
    if (t.secret.length < 16) throw new Error('--token: the secret must be at least 16 characters');
    secret = t.secret;
  } else if (existsSync(path)) {
    secret = parseJoinToken(readFileSync(path, 'utf8')).secret;
  }
  secret ??= randomBytes(16).toString('hex');
  const token = formatJoinToken(caBundle, secret);
  if (!existsSync(path) || readFileSync(path, 'utf8').trim() !== token) writeFileSync(path, token + '\n', { mode: 0o600 });
  return { token, secret, path };
}
