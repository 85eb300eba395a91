import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PodSpec } from 'kubernetes-types/core/v1';
import { evaluatePod, forbiddenDetail } from './checks.js';
import { policyOf } from './policy.js';

const detail = (level: 'baseline' | 'restricted', spec: Partial<PodSpec>, annotations?: Record<string, string>) =>
  forbiddenDetail(evaluatePod(level, { annotations }, { containers: [], ...spec } as PodSpec));
const c = (name: string, securityContext?: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ name, image: 'x', securityContext, ...extra });
const hardened = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } };

test('restricted: a plain container fails the four restricted checks, in upstream order and words', () => {
  assert.equal(
    detail('restricted', { containers: [c('c')] }),
    'allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), ' +
      'unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), ' +
      'runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), ' +
      'seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
  );
  assert.equal(detail('restricted', { containers: [c('c', hardened)] }), '');
  assert.equal(
    detail('restricted', {
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [c('c', { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } })],
    }),
    '',
  );
});

test('restricted: a privileged container is refused for privileged first (baseline checks lead)', () => {
  assert.match(
    detail('restricted', { containers: [c('c', { ...hardened, privileged: true })] }),
    /^privileged \(container "c" must not set securityContext\.privileged=true\)$/,
  );
});

test('baseline checks and their details', () => {
  assert.equal(detail('baseline', { hostNetwork: true, hostPID: true }), 'host namespaces (hostNetwork=true, hostPID=true)');
  assert.equal(
    detail('baseline', { containers: [c('a', { privileged: true }), c('b', { privileged: true })] }),
    'privileged (containers "a", "b" must not set securityContext.privileged=true)',
  );
  assert.equal(
    detail('baseline', { containers: [c('a', { capabilities: { add: ['SYS_ADMIN', 'CHOWN', 'NET_ADMIN'] } })] }),
    'non-default capabilities (container "a" must not include "NET_ADMIN", "SYS_ADMIN" in securityContext.capabilities.add)',
  );
  assert.equal(detail('baseline', { volumes: [{ name: 'root', hostPath: { path: '/' } }] }), 'hostPath volumes (volume "root")');
  assert.equal(
    detail('baseline', {
      containers: [
        c('a', undefined, {
          ports: [
            { containerPort: 80, hostPort: 8080 },
            { containerPort: 81, hostPort: 80 },
          ],
        }),
      ],
    }),
    'hostPort (container "a" uses hostPorts 80, 8080)',
  );
  assert.equal(
    detail('baseline', { containers: [c('a', { procMount: 'Unmasked' })] }),
    'procMount (container "a" must not set securityContext.procMount to "Unmasked")',
  );
  assert.equal(
    detail('baseline', { securityContext: { seccompProfile: { type: 'Unconfined' } }, containers: [c('a', { seccompProfile: { type: 'Unconfined' } })] }),
    'seccompProfile (pod and container "a" must not set securityContext.seccompProfile.type to "Unconfined")',
  );
  assert.equal(
    detail('baseline', {
      securityContext: {
        sysctls: [
          { name: 'kernel.msgmax', value: '1' },
          { name: 'net.ipv4.tcp_syncookies', value: '1' },
        ],
      },
    }),
    'forbidden sysctls (kernel.msgmax)',
  );
  assert.equal(
    detail('baseline', { containers: [c('a', { seLinuxOptions: { type: 'spc_t', user: 'u' } })] }),
    'seLinuxOptions (container "a" set forbidden securityContext.seLinuxOptions: type "spc_t"; user may not be set)',
  );
  assert.equal(
    detail('baseline', {}, { 'container.apparmor.security.beta.kubernetes.io/a': 'unconfined' }),
    'forbidden AppArmor profile (container.apparmor.security.beta.kubernetes.io/a="unconfined")',
  );
  assert.equal(detail('baseline', { containers: [c('a', { runAsUser: 0, allowPrivilegeEscalation: true })] }), '', 'restricted-only checks do not apply');
});

test('restricted: volume types, runAsUser=0, explicit runAsNonRoot=false, added capabilities', () => {
  assert.equal(
    detail('restricted', {
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      volumes: [
        { name: 'h', hostPath: { path: '/' } },
        { name: 'n', nfs: { server: 's', path: '/' } },
        { name: 'ok', emptyDir: {} },
      ],
    }),
    'restricted volume types (volumes "h", "n" use restricted volume types "hostPath", "nfs")',
  );
  assert.equal(
    detail('restricted', {
      securityContext: { runAsUser: 0, runAsNonRoot: false, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [c('a', { ...hardened, runAsNonRoot: undefined, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE', 'SYS_TIME'] } })],
    }),
    'unrestricted capabilities (container "a" must not include "SYS_TIME" in securityContext.capabilities.add), runAsNonRoot != true (pod must not set securityContext.runAsNonRoot=false), runAsUser=0 (pod must not set runAsUser=0)',
  );
});

test('namespace labels: levels and versions, invalid values as field errors', () => {
  const { policy, errors } = policyOf({
    'pod-security.kubernetes.io/enforce': 'restricted',
    'pod-security.kubernetes.io/warn': 'baseline',
    'pod-security.kubernetes.io/warn-version': 'v1.29',
  });
  assert.deepEqual(errors, []);
  assert.deepEqual(policy, {
    enforce: { level: 'restricted', version: 'latest' },
    audit: { level: 'privileged', version: 'latest' },
    warn: { level: 'baseline', version: 'v1.29' },
  });
  const bad = policyOf({ 'pod-security.kubernetes.io/enforce': 'strict', 'pod-security.kubernetes.io/audit-version': '1.29' });
  assert.deepEqual(
    bad.errors.map((e) => [e.field, e.detail]),
    [
      ['metadata.labels[pod-security.kubernetes.io/enforce]', 'must be one of privileged, baseline, restricted'],
      ['metadata.labels[pod-security.kubernetes.io/audit-version]', 'must be "latest" or "v1.x"'],
    ],
  );
});
