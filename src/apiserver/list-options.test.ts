import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldErrorMessage } from '../api/field-errors.js';
import { ApiError } from './errors.js';
import { listOptionsErrors, validateListOptions } from './list-options.js';

const errs = (s: string, watch: boolean) => listOptionsErrors(new URLSearchParams(s), watch).map(fieldErrorMessage);

test('a watch-list request (sendInitialEvents, NotOlderThan, bookmarks) is valid, however its booleans are spelled', () => {
  assert.deepEqual(errs('sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true', true), []);
  assert.deepEqual(errs('sendInitialEvents=True&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=1', true), []);
  assert.deepEqual(errs('sendInitialEvents=false&resourceVersionMatch=NotOlderThan', true), []);
  assert.deepEqual(errs('resourceVersion=5', true), []);
});

test('watch: invalid combinations are reported as upstream words them', () => {
  assert.deepEqual(errs('sendInitialEvents=true&allowWatchBookmarks=true', true), [
    'resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan',
  ]);
  assert.deepEqual(errs('sendInitialEvents=true&resourceVersionMatch=NotOlderThan', true), [
    'allowWatchBookmarks: Forbidden: allowWatchBookmarks required when sendInitialEvents is true',
  ]);
  assert.deepEqual(errs('sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=false', true), [
    'allowWatchBookmarks: Forbidden: allowWatchBookmarks required when sendInitialEvents is true',
  ]);
  assert.deepEqual(errs('resourceVersionMatch=NotOlderThan&resourceVersion=1', true), [
    'resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided',
  ]);
  assert.deepEqual(errs('sendInitialEvents=false&resourceVersionMatch=Exact', true), [
    'resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan',
    'resourceVersionMatch: Unsupported value: "Exact": supported values: "NotOlderThan"',
  ]);
});

test('list: sendInitialEvents is forbidden, resourceVersionMatch needs a resourceVersion', () => {
  assert.deepEqual(errs('sendInitialEvents=false', false), ['sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list']);
  assert.deepEqual(errs('resourceVersionMatch=NotOlderThan', false), [
    'resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided',
  ]);
  assert.deepEqual(errs('resourceVersionMatch=Exact&resourceVersion=0', false), [
    'resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
  ]);
  assert.deepEqual(errs('resourceVersionMatch=Newest&resourceVersion=3', false), [
    'resourceVersionMatch: Unsupported value: "Newest": supported values: "Exact", "NotOlderThan", ""',
  ]);
  assert.deepEqual(errs('resourceVersionMatch=Exact&resourceVersion=3', false), []);
});

test('validateListOptions throws one 422 Invalid ListOptions naming every problem', () => {
  assert.throws(
    () => validateListOptions(new URLSearchParams('resourceVersionMatch=Newest&continue=abc&sendInitialEvents=true'), false),
    (e: unknown) =>
      e instanceof ApiError &&
      e.code === 422 &&
      e.message ===
        'ListOptions.meta.k8s.io "" is invalid: [resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided, resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden when continue is provided, resourceVersionMatch: Unsupported value: "Newest": supported values: "Exact", "NotOlderThan", "", sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list]',
  );
});
