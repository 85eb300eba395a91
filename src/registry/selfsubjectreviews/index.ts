// The selfsubjectreviews kind: create-only, nothing stored; the API server answers it from the authorizer
// (src/apiserver/authz/reviews.ts), as upstream's registry for SelfSubjectReview.
import type { KindDef } from '../kind.js';
import { AUTHN_GROUP, reviewValidators } from '../../apiserver/authz/reviews.js';

export const selfsubjectreviews: KindDef = {
  group: AUTHN_GROUP,
  kind: 'SelfSubjectReview',
  plural: 'selfsubjectreviews',
  namespaced: false,
  verbs: ['create'],
  validator: reviewValidators.SelfSubjectReview,
};
