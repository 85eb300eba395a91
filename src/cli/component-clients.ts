// The one place the control plane's own components get their API clients: each a client
// certificate for the component's identity (CN = user, one O per group), issued in-process by the
// cluster CA, as k3s issues its components' certificates under its data dir. No client made here
// ever carries a bearer token: none holds the admin's credential.
import { issueCertificate, ONE_YEAR_MS, type CaFiles } from '../apiserver/pki.js';
import { RestClient, type ConnectionOptions } from '../client/index.js';
import type { ComponentIdentity } from '../api/component-identities.js';

export interface ComponentClientsOptions {
  /** How to reach and trust the API server; any user credential in it is dropped. */
  connection: ConnectionOptions;
  /** The CA whose certificates the API server accepts (the cluster CA). */
  signer: CaFiles;
}

export class ComponentClients {
  private readonly clients = new Map<string, Promise<RestClient>>();
  private readonly connection: Pick<ConnectionOptions, 'server' | 'ca' | 'insecureSkipTLSVerify' | 'tlsServerName'>;

  constructor(private readonly o: ComponentClientsOptions) {
    const { server, ca, insecureSkipTLSVerify, tlsServerName } = o.connection;
    this.connection = { server, ca, insecureSkipTLSVerify, tlsServerName };
  }

  /**
   * The client of an identity: one per user, made on first use. Its certificate lasts a year and
   * is made anew at each start of the process.
   */
  clientFor(id: ComponentIdentity, userAgent: string): Promise<RestClient> {
    let c = this.clients.get(id.user);
    if (!c) {
      c = issueCertificate(this.o.signer, {
        commonName: id.user,
        organizations: id.groups,
        usage: 'client',
        notAfter: new Date(Date.now() + ONE_YEAR_MS),
      }).then(({ cert, key }) => new RestClient({ ...this.connection, cert, key, userAgent }));
      this.clients.set(id.user, c);
    }
    return c;
  }

  /** The users this factory has made clients for. */
  users(): string[] {
    return [...this.clients.keys()];
  }

  /** Closes every client's idle connections. */
  async close(): Promise<void> {
    for (const c of await Promise.all(this.clients.values())) c.close();
  }
}
