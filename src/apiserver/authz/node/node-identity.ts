// Which node a user is, as upstream's nodeidentifier: a member of system:nodes named
// system:node:NAME is node NAME. A member of the group with any other name is a node no one can
// place (its requests get no opinion from the Node authorizer and are refused by NodeRestriction).
import type { UserInfo } from '../../authn/user.js';

export const NODES_GROUP = 'system:nodes';
export const NODE_USER_PREFIX = 'system:node:';

/** undefined: not a node; '': a node whose name is unknown; else the node's name. */
export function nodeIdentity(user: UserInfo): string | undefined {
  if (!user.groups.includes(NODES_GROUP)) return undefined;
  return user.name.startsWith(NODE_USER_PREFIX) ? user.name.slice(NODE_USER_PREFIX.length) : '';
}
