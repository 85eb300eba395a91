import { writeFileSync, renameSync } from 'node:fs';
import YAML from 'yaml';

/** Writes an admin kubeconfig (mode 0600) for kubectl and client libraries. */
export function writeKubeconfig(path: string, server: string, caCert: string, token: string, name = 'berth'): void {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server, 'certificate-authority-data': Buffer.from(caCert).toString('base64') } }],
    users: [{ name: `${name}-admin`, user: { token } }],
    contexts: [{ name, context: { cluster: name, user: `${name}-admin` } }],
    'current-context': name,
    preferences: {},
  };
  // Written beside and renamed, so a reader never sees half a file.
  writeFileSync(path + '.tmp', YAML.stringify(config), { mode: 0o600 });
  renameSync(path + '.tmp', path);
}
