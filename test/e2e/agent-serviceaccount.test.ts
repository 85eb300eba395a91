// A pod's ServiceAccount token in the node agent on a real containerd (agent-fixture.ts):
// admission's kube-api-access volume written by the agent from a TokenRequest bound to the pod
// (token, ca.crt, namespace, read-only, atomically swapped), the token authenticating as the
// ServiceAccount from outside the pod (busybox has no TLS client), KUBERNETES_SERVICE_HOST/PORT
// and the docker-link variables from default/kubernetes, no volume when automount is off, and
// the token refused once its pod is deleted.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, eventually, kubectl, kubectlOk, skipIfMissing } from './harness.js';
import { BUSYBOX, missingAgentPrerequisite, startAgentEnv, type AgentEnv } from './agent-fixture.js';

const missing = skipIfMissing(await missingAgentPrerequisite(), 'the agent ServiceAccount e2e test');
const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

describe('node agent ServiceAccount tokens', { skip: missing ?? false }, () => {
  let env: AgentEnv;

  const running = (name: string) =>
    eventually(
      () => {
        const p = env.getPod(name);
        return p.status?.phase === 'Running' && p.status.containerStatuses?.every((c) => c.state?.running) ? true : undefined;
      },
      `pod ${name} Running`,
      60_000,
    );
  const exec = (pod: string, script: string) => kubectl(env.server, ['exec', pod, '--', 'sh', '-c', script]);

  before(async () => {
    env = await startAgentEnv();
  });

  after(async () => {
    await env?.stop();
  });

  test('the token file is a TokenRequest bound to the pod, authenticates as its ServiceAccount, and dies with the pod', async () => {
    const s = env.server;
    kubectlOk(s, ['create', 'serviceaccount', 'robot']);
    kubectlOk(s, ['create', 'rolebinding', 'robot-view', '--clusterrole=view', '--serviceaccount=default:robot']);
    kubectlOk(s, ['create', 'service', 'clusterip', 'my-db', '--tcp=5432:5432']);
    const dbIp = kubectlOk(s, ['get', 'svc', 'my-db', '-o', 'jsonpath={.spec.clusterIP}']);
    env.apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'sa-pod' },
      spec: {
        serviceAccountName: 'robot',
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: 'c',
            image: BUSYBOX,
            command: ['sleep', '3600'],
            env: [{ name: 'API', value: 'https://$(KUBERNETES_SERVICE_HOST):$(KUBERNETES_SERVICE_PORT)' }],
          },
        ],
      },
    });
    await running('sa-pod');
    const pod = env.getPod('sa-pod');

    const token = exec('sa-pod', `cat ${SA_DIR}/token`);
    assert.equal(token.code, 0, token.stderr);
    const claims = JSON.parse(Buffer.from(token.stdout.split('.')[1]!, 'base64url').toString('utf8'));
    assert.equal(claims.sub, 'system:serviceaccount:default:robot');
    assert.deepEqual(claims.aud, ['https://kubernetes.default.svc.cluster.local']);
    // Upstream's extended expiration for the node's 3607 s requests: valid a year, due at 3607 s.
    assert.equal(claims.exp - claims.iat, 365 * 24 * 3600);
    assert.equal(claims['kubernetes.io'].warnafter - claims.iat, 3607);
    assert.deepEqual(claims['kubernetes.io'].pod, { name: 'sa-pod', uid: pod.metadata!.uid });
    assert.equal(claims['kubernetes.io'].node.name, env.nodeName);
    assert.equal(exec('sa-pod', `cat ${SA_DIR}/namespace`).stdout, 'default');
    assert.equal(exec('sa-pod', `cat ${SA_DIR}/ca.crt`).stdout, s.caCert);
    // Read-only, and laid out by the atomic writer (..data symlink to a timestamped dir).
    assert.notEqual(exec('sa-pod', `touch ${SA_DIR}/x`).code, 0);
    assert.match(exec('sa-pod', `ls -la ${SA_DIR}`).stdout, /\.\.data -> \.\.\d/);

    // The API server as a pod finds it.
    const svc = JSON.parse(kubectlOk(s, ['get', 'svc', 'kubernetes', '-n', 'default', '-o', 'json']));
    const ip = svc.spec.clusterIP;
    const vars = Object.fromEntries(
      exec('sa-pod', 'env')
        .stdout.split('\n')
        .filter((l) => l.startsWith('KUBERNETES_') || l.startsWith('API=') || l.startsWith('MY_DB_SERVICE_'))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    assert.deepEqual(vars, {
      KUBERNETES_SERVICE_HOST: ip,
      KUBERNETES_SERVICE_PORT: '443',
      KUBERNETES_SERVICE_PORT_HTTPS: '443',
      KUBERNETES_PORT: `tcp://${ip}:443`,
      KUBERNETES_PORT_443_TCP: `tcp://${ip}:443`,
      KUBERNETES_PORT_443_TCP_PROTO: 'tcp',
      KUBERNETES_PORT_443_TCP_PORT: '443',
      KUBERNETES_PORT_443_TCP_ADDR: ip,
      API: `https://${ip}:443`,
      // enableServiceLinks (the default): the namespace's Services too.
      MY_DB_SERVICE_HOST: dbIp,
      MY_DB_SERVICE_PORT: '5432',
      MY_DB_SERVICE_PORT_5432_5432: '5432',
    });

    // The pod's token is the ServiceAccount's credential (used here from the test: busybox has no TLS).
    const whoami = kubectlOk(s, ['auth', 'whoami', '--token', token.stdout]);
    assert.match(whoami, /Username\s+system:serviceaccount:default:robot\n/);
    assert.match(whoami, /authentication.kubernetes.io\/pod-name\s+\[sa-pod\]/);
    assert.match(whoami, new RegExp(`authentication.kubernetes.io/node-name\\s+\\[${env.nodeName}\\]`));
    const asPod = await api(s, 'GET', '/api/v1/namespaces/default/pods', undefined, { Authorization: `Bearer ${token.stdout}` });
    assert.equal(asPod.status, 200);
    assert.ok(asPod.json.items.some((p: { metadata: { name: string } }) => p.metadata.name === 'sa-pod'));
    assert.equal((await api(s, 'GET', '/api/v1/namespaces/default/secrets', undefined, { Authorization: `Bearer ${token.stdout}` })).status, 403);

    kubectlOk(s, ['delete', 'pod', 'sa-pod', '--wait=true', '--timeout=60s']);
    const after = await api(s, 'GET', '/api/v1/namespaces/default/pods', undefined, { Authorization: `Bearer ${token.stdout}` });
    assert.equal(after.status, 401);
  });

  test('automountServiceAccountToken: false: no token volume; enableServiceLinks: false: only the kubernetes Service variables', async () => {
    env.apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'no-token' },
      spec: {
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'c', image: BUSYBOX, command: ['sleep', '3600'] }],
      },
    });
    await running('no-token');
    assert.equal(env.getPod('no-token').spec!.volumes, undefined);
    assert.notEqual(exec('no-token', `ls ${SA_DIR}`).code, 0);
    const vars = exec('no-token', 'env').stdout;
    assert.match(vars, /^KUBERNETES_SERVICE_PORT=443$/m);
    assert.doesNotMatch(vars, /^MY_DB_/m);
    kubectlOk(env.server, ['delete', 'pod', 'no-token', '--wait=true', '--timeout=60s']);
  });
});
