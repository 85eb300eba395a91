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
  /**
   * Who each connection's certificate says it is (null: none that identifies anyone), worked
   * out at its first request: getPeerCertificate builds a new object of the whole certificate
   * at every call, and the components' keep-alive connections carry thousands of requests each.
   * The identity was proved by the handshake of that connection, so it holds for its life.
   */
  private readonly byConnection = new WeakMap<TLSSocket, UserInfo | null>();

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
    let user = this.byConnection.get(socket);
    if (user === undefined) {
      user = Authenticator.certificateUser(socket) ?? null;
      this.byConnection.set(socket, user);
    }
    return user ?? undefined;
  }

  private static certificateUser(socket: TLSSocket): UserInfo | undefined {
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
