// Container lifecycle hooks on a real containerd (agent-fixture.ts), as upstream's kubelet runs
// them: postStart (exec, httpGet) holds the container back from running/ready until it is done,
// and a failing one kills the container, which restarts; preStop runs before SIGTERM, on
// deletion and on a liveness failure, its time counted against the grace period; a failing
// preStop doesn't stop the termination. The pods are created together and checked one by one.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Container, Event, Pod } from 'kubernetes-types/core/v1';
import { eventually, kubectl, skipIfMissing } from './harness.js';
import { BUSYBOX, missingAgentPrerequisite, startAgentEnv, type AgentEnv } from './agent-fixture.js';

const missing = skipIfMissing(await missingAgentPrerequisite(), 'the agent lifecycle e2e test');

/**
 * A main process that notes its start and its SIGTERM in /shared/log (the trap runs between
 * short sleeps, so TERM is noted at once), and a hostPath /shared the test reads after the pod
 * is gone.
 */
const TRAPPING = 'trap "echo TERM >> /shared/log; exit 0" TERM; echo started >> /shared/log; while true; do sleep 0.2; done';

describe('node agent lifecycle hooks', { skip: missing ?? false }, () => {
  let env: AgentEnv;
  const shared = (name: string) => join(env.dir, 'hooks', name);

  const pod = (name: string, spec: Partial<Pod['spec']> & { containers: Container[] }, hostDir = false): Pod =>
    ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: {
        terminationGracePeriodSeconds: 2,
        ...spec,
        ...(hostDir ? { volumes: [...(spec.volumes ?? []), { name: 'shared', hostPath: { path: shared(name), type: 'DirectoryOrCreate' } }] } : {}),
      },
    }) as Pod;
  const withShared = (c: Container): Container => ({ ...c, volumeMounts: [...(c.volumeMounts ?? []), { name: 'shared', mountPath: '/shared' }] });

  const events = (name: string): Event[] =>
    (
      JSON.parse(kubectl(env.server, ['get', 'events', '--field-selector', `involvedObject.name=${name}`, '-o', 'json']).stdout || '{"items":[]}') as {
        items: Event[];
      }
    ).items;
  const status = (name: string, container: string) => env.getPod(name).status?.containerStatuses?.find((c) => c.name === container);
  const running = (name: string) =>
    eventually(
      () => {
        const p = env.getPod(name);
        return p.status?.phase === 'Running' && p.status.containerStatuses?.every((c) => c.state?.running && c.ready) ? true : undefined;
      },
      `pod ${name} running and ready`,
      30_000,
    );
  const exec = (name: string, container: string, script: string) => {
    const r = kubectl(env.server, ['exec', name, '-c', container, '--', 'sh', '-c', script]);
    return { code: r.code, out: r.stdout, err: r.stderr };
  };
  const deleteAndTime = (name: string): number => {
    const t0 = Date.now();
    const r = kubectl(env.server, ['delete', 'pod', name, '--wait=true', '--timeout=90s']);
    assert.equal(r.code, 0, r.stderr);
    return Date.now() - t0;
  };
  const sharedLog = (name: string) => (existsSync(join(shared(name), 'log')) ? readFileSync(join(shared(name), 'log'), 'utf8') : '');
  /** Running, and its main process has set its TERM trap. */
  const trapping = async (name: string) => {
    await running(name);
    await eventually(() => sharedLog(name) === 'started\n', `${name} started`, 10_000);
  };

  before(async () => {
    env = await startAgentEnv();
    for (const n of ['prestop-order', 'prestop-fail', 'prestop-sleep', 'prestop-liveness']) mkdirSync(shared(n), { recursive: true });
    env.apply(
      pod('poststart-exec', {
        containers: [
          {
            name: 'app',
            image: BUSYBOX,
            command: ['sh', '-c', 'until [ -f /tmp/hook ]; do sleep 0.1; done; echo "main saw: $(cat /tmp/hook)"; exec sleep 3600'],
            // Slow on purpose: while it runs the container must not show as running or ready.
            lifecycle: { postStart: { exec: { command: ['sh', '-c', 'sleep 2; echo written-by-poststart > /tmp/hook'] } } },
          },
        ],
      }),
      pod('poststart-fail', {
        containers: [
          {
            name: 'app',
            image: BUSYBOX,
            command: ['sleep', '3600'],
            lifecycle: { postStart: { exec: { command: ['sh', '-c', 'echo hook-broke >&2; exit 7'] } } },
          },
        ],
      }),
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'cgi' },
        data: {
          hook: '#!/bin/sh\necho "$REQUEST_METHOD $QUERY_STRING $HTTP_X_HOOK $HTTP_USER_AGENT" > /shared/hooked\necho "Content-Type: text/plain"\necho\necho ok\n',
        },
      },
      pod('poststart-http', {
        volumes: [
          { name: 'cgi', configMap: { name: 'cgi', defaultMode: 0o755 } },
          { name: 'shared', emptyDir: {} },
        ],
        // The HTTP server is a sidecar the app container starts after (its startup probe passed),
        // so that the hook, sent to the pod's IP, finds it listening.
        initContainers: [
          {
            name: 'web',
            image: BUSYBOX,
            restartPolicy: 'Always',
            command: ['httpd', '-f', '-p', '8080', '-h', '/www'],
            startupProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1, failureThreshold: 30 },
            volumeMounts: [
              { name: 'cgi', mountPath: '/www/cgi-bin' },
              { name: 'shared', mountPath: '/shared' },
            ],
          },
        ],
        containers: [
          {
            name: 'app',
            image: BUSYBOX,
            command: ['sleep', '3600'],
            ports: [{ name: 'hook', containerPort: 8080 }],
            volumeMounts: [{ name: 'shared', mountPath: '/shared' }],
            lifecycle: { postStart: { httpGet: { port: 'hook', path: '/cgi-bin/hook?from=poststart', httpHeaders: [{ name: 'X-Hook', value: 'yes' }] } } },
          },
        ],
      }),
      pod(
        'prestop-order',
        {
          terminationGracePeriodSeconds: 20,
          containers: [
            withShared({
              name: 'app',
              image: BUSYBOX,
              command: ['sh', '-c', TRAPPING],
              lifecycle: { preStop: { exec: { command: ['sh', '-c', 'echo prestop >> /shared/log'] } } },
            }),
          ],
        },
        true,
      ),
      pod(
        'prestop-fail',
        {
          terminationGracePeriodSeconds: 20,
          containers: [
            withShared({ name: 'app', image: BUSYBOX, command: ['sh', '-c', TRAPPING], lifecycle: { preStop: { exec: { command: ['sh', '-c', 'exit 3'] } } } }),
          ],
        },
        true,
      ),
      pod(
        'prestop-sleep',
        {
          terminationGracePeriodSeconds: 4,
          containers: [withShared({ name: 'app', image: BUSYBOX, command: ['sh', '-c', TRAPPING], lifecycle: { preStop: { sleep: { seconds: 120 } } } })],
        },
        true,
      ),
      pod(
        'prestop-liveness',
        {
          terminationGracePeriodSeconds: 10,
          containers: [
            withShared({
              name: 'app',
              image: BUSYBOX,
              command: ['sh', '-c', TRAPPING],
              livenessProbe: { exec: { command: ['false'] }, initialDelaySeconds: 1, periodSeconds: 1, failureThreshold: 1 },
              lifecycle: { preStop: { exec: { command: ['sh', '-c', 'echo prestop >> /shared/log'] } } },
            }),
          ],
        },
        true,
      ),
    );
  });

  after(async () => {
    await env?.stop();
  });

  test('postStart exec: the container shows running (and started, ready) only once its hook is done; the main process sees what the hook wrote', async () => {
    // What the container looked like the first time it showed as running.
    const first = (await eventually(
      () => {
        const s = status('poststart-exec', 'app');
        if (!s?.state?.running) return undefined;
        return { hookFile: exec('poststart-exec', 'app', 'cat /tmp/hook 2>&1').out, started: s.started, ready: s.ready };
      },
      'poststart-exec running',
      30_000,
    ))!;
    assert.equal(first.hookFile, 'written-by-poststart\n', 'the hook was done when the container first showed as running');
    assert.equal(first.started, true);
    await running('poststart-exec');
    await eventually(() => env.podLog('poststart-exec', 'app').includes('main saw: written-by-poststart'), 'main process saw the file', 10_000);
    assert.equal(status('poststart-exec', 'app')!.restartCount, 0);
  });

  test('postStart httpGet goes to the pod IP on a named port, with its path and headers', async () => {
    await running('poststart-http').catch((e: Error) => {
      const hookLines = env.runner
        .output()
        .split('\n')
        .filter((l) => l.includes('lifecycle hook'));
      throw new Error(`${e.message}: ${JSON.stringify(env.getPod('poststart-http').status?.containerStatuses)}\n${hookLines.join('\n')}`);
    });
    assert.equal(exec('poststart-http', 'app', 'cat /shared/hooked').out, 'GET from=poststart yes kube-lifecycle/1.32\n');
  });

  test('a failing postStart kills the container with FailedPostStartHook, and it restarts', async () => {
    await eventually(() => (status('poststart-fail', 'app')?.restartCount ?? 0) >= 1, 'poststart-fail restarted', 40_000);
    const evs = events('poststart-fail');
    const failed = evs.find((e) => e.reason === 'FailedPostStartHook');
    assert.ok(failed, `FailedPostStartHook event (got ${evs.map((e) => e.reason).join(', ')})`);
    assert.equal(failed.type, 'Warning');
    assert.equal(failed.message, 'PostStartHook failed');
    assert.equal(failed.involvedObject.fieldPath, 'spec.containers{app}');
    assert.ok(
      evs.some((e) => e.reason === 'Killing' && e.message === 'FailedPostStartHook'),
      'the container is killed for it',
    );
    // The hook's own output goes to the agent's log, as upstream's kubelet logs it.
    assert.match(
      env.runner.output(),
      /Exec lifecycle hook \(\[sh -c echo hook-broke >&2; exit 7\]\) for Container "app" in Pod "poststart-fail_default\([^)]+\)" failed - error: command 'sh -c echo hook-broke >&2; exit 7' exited with 7: hook-broke/,
    );
    const s = status('poststart-fail', 'app')!;
    assert.ok(s.lastState?.terminated, 'the killed container is the last state');
    assert.equal(s.ready, false);
  });

  test('preStop exec runs before SIGTERM on deletion', async () => {
    await trapping('prestop-order');
    deleteAndTime('prestop-order');
    assert.equal(sharedLog('prestop-order'), 'started\nprestop\nTERM\n');
    const evs = events('prestop-order');
    assert.ok(!evs.some((e) => e.reason === 'FailedPreStopHook'));
  });

  test('a failing preStop gives FailedPreStopHook and termination goes on with SIGTERM', async () => {
    await trapping('prestop-fail');
    deleteAndTime('prestop-fail');
    assert.equal(sharedLog('prestop-fail'), 'started\nTERM\n');
    const failed = (await eventually(() => events('prestop-fail').find((e) => e.reason === 'FailedPreStopHook'), 'FailedPreStopHook event', 10_000))!;
    assert.equal(failed.type, 'Warning');
    assert.equal(failed.message, 'PreStopHook failed');
  });

  test('a preStop sleep holds the deletion back, but only for the grace period', async () => {
    await trapping('prestop-sleep');
    const ms = deleteAndTime('prestop-sleep');
    // The hook may take all of the 4 s grace period; SIGTERM then still comes (2 s minimum).
    assert.ok(ms >= 4000, `deletion waited for the hook (${ms} ms)`);
    assert.ok(ms < 60_000, `the 120 s sleep was cut by the grace period (${ms} ms)`);
    assert.equal(sharedLog('prestop-sleep'), 'started\nTERM\n');
  });

  test('a liveness failure runs preStop before the container is killed and restarted', async () => {
    await eventually(() => (status('prestop-liveness', 'app')?.restartCount ?? 0) >= 1, 'prestop-liveness restarted', 40_000);
    await eventually(
      () => sharedLog('prestop-liveness').startsWith('started\nprestop\nTERM\nstarted\n'),
      'preStop, then TERM, then the next start',
      10_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}: ${JSON.stringify(sharedLog('prestop-liveness'))}`);
    });
    assert.ok(events('prestop-liveness').some((e) => e.reason === 'Killing' && /failed liveness probe, will be restarted/.test(e.message ?? '')));
  });
});
