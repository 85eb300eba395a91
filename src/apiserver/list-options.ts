// The checks upstream's ValidateListOptions makes on a list or watch request's ListOptions
// (k8s.io/apimachinery/pkg/apis/meta/internalversion/validation): invalid combinations of
// resourceVersionMatch, sendInitialEvents, allowWatchBookmarks and continue are a 422 Invalid
// ListOptions, all problems at once, as upstream reports them.
import { forbidden, notSupported, type FieldError } from '../api/field-errors.js';
import { boolParam, optionalBoolParam } from '../api/query.js';
import { invalid } from './errors.js';

const EXACT = 'Exact';
const NOT_OLDER_THAN = 'NotOlderThan';

export function listOptionsErrors(q: URLSearchParams, watch: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const match = q.get('resourceVersionMatch') ?? '';
  const rv = q.get('resourceVersion') ?? '';
  const cont = q.get('continue') ?? '';
  const sendInitialEvents = optionalBoolParam(q, 'sendInitialEvents');
  if (watch) {
    if (sendInitialEvents !== undefined && match !== NOT_OLDER_THAN) {
      errs.push(forbidden('resourceVersionMatch', `sendInitialEvents requires setting resourceVersionMatch to ${NOT_OLDER_THAN}`));
    }
    // The end of the initial events is announced by a bookmark, so the client must accept them.
    if (sendInitialEvents === true && !boolParam(q, 'allowWatchBookmarks')) {
      errs.push(forbidden('allowWatchBookmarks', 'allowWatchBookmarks required when sendInitialEvents is true'));
    }
    if (match) {
      if (sendInitialEvents === undefined)
        errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'));
      if (match !== NOT_OLDER_THAN) errs.push(notSupported('resourceVersionMatch', match, [NOT_OLDER_THAN]));
      if (cont) errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
    }
    return errs;
  }
  if (match) {
    if (!rv) errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided'));
    if (cont) errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
    if (match !== EXACT && match !== NOT_OLDER_THAN) errs.push(notSupported('resourceVersionMatch', match, [EXACT, NOT_OLDER_THAN, '']));
    if (match === EXACT && rv === '0') errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'));
  }
  if (sendInitialEvents !== undefined) errs.push(forbidden('sendInitialEvents', 'sendInitialEvents is forbidden for list'));
  return errs;
}

/** Throws upstream's 422 for a request whose list options don't go together. */
export function validateListOptions(q: URLSearchParams, watch: boolean): void {
  const errs = listOptionsErrors(q, watch);
  if (errs.length) throw invalid('ListOptions', 'meta.k8s.io', '', errs);
}
