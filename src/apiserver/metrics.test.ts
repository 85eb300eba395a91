import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { parseApiPath } from './request-info.js';
import { resourceLabels } from './metrics.js';

/** The labels of a request as the server works them out: method, path, query, content type. */
function labels(method: string, url: string, contentType?: string) {
  const u = new URL(url, 'https://x');
  const parsed = parseApiPath(u.pathname, (_g, _v, r) => r !== 'nodes' && r !== 'namespaces');
  assert.equal(parsed.type, 'resource');
  const req = { method, headers: contentType ? { 'content-type': contentType } : {} } as IncomingMessage;
  const watch = u.searchParams.get('watch') === 'true';
  return resourceLabels(req, parsed as Extract<typeof parsed, { type: 'resource' }>, u.searchParams, watch);
}

test("request labels: upstream's verbs (LIST, WATCH, DELETECOLLECTION, APPLY), scopes and dry run", () => {
  assert.deepEqual(labels('GET', '/api/v1/namespaces/default/pods'), {
    verb: 'LIST',
    dryRun: '',
    group: '',
    version: 'v1',
    resource: 'pods',
    subresource: '',
    scope: 'namespace',
  });
  assert.equal(labels('GET', '/api/v1/pods').scope, 'cluster');
  assert.equal(labels('GET', '/api/v1/nodes').scope, 'cluster');
  assert.deepEqual(labels('GET', '/api/v1/namespaces/default/pods/web/log'), {
    verb: 'GET',
    dryRun: '',
    group: '',
    version: 'v1',
    resource: 'pods',
    subresource: 'log',
    scope: 'resource',
  });
  assert.equal(labels('GET', '/api/v1/pods?watch=true').verb, 'WATCH');
  assert.equal(labels('DELETE', '/apis/apps/v1/namespaces/a/deployments').verb, 'DELETECOLLECTION');
  assert.equal(labels('DELETE', '/apis/apps/v1/namespaces/a/deployments/d').verb, 'DELETE');
  assert.equal(labels('PATCH', '/apis/apps/v1/namespaces/a/deployments/d', 'application/apply-patch+yaml').verb, 'APPLY');
  assert.equal(labels('PATCH', '/apis/apps/v1/namespaces/a/deployments/d', 'application/merge-patch+json').verb, 'PATCH');
  const dry = labels('POST', '/api/v1/namespaces/a/configmaps?dryRun=All');
  assert.equal(dry.verb, 'POST');
  assert.equal(dry.dryRun, 'All');
  assert.equal(labels('POST', '/api/v1/namespaces/a/pods/web/binding').subresource, 'binding');
});
