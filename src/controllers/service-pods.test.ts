import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, Service } from 'kubernetes-types/core/v1';
import { findPort, lastChangeTriggerTime, serviceSelector, shouldPodBeInEndpoints } from './service-pods.js';

const svc = (spec: Service['spec']): Service => ({ metadata: { name: 's', namespace: 'ns', creationTimestamp: '2026-01-01T00:00:00Z' }, spec });

test("only Services with a non-empty selector, and not ExternalName, are the controllers'", () => {
  assert.equal(serviceSelector(svc({})), undefined);
  assert.equal(serviceSelector(svc({ selector: {} })), undefined);
  assert.equal(serviceSelector(svc({ type: 'ExternalName', externalName: 'x.example', selector: { a: 'b' } })), undefined);
  assert.equal(serviceSelector(svc({ selector: { a: 'b' } }))!.matches({ a: 'b', c: 'd' }), true);
});

test('the trigger time is the latest pod creation or readiness change, or the Service creation', () => {
  const pod = (created: string, readySince?: string): Pod => ({
    metadata: { creationTimestamp: created },
    status: readySince ? { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: readySince }] } : {},
  });
  assert.equal(lastChangeTriggerTime(svc({}), []), '2026-01-01T00:00:00Z');
  assert.equal(lastChangeTriggerTime(svc({}), [pod('2026-01-02T00:00:00Z', '2026-01-02T00:00:05Z'), pod('2026-01-02T00:00:03Z')]), '2026-01-02T00:00:05Z');
});

test('which pods are in endpoints, and which port a named targetPort means', () => {
  const p: Pod = {
    metadata: {},
    spec: {
      containers: [
        {
          name: 'c',
          ports: [
            { name: 'web', containerPort: 8080 },
            { name: 'dns', containerPort: 5353, protocol: 'UDP' },
          ],
        },
      ],
      initContainers: [{ name: 'side', restartPolicy: 'Always', ports: [{ name: 'proxy', containerPort: 15001 }] }],
    },
    status: { podIP: '10.0.0.1', phase: 'Running' },
  };
  assert.equal(findPort(p, { port: 80, targetPort: 'web' }), 8080);
  assert.equal(findPort(p, { port: 53, targetPort: 'dns', protocol: 'UDP' }), 5353);
  assert.equal(findPort(p, { port: 53, targetPort: 'dns', protocol: 'TCP' }), undefined);
  assert.equal(findPort(p, { port: 15001, targetPort: 'proxy' }), 15001, 'a sidecar port');
  assert.equal(findPort(p, { port: 81 }), 81);
  assert.equal(shouldPodBeInEndpoints(p, false), true);
  assert.equal(shouldPodBeInEndpoints({ ...p, metadata: { deletionTimestamp: '2026-01-01T00:00:00Z' } }, false), false);
  assert.equal(shouldPodBeInEndpoints({ ...p, metadata: { deletionTimestamp: '2026-01-01T00:00:00Z' } }, true), true);
  assert.equal(shouldPodBeInEndpoints({ ...p, status: { phase: 'Running' } }, true), false, 'no IP');
  assert.equal(shouldPodBeInEndpoints({ ...p, status: { ...p.status, phase: 'Succeeded' } }, true), false);
});
