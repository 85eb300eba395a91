import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerIdOf, imageIdOf, normalizeImage } from './images.js';

test('image names are filled in as the runtime reports them', () => {
  assert.equal(normalizeImage('nginx'), 'docker.io/library/nginx:latest');
  assert.equal(normalizeImage('nginx:1.27'), 'docker.io/library/nginx:1.27');
  assert.equal(normalizeImage('envoyproxy/envoy:v1.31'), 'docker.io/envoyproxy/envoy:v1.31');
  assert.equal(normalizeImage('docker.io/busybox'), 'docker.io/library/busybox:latest');
  assert.equal(normalizeImage('registry.k8s.io/pause:3.9'), 'registry.k8s.io/pause:3.9');
  assert.equal(normalizeImage('localhost:5000/app'), 'localhost:5000/app:latest');
  assert.equal(normalizeImage('localhost/app'), 'localhost/app:latest');
  const digest = 'sha256:' + 'a'.repeat(64);
  assert.equal(normalizeImage(`busybox@${digest}`), `docker.io/library/busybox@${digest}`);
});

test('image and container IDs', () => {
  assert.match(imageIdOf('nginx'), /^docker\.io\/library\/nginx@sha256:[0-9a-f]{64}$/);
  assert.equal(imageIdOf('nginx'), imageIdOf('docker.io/library/nginx:latest'), 'one image, one ID');
  assert.notEqual(imageIdOf('nginx:1.27'), imageIdOf('nginx:1.26'));
  assert.match(imageIdOf('localhost:5000/app:v1'), /^localhost:5000\/app@sha256:/);
  assert.equal(containerIdOf('u', 'c', 0), containerIdOf('u', 'c', 0));
  assert.notEqual(containerIdOf('u', 'c', 0), containerIdOf('u', 'c', 1), 'a restart is a new container');
  assert.match(containerIdOf('u', 'c', 0), /^sim:\/\/[0-9a-f]{64}$/);
});
