// What outside clients see from the node agent, on a real containerd (agent-fixture.ts): a pod
// reading a Secret key written as stringData runs; a pod reading a missing key waits in
// CreateContainerConfigError and `kubectl logs` says so; `kubectl exec` in a container that is
// not running fails with the kubelet's message; an exec whose booleans are spelled as the Python
// client spells them (stdout=True) streams.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, execOverWebSocket, kubectl, skipIfMissing } from './harness.js';
import { BUSYBOX, missingAgentPrerequisite, startAgentEnv, type AgentEnv } from './agent-fixture.js';

const missing = skipIfMissing(await missingAgentPrerequisite(), 'the agent outside-clients e2e test');

describe('node agent: what outside clients see', { skip: missing ?? false }, () => {
  let env: AgentEnv;
  const status = (pod: string, container: string) =>
    [...(env.getPod(pod).status?.containerStatuses ?? []), ...(env.getPod(pod).status?.initContainerStatuses ?? [])].find((c) => c.name === container);

  before(async () => {
    env = await startAgentEnv();
    env.apply(
      // stringData only for `password`; `user` comes from data.
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'creds' },
        data: { user: Buffer.from('admin').toString('base64') },
        stringData: { password: 's3cr3t' },
      },
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'reads-secret' },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [
            {
              name: 'app',
              image: BUSYBOX,
              command: ['sh', '-c', 'echo "user=$USER_NAME password=$PASSWORD"; sleep 3600'],
              env: [
                { name: 'USER_NAME', valueFrom: { secretKeyRef: { name: 'creds', key: 'user' } } },
                { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
              ],
            },
          ],
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'missing-key' },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [
            { name: 'app', image: BUSYBOX, command: ['sleep', '3600'], env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'creds', key: 'nope' } } }] },
          ],
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'one-done' },
        spec: {
          terminationGracePeriodSeconds: 1,
          restartPolicy: 'Never',
          containers: [
            { name: 'app', image: BUSYBOX, command: ['sleep', '3600'] },
            { name: 'done', image: BUSYBOX, command: ['true'] },
          ],
        },
      },
    );
  });

  after(async () => {
    await env?.stop();
  });

  test('a Secret key written as stringData reaches the container as any data key', async () => {
    await eventually(() => status('reads-secret', 'app')?.state?.running, 'reads-secret running', 40_000);
    const log = await eventually(() => env.podLog('reads-secret', 'app').trim() || undefined, 'its log line');
    assert.equal(log, 'user=admin password=s3cr3t');
  });

  test('kubectl logs of a container stuck in CreateContainerConfigError gives that reason', async () => {
    const waiting = await eventually(() => status('missing-key', 'app')?.state?.waiting, 'missing-key waiting', 40_000);
    await eventually(() => status('missing-key', 'app')?.state?.waiting?.reason === 'CreateContainerConfigError', 'CreateContainerConfigError', 30_000).catch(
      (e: Error) => {
        throw new Error(`${e.message}: ${JSON.stringify(waiting)}`);
      },
    );
    assert.match(status('missing-key', 'app')!.state!.waiting!.message!, /couldn't find key nope in Secret default\/creds/);
    const r = kubectl(env.server, ['logs', 'missing-key']);
    assert.notEqual(r.code, 0);
    assert.equal(r.stderr.trim(), 'Error from server (BadRequest): container "app" in pod "missing-key" is waiting to start: CreateContainerConfigError');
    // exec in it: the kubelet's message, not an empty one.
    const x = kubectl(env.server, ['exec', 'missing-key', '--', 'true']);
    assert.notEqual(x.code, 0);
    assert.equal(x.stderr.trim(), 'error: unable to upgrade connection: container not found ("app")');
  });

  test('kubectl exec in a container that has exited says "container not found", with kubectl 1.32 and 1.27', async () => {
    await eventually(
      () => status('one-done', 'done')?.state?.terminated && status('one-done', 'app')?.state?.running,
      'one-done: done exited, app running',
      40_000,
    );
    for (const version of ['1.32', '1.27']) {
      const r = kubectl(env.server, ['exec', 'one-done', '-c', 'done', '--', 'true'], { version });
      assert.notEqual(r.code, 0, version);
      assert.equal(r.stderr.trim(), 'error: unable to upgrade connection: container not found ("done")', version);
    }
    // A container the pod doesn't have is the API server's 400, as upstream.
    const bad = kubectl(env.server, ['exec', 'one-done', '-c', 'nope', '--', 'true']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /container nope is not valid for pod one-done/);
    // The running one still answers.
    assert.equal(kubectl(env.server, ['exec', 'one-done', '-c', 'app', '--', 'echo', 'alive']).stdout, 'alive\n');
  });

  test('exec with stdout=True (as the Python client spells it) streams the output', async () => {
    const q = new URLSearchParams([
      ['command', 'echo'],
      ['command', 'spelled-True'],
      ['container', 'app'],
      ['stdout', 'True'],
      ['stderr', 'False'],
      ['stdin', 'false'],
      ['tty', 'FALSE'],
    ]);
    const { ws, got, closed } = execOverWebSocket(env.server, 'one-done', q);
    assert.equal(await closed, 1000);
    assert.equal(got[1], 'spelled-True\n');
    assert.equal(got[2], undefined, 'no stderr stream was asked for');
    assert.equal(JSON.parse(got[3] ?? '{}').status, 'Success');
  });
});
