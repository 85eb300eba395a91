import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseApiPath } from '../request-info.js';
import { requestAttributes } from './attributes.js';

const user = { name: 'u', groups: [] };
const attrs = (method: string, target: string) => {
  const url = new URL(target, 'https://x');
  const a = requestAttributes(
    user,
    method,
    url.pathname,
    parseApiPath(url.pathname, (_g, _v, p) => p !== 'nodes' && p !== 'namespaces'),
    url.searchParams,
  );
  return [a.verb, a.apiGroup, a.resource, a.subresource, a.namespace, a.name].join('|');
};

test('methods map to upstream verbs: list, watch and deletecollection when there is no name', () => {
  assert.equal(attrs('GET', '/api/v1/namespaces/ns/pods'), 'list||pods||ns|');
  assert.equal(attrs('GET', '/api/v1/namespaces/ns/pods?watch=true'), 'watch||pods||ns|');
  assert.equal(attrs('GET', '/api/v1/watch/namespaces/ns/pods'), 'watch||pods||ns|');
  assert.equal(attrs('GET', '/api/v1/namespaces/ns/pods/p'), 'get||pods||ns|p');
  assert.equal(attrs('POST', '/apis/apps/v1/namespaces/ns/deployments'), 'create|apps|deployments||ns|');
  assert.equal(attrs('PUT', '/apis/apps/v1/namespaces/ns/deployments/d/scale'), 'update|apps|deployments|scale|ns|d');
  assert.equal(attrs('PATCH', '/api/v1/nodes/n/status'), 'patch||nodes|status||n');
  assert.equal(attrs('DELETE', '/api/v1/namespaces/ns/pods'), 'deletecollection||pods||ns|');
  assert.equal(attrs('DELETE', '/api/v1/namespaces/ns/pods/p'), 'delete||pods||ns|p');
});

test('a namespace is in itself, and a list by metadata.name is about that name', () => {
  assert.equal(attrs('GET', '/api/v1/namespaces/ns'), 'get||namespaces||ns|ns');
  assert.equal(attrs('GET', '/api/v1/namespaces/ns/configmaps?fieldSelector=metadata.name%3Dc&watch=1'), 'watch||configmaps||ns|c');
});

test('other paths are non-resource requests with the lower-case method as the verb', () => {
  const url = '/healthz';
  const a = requestAttributes(
    user,
    'GET',
    url,
    parseApiPath(url, () => true),
    new URLSearchParams(),
  );
  assert.deepEqual([a.resourceRequest, a.verb, a.path], [false, 'get', '/healthz']);
  const d = requestAttributes(
    user,
    'GET',
    '/apis',
    parseApiPath('/apis', () => true),
    new URLSearchParams(),
  );
  assert.deepEqual([d.resourceRequest, d.verb, d.path], [false, 'get', '/apis']);
});
