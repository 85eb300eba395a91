// Who a request comes from, as upstream's union authenticator: an X.509 client certificate
// signed by the cluster CA (user = CN, groups = O), else a bearer token, the admin's or the join
// token's secret (a bootstrap token: system:bootstrap:<id> in system:bootstrappers). Every
// authenticated user is also in system:authenticated.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { JOIN_TOKEN_USER } from '../api/join-token.js';

import { ADMIN, ALL_AUTHENTICATED as AUTHENTICATED, type UserInfo } from './authn/user.js';

export { ADMIN, AUTHENTICATED, type UserInfo };
export const BOOTSTRAPPERS = 'system:bootstrappers';

export interface AuthenticatorOptions {
  adminToken: string;
  /** The join token's secret; absent: no bootstrap tokens are accepted. */
  bootstrapSecret?: string;
}

function sameSecret(given: Buffer, want: Buffer): boolean {
  return given.length === want.length && timingSafeEqual(given, want);
}

export class Authenticator {
  private readonly admin: Buffer;
  private readonly bootstrap?: Buffer;

  constructor(o: AuthenticatorOptions) {
    this.admin = Buffer.from(o.adminToken);
    if (o.bootstrapSecret) this.bootstrap = Buffer.from(o.bootstrapSecret);
  }

  /** The caller, or undefined when the request carries no credential the server accepts. */
  authenticate(req: IncomingMessage): UserInfo | undefined {
    return this.fromCertificate(req.socket as TLSSocket) ?? this.fromBearer(req.headers.authorization);
  }

  /**
   * A certificate the TLS layer verified against the cluster CA (requested, not required: a
   * client without one, or with one the CA did not sign, falls through to its token).
   */
  private fromCertificate(socket: TLSSocket): UserInfo | undefined {
    if (!socket.authorized || typeof socket.getPeerCertificate !== 'function') return undefined;
    const subject = socket.getPeerCertificate()?.subject;
    const cn = subject?.CN;
    if (typeof cn !== 'string' || !cn) return undefined;
    const o = subject.O;
    const groups = (Array.isArray(o) ? o : o ? [o] : []).filter((g) => g !== AUTHENTICATED);
    return { name: cn, groups: [...groups, AUTHENTICATED] };
  }

  private fromBearer(header: string | undefined): UserInfo | undefined {
    if (!header || !header.startsWith('Bearer ')) return undefined;
    const given = Buffer.from(header.slice(7).trim());
    if (sameSecret(given, this.admin)) return ADMIN;
    if (this.bootstrap && sameSecret(given, this.bootstrap)) return { name: `system:bootstrap:${JOIN_TOKEN_USER}`, groups: [BOOTSTRAPPERS, AUTHENTICATED] };
    return undefined;
  }
}

export function isBootstrapper(user: UserInfo): boolean {
  return user.groups.includes(BOOTSTRAPPERS);
}
