// Serves the review kinds (reviews.ts): POST only, the body decoded and validated as any object,
// answered with 201 and never stored.
import type { KObject } from '../../api/object.js';
import { decodeBody, decodeObject, mediaType, readBody } from '../body.js';
import type { Ctx } from '../ctx.js';
import { badRequest, invalid, methodNotAllowed } from '../errors.js';
import { sendJson } from '../respond.js';
import { ANONYMOUS } from '../authn/user.js';
import type { Authorizer } from './authorizer.js';
import { AUTHN_GROUP, AUTHZ_GROUP, answerReview } from './reviews.js';

export const isReview = (group: string) => group === AUTHZ_GROUP || group === AUTHN_GROUP;

export async function serveReview(ctx: Ctx, authorizer: Authorizer): Promise<void> {
  const { r } = ctx;
  if (ctx.req.method !== 'POST' || ctx.name || ctx.subresource) throw methodNotAllowed();
  if (r.namespaced && !ctx.namespace) throw methodNotAllowed();
  const obj = decodeObject(decodeBody(await readBody(ctx.req), mediaType(ctx.req)), r) as KObject;
  obj.metadata ??= {};
  if (r.namespaced) {
    if (obj.metadata.namespace && obj.metadata.namespace !== ctx.namespace)
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    obj.metadata.namespace = ctx.namespace;
  }
  const errs = r.validator?.create(obj) ?? [];
  if (errs.length) throw invalid(r.kind, r.group, obj.metadata.name ?? '', errs);
  sendJson(ctx.res, 201, answerReview(obj, ctx.user ?? ANONYMOUS, ctx.namespace, authorizer), ctx.output.kind === 'object' && ctx.output.yaml);
}
