import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requestCounts } from './scale.js';

test('requestCounts sums apiserver_request_total by verb and resource/subresource, over codes and scopes', () => {
  const text = [
    '# HELP apiserver_request_total Counter of apiserver requests',
    '# TYPE apiserver_request_total counter',
    'apiserver_request_total{verb="POST",dry_run="",group="",version="v1",resource="pods",subresource="",scope="resource",component="apiserver",code="201"} 40',
    'apiserver_request_total{verb="POST",dry_run="",group="",version="v1",resource="pods",subresource="",scope="resource",component="apiserver",code="429"} 2',
    'apiserver_request_total{verb="PATCH",dry_run="",group="",version="v1",resource="pods",subresource="status",scope="resource",component="apiserver",code="200"} 7',
    'apiserver_request_total{verb="GET",dry_run="",group="",version="",resource="",subresource="",scope="",component="apiserver",code="200"} 3',
    'apiserver_request_duration_seconds_count{verb="POST",resource="pods"} 999',
  ].join('\n');
  assert.deepEqual(
    [...requestCounts(text)],
    [
      ['POST pods', 42],
      ['PATCH pods/status', 7],
      ['GET (non-resource)', 3],
    ],
  );
});
