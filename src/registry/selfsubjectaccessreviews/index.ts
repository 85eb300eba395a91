// The selfsubjectaccessreviews kind: create-only, nothing stored; the API server answers it from the authorizer
// (src/apiserver/authz/reviews.ts), as upstream's registry for SelfSubjectAccessReview.
import type { KindDef } from '../kind.js';
import { AUTHZ_GROUP, reviewValidators } from '../../apiserver/authz/reviews.js';

export const selfsubjectaccessreviews: KindDef = {
  group: AUTHZ_GROUP,
  kind: 'SelfSubjectAccessReview',
  plural: 'selfsubjectaccessreviews',
  namespaced: false,
  verbs: ['create'],
  validator: reviewValidators.SelfSubjectAccessReview,
};
