import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dialErrorText, hostPort, ownUrlAsPath, podProxyTarget } from './pod-proxy.js';

test('a /podProxy/ URL names the pod, scheme, port, and the path and query for the pod', () => {
  const t = (p: string) => podProxyTarget(new URL(p, 'https://agent'));
  assert.deepEqual(t('/podProxy/default/web/http/8080/a%20b/c?x=1'), {
    namespace: 'default',
    pod: 'web',
    scheme: 'http',
    port: 8080,
    pathAndQuery: '/a%20b/c?x=1',
  });
  assert.deepEqual(t('/podProxy/default/web/https/443'), { namespace: 'default', pod: 'web', scheme: 'https', port: 443, pathAndQuery: '/' });
  for (const bad of [
    '/podProxy/default/web/ftp/21/',
    '/podProxy/default/web/http/0/',
    '/podProxy/default/web/http/70000/',
    '/podProxy/default/web/http/',
    '/exec/default/web/c',
  ]) {
    assert.equal(t(bad), undefined, bad);
  }
});

test("a failed dial reads as Go's (upstream's messages carry it)", () => {
  const e = (code: string) => Object.assign(new Error(`connect ${code} 10.0.0.1:81`), { code });
  assert.equal(dialErrorText(e('ECONNREFUSED'), hostPort('10.0.0.1', 81)), 'dial tcp 10.0.0.1:81: connect: connection refused');
  assert.equal(dialErrorText(e('EHOSTUNREACH'), hostPort('fd00::1', 81)), 'dial tcp [fd00::1]:81: connect: no route to host');
  assert.equal(dialErrorText(e('EWEIRD'), '10.0.0.1:81'), 'connect EWEIRD 10.0.0.1:81');
});

test("a redirect to the pod's own address becomes a path; other places stay", () => {
  assert.equal(ownUrlAsPath('http://10.0.0.5:8080/a/?b=1#c', 'http', hostPort('10.0.0.5', 8080)), '/a/?b=1#c');
  assert.equal(ownUrlAsPath('http://10.0.0.5/a', 'http', hostPort('10.0.0.5', 80)), '/a');
  assert.equal(ownUrlAsPath('http://[fd00::5]:8080/a', 'http', hostPort('fd00::5', 8080)), '/a');
  assert.equal(ownUrlAsPath('https://10.0.0.5:8080/a', 'http', hostPort('10.0.0.5', 8080)), 'https://10.0.0.5:8080/a');
  assert.equal(ownUrlAsPath('http://example.test/a', 'http', hostPort('10.0.0.5', 8080)), 'http://example.test/a');
  assert.equal(ownUrlAsPath('/already/a/path', 'http', hostPort('10.0.0.5', 8080)), '/already/a/path');
});
