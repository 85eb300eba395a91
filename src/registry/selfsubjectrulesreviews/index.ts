// The selfsubjectrulesreviews kind: create-only, nothing stored; the API server answers it from the authorizer
// (src/apiserver/authz/reviews.ts), as upstream's registry for SelfSubjectRulesReview.
import type { KindDef } from '../kind.js';
import { AUTHZ_GROUP, reviewValidators } from '../../apiserver/authz/reviews.js';

export const selfsubjectrulesreviews: KindDef = {
  group: AUTHZ_GROUP,
  kind: 'SelfSubjectRulesReview',
  plural: 'selfsubjectrulesreviews',
  namespaced: false,
  verbs: ['create'],
  validator: reviewValidators.SelfSubjectRulesReview,
};
