// The subjectaccessreviews kind: create-only, nothing stored; the API server answers it from the authorizer
// (src/apiserver/authz/reviews.ts), as upstream's registry for SubjectAccessReview.
import type { KindDef } from '../kind.js';
import { AUTHZ_GROUP, reviewValidators } from '../../apiserver/authz/reviews.js';

export const subjectaccessreviews: KindDef = {
  group: AUTHZ_GROUP,
  kind: 'SubjectAccessReview',
  plural: 'subjectaccessreviews',
  namespaced: false,
  verbs: ['create'],
  validator: reviewValidators.SubjectAccessReview,
};
