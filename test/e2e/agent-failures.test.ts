// Failures as upstream shows them, on a real containerd (agent-fixture.ts): a failing init
// container of a restarting pod goes Init:Error then Init:CrashLoopBackOff and the app containers
// never start; a container over its memory limit is OOMKilled, then CrashLoopBackOff.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, kubectl, skipIfMissing } from './harness.js';
import { BUSYBOX, missingAgentPrerequisite, startAgentEnv, type AgentEnv } from './agent-fixture.js';

const missing = skipIfMissing(await missingAgentPrerequisite(), 'the agent failures e2e test');

describe('node agent failures', { skip: missing ?? false }, () => {
  let env: AgentEnv;

  before(async () => {
    env = await startAgentEnv();
  });

  after(async () => {
    await env?.stop();
  });

  test('a failing init container shows Init:Error, then Init:CrashLoopBackOff, and blocks the app containers', async () => {
    env.apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'initloop' },
      spec: {
        terminationGracePeriodSeconds: 2,
        initContainers: [
          { name: 'ok', image: BUSYBOX, command: ['true'] },
          { name: 'fails', image: BUSYBOX, command: ['sh', '-c', 'echo init-failing; exit 2'] },
        ],
        containers: [{ name: 'app', image: BUSYBOX, command: ['sleep', '3600'] }],
      },
    });
    const seen = new Set<string>();
    const line = () => kubectl(env.server, ['get', 'pod', 'initloop', '--no-headers']).stdout;
    await eventually(
      () => {
        const m = /^initloop\s+\S+\s+(\S+)/.exec(line());
        if (m) seen.add(m[1]!);
        return seen.has('Init:CrashLoopBackOff') ? true : undefined;
      },
      'Init:CrashLoopBackOff',
      30_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message} (seen: ${[...seen].join(', ')})`);
    });
    assert.ok(seen.has('Init:Error') || seen.has('Init:1/2'), `an Init: status before the back-off (seen: ${[...seen].join(', ')})`);
    assert.match(line(), /^initloop\s+0\/1\s+Init:CrashLoopBackOff\s+[1-9]/);
    const pod = env.getPod('initloop');
    assert.equal(pod.status!.phase, 'Pending');
    const [ok, fails] = pod.status!.initContainerStatuses!;
    assert.equal(ok!.state?.terminated?.reason, 'Completed');
    assert.equal(fails!.state?.waiting?.reason, 'CrashLoopBackOff');
    assert.equal(fails!.lastState?.terminated?.exitCode, 2);
    assert.equal(fails!.lastState?.terminated?.reason, 'Error');
    assert.ok(fails!.restartCount >= 1);
    assert.equal(pod.status!.containerStatuses![0]!.state?.waiting?.reason, 'PodInitializing');
    assert.equal(pod.status!.conditions!.find((c) => c.type === 'Initialized')?.status, 'False');
    // The app container was never created.
    const app = await env.rt.listContainers({ labelSelector: { 'io.kubernetes.pod.uid': pod.metadata!.uid!, 'io.kubernetes.container.name': 'app' } });
    assert.equal(app.length, 0);
    assert.match(kubectl(env.server, ['logs', 'initloop', '-c', 'fails']).stdout, /init-failing/);
  });

  test('a container over its memory limit is OOMKilled, restarts, and shows CrashLoopBackOff', async () => {
    env.apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'oomloop' },
      spec: {
        terminationGracePeriodSeconds: 2,
        containers: [
          {
            name: 'c',
            image: BUSYBOX,
            command: ['sh', '-c', 'x=$(head -c 100000000 /dev/zero | tr "\\0" a); echo survived'],
            resources: { limits: { memory: '16Mi' } },
          },
        ],
      },
    });
    const cs = (await eventually(
      () => {
        const s = env.getPod('oomloop').status?.containerStatuses?.[0];
        return s?.state?.waiting?.reason === 'CrashLoopBackOff' && s.lastState?.terminated ? s : undefined;
      },
      'CrashLoopBackOff after OOMKilled',
      40_000,
    ))!;
    assert.equal(cs.lastState!.terminated!.reason, 'OOMKilled');
    assert.equal(cs.lastState!.terminated!.exitCode, 137);
    assert.ok(cs.restartCount >= 1);
    assert.match(cs.state!.waiting!.message!, /^back-off \d+[sm]\S* restarting failed container=c pod=oomloop_default\(/);
    assert.match(kubectl(env.server, ['get', 'pod', 'oomloop', '--no-headers']).stdout, /^oomloop\s+0\/1\s+CrashLoopBackOff\s+[1-9]/);
    assert.equal(env.getPod('oomloop').status!.phase, 'Running');
    assert.match(kubectl(env.server, ['describe', 'pod', 'oomloop']).stdout, /Last State:\s+Terminated\s+Reason:\s+OOMKilled/);
  });
});
