// The localsubjectaccessreviews kind: create-only, nothing stored; the API server answers it from the authorizer
// (src/apiserver/authz/reviews.ts), as upstream's registry for LocalSubjectAccessReview.
import type { KindDef } from '../kind.js';
import { AUTHZ_GROUP, reviewValidators } from '../../apiserver/authz/reviews.js';

export const localsubjectaccessreviews: KindDef = {
  group: AUTHZ_GROUP,
  kind: 'LocalSubjectAccessReview',
  plural: 'localsubjectaccessreviews',
  namespaced: true,
  verbs: ['create'],
  validator: reviewValidators.LocalSubjectAccessReview,
};
