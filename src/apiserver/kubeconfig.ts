import { writeFileSync, renameSync } from 'node:fs';
import YAML from 'yaml';

const b64 = (s: string) => Buffer.from(s).toString('base64');

/**
 * Writes a kubeconfig (mode 0600) for kubectl and client libraries: the admin's (a bearer token),
 * or a component's (a client certificate and key, user named after the component).
 */
export function writeKubeconfig(
  path: string,
  server: string,
  caCert: string,
  credential: string | { cert: string; key: string; user: string },
  name = 'berth',
): void {
  const userName = typeof credential === 'string' ? `${name}-admin` : credential.user;
  const user =
    typeof credential === 'string' ? { token: credential } : { 'client-certificate-data': b64(credential.cert), 'client-key-data': b64(credential.key) };
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server, 'certificate-authority-data': b64(caCert) } }],
    users: [{ name: userName, user }],
    contexts: [{ name, context: { cluster: name, user: userName } }],
    'current-context': name,
    preferences: {},
  };
  // Written beside and renamed, so a reader never sees half a file.
  writeFileSync(path + '.tmp', YAML.stringify(config), { mode: 0o600 });
  renameSync(path + '.tmp', path);
}
