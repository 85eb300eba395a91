// kubectl logs and exec streams, and native sidecars, with the real kubectl on a real containerd
// (agent-fixture.ts): `logs -f` while the container writes and after it restarts, --timestamps,
// --since, --since-time and --limit-bytes; `exec -it` in a pseudo-terminal (util-linux
// `script`), with its terminal size, a live resize, echo and the exit code; exec over the
// WebSocket protocol kubectl prefers (v5.channel.k8s.io), stdin closed on its own; sidecars
// (init containers with restartPolicy Always) started before the next init container, restarted
// beside the app, stopped when a Job-like pod's app is done, and stopped after the app on
// deletion. The pods are created together and checked one by one.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Container, ContainerStatus, Pod } from 'kubernetes-types/core/v1';
import { eventually, execOverWebSocket, kubectl, kubectlBackground, kubectlPath, requireCommand, skipIfMissing } from './harness.js';
import { BUSYBOX, missingAgentPrerequisite, startAgentEnv, type AgentEnv } from './agent-fixture.js';

const missing = skipIfMissing(await missingAgentPrerequisite(), 'the agent streams e2e test');

/** eventually() for a value: the first one fn gives that isn't undefined. */
async function waitFor<T>(fn: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs?: number): Promise<T> {
  return (await eventually(fn, what, timeoutMs)) as T;
}

const TS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(Z|[+-]\d\d:\d\d) /;
const sleeper = (name: string, extra: Partial<Container> = {}): Container => ({ name, image: BUSYBOX, command: ['sleep', '3600'], ...extra });
/**
 * A main process that notes its start and its SIGTERM in /shared/log (trapped between short
 * sleeps, so at once), the latter after delaySeconds.
 */
const noteTerm = (who: string, delaySeconds = 0) =>
  `trap '${delaySeconds ? `sleep ${delaySeconds}; ` : ''}echo ${who}-term >> /shared/log; exit 0' TERM; echo ${who}-started >> /shared/log; while true; do sleep 0.2; done`;

describe('kubectl logs and exec streams, native sidecars', { skip: missing ?? false }, () => {
  let env: AgentEnv;
  const shared = (name: string) => join(env.dir, 'streams', name);

  const pod = (name: string, spec: Partial<Pod['spec']> & { containers: Container[] }): Pod =>
    ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { terminationGracePeriodSeconds: 2, ...spec } }) as Pod;
  const initStatus = (name: string, container: string): ContainerStatus | undefined =>
    env.getPod(name).status?.initContainerStatuses?.find((c) => c.name === container);
  const appStatus = (name: string, container = 'app'): ContainerStatus | undefined =>
    env.getPod(name).status?.containerStatuses?.find((c) => c.name === container);
  const row = (name: string) => kubectl(env.server, ['get', 'pod', name, '--no-headers']).stdout.trim();
  const condition = (p: Pod, type: string) => p.status?.conditions?.find((c) => c.type === type);
  const describeStatus = (name: string) =>
    JSON.stringify({ init: env.getPod(name).status?.initContainerStatuses, app: env.getPod(name).status?.containerStatuses });
  const running = (name: string, container = 'app', ms = 30_000) =>
    waitFor(() => appStatus(name, container)?.state?.running, `${name}/${container} running`, ms).catch((e: Error) => {
      throw new Error(`${e.message}: ${describeStatus(name)}`);
    });

  before(async () => {
    env = await startAgentEnv();
    for (const d of ['sidecar-order', 'restarter', 'ticker']) mkdirSync(shared(d), { recursive: true });
    env.apply(
      // One line, then (once the test drops a file in its hostPath) fifteen more, one every 0.5 s.
      pod('ticker', {
        restartPolicy: 'Never',
        volumes: [{ name: 'shared', hostPath: { path: shared('ticker'), type: 'DirectoryOrCreate' } }],
        containers: [
          {
            name: 'app',
            image: BUSYBOX,
            command: [
              'sh',
              '-c',
              'echo "tick 1"; n=0; while [ ! -e /shared/go ] && [ $n -lt 600 ]; do n=$((n+1)); sleep 0.1; done; i=1; while [ $i -lt 16 ]; do i=$((i+1)); sleep 0.5; echo "tick $i"; done',
            ],
            volumeMounts: [{ name: 'shared', mountPath: '/shared' }],
          },
        ],
      }),
      // Each run names itself and prints a numbered line every 0.5 s until the test drops a file
      // in its hostPath, then fails. The first restart comes at once (as upstream); that run sees
      // the file and fails at once too, and a 10 s back-off follows.
      pod('restarter', {
        volumes: [{ name: 'shared', hostPath: { path: shared('restarter'), type: 'DirectoryOrCreate' } }],
        containers: [
          {
            name: 'app',
            image: BUSYBOX,
            command: [
              'sh',
              '-c',
              'id=$(cat /proc/sys/kernel/random/uuid); i=0; while [ ! -e /shared/stop ] && [ $i -lt 600 ]; do i=$((i+1)); echo "$id $i"; sleep 0.5; done; echo "$id end"; exit 1',
            ],
            volumeMounts: [{ name: 'shared', mountPath: '/shared' }],
          },
        ],
      }),
      pod('stamps', {
        restartPolicy: 'Never',
        containers: [{ name: 'app', image: BUSYBOX, command: ['sh', '-c', 'echo first; sleep 3; echo second'] }],
      }),
      pod('shell', { containers: [sleeper('app')] }),
      pod('sidecar-web', {
        volumes: [{ name: 'www', emptyDir: {} }],
        initContainers: [
          {
            name: 'web',
            image: BUSYBOX,
            restartPolicy: 'Always',
            command: ['sh', '-c', 'echo from-the-sidecar > /www/index.html; exec httpd -f -p 8080 -h /www'],
            volumeMounts: [{ name: 'www', mountPath: '/www' }],
            // The next init container must not start before this passes.
            startupProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1, failureThreshold: 30 },
          },
          // One try, no retry loop: it fails (and shows a restart) unless the sidecar already serves.
          { name: 'check', image: BUSYBOX, command: ['wget', '-q', '-O', '-', 'http://localhost:8080/'] },
        ],
        containers: [sleeper('app')],
      }),
      pod('sidecar-crash', {
        initContainers: [{ name: 'side', image: BUSYBOX, restartPolicy: 'Always', command: ['sh', '-c', 'echo up; sleep 2; exit 1'] }],
        containers: [sleeper('app')],
      }),
      pod('job-never', {
        restartPolicy: 'Never',
        initContainers: [sleeper('side', { restartPolicy: 'Always' })],
        containers: [{ name: 'app', image: BUSYBOX, command: ['sh', '-c', 'sleep 2; echo job-done'] }],
      }),
      // The app fails once (and is restarted), then succeeds; the sidecar stays up throughout.
      pod('job-onfailure', {
        restartPolicy: 'OnFailure',
        terminationGracePeriodSeconds: 10,
        volumes: [{ name: 'work', emptyDir: {} }],
        initContainers: [
          { name: 'side', image: BUSYBOX, restartPolicy: 'Always', command: ['sh', '-c', "trap 'echo got-term; exit 0' TERM; while true; do sleep 0.2; done"] },
        ],
        containers: [
          {
            name: 'app',
            image: BUSYBOX,
            command: ['sh', '-c', 'sleep 1; [ -f /work/ran ] && exit 0; touch /work/ran; exit 1'],
            volumeMounts: [{ name: 'work', mountPath: '/work' }],
          },
        ],
      }),
      pod('sidecar-order', {
        terminationGracePeriodSeconds: 15,
        volumes: [{ name: 'shared', hostPath: { path: shared('sidecar-order'), type: 'DirectoryOrCreate' } }],
        initContainers: [
          {
            name: 'side',
            image: BUSYBOX,
            restartPolicy: 'Always',
            command: ['sh', '-c', noteTerm('sidecar')],
            volumeMounts: [{ name: 'shared', mountPath: '/shared' }],
          },
        ],
        // The app takes 2 s over its SIGTERM: a sidecar stopped at the same time would note it first.
        containers: [{ name: 'app', image: BUSYBOX, command: ['sh', '-c', noteTerm('app', 2)], volumeMounts: [{ name: 'shared', mountPath: '/shared' }] }],
      }),
    );
  });

  after(async () => {
    await env?.stop();
  });

  test('logs -f streams the lines as the container writes them, in order, and ends (exit 0) when it exits', async () => {
    await running('ticker');
    const f = kubectlBackground(env.server, ['logs', '-f', 'ticker']);
    const lines = () => f.stdout().split('\n').filter(Boolean);
    await eventually(() => lines().length === 1, 'the first line');
    // Everything from here on is written after kubectl started following.
    writeFileSync(join(shared('ticker'), 'go'), '');
    // The line counts kubectl's output had, each time it was looked at while kubectl ran.
    const counts = new Set<number>();
    await eventually(
      () => {
        counts.add(lines().length);
        return f.proc.exitCode !== null;
      },
      'logs -f to end',
      30_000,
    );
    assert.equal(await f.done, 0, f.stderr());
    assert.deepEqual(
      lines(),
      Array.from({ length: 16 }, (_, i) => `tick ${i + 1}`),
    );
    // It grew line by line as the container wrote, not all at the end.
    assert.ok([...counts].filter((n) => n > 1 && n < 16).length >= 4, `the output had ${[...counts].join(', ')} lines`);
    await eventually(() => env.getPod('ticker').status?.phase === 'Succeeded', 'ticker Succeeded');
  });

  test('logs -f on a restarting container follows that container and ends when it exits, as upstream (not into the next run)', async () => {
    await running('restarter');
    assert.equal(appStatus('restarter')!.restartCount, 0);
    const f = kubectlBackground(env.server, ['logs', '-f', 'restarter']);
    await eventually(() => f.stdout().split('\n').length > 3, 'a few lines followed');
    writeFileSync(join(shared('restarter'), 'stop'), '');
    assert.equal(await f.done, 0, f.stderr());
    const out = f.stdout().trim().split('\n');
    const id = out[0]!.split(' ')[0]!;
    assert.deepEqual(out, [...Array.from({ length: out.length - 1 }, (_, i) => `${id} ${i + 1}`), `${id} end`], 'the whole of the first run, once');
    // The pod lives on: the container runs again (the first restart comes at once, as upstream),
    // as a new container with a log of its own (the stop file makes it end at once).
    const second = await waitFor(
      () => {
        const s = appStatus('restarter');
        if (s?.restartCount !== 1 || s.lastState?.terminated?.exitCode !== 1) return undefined;
        return kubectl(env.server, ['logs', 'restarter']).stdout.trim() || undefined;
      },
      'the second run',
      30_000,
    );
    assert.match(second, /^\S+ end$/);
    assert.notEqual(second.split(' ')[0], id);
    assert.equal(kubectl(env.server, ['logs', 'restarter', '--previous']).stdout.trim(), out.join('\n'), 'the followed run is now --previous');
    // In the back-off after it there is nothing to follow: the last run is printed, and that is all.
    // Usually the back-off after the second run; on a loaded machine the poll may first see a
    // later one (each run ends at once the same way), whose last run is then the one printed.
    const backoff = await eventually(
      () => {
        const s = appStatus('restarter');
        return (s?.restartCount ?? 0) >= 1 && s?.state?.waiting?.reason === 'CrashLoopBackOff' ? s : undefined;
      },
      'the back-off',
      30_000,
    );
    const during = kubectl(env.server, ['logs', '-f', 'restarter'], { timeoutMs: 15_000 });
    assert.equal(during.code, 0, during.stderr);
    assert.match(during.stdout.trim(), /^\S+ end$/, 'one run, printed whole, not followed into the next');
    assert.notEqual(during.stdout.split(' ')[0], id);
    if (backoff!.restartCount === 1) assert.equal(during.stdout.trim(), second);
  });

  test('logs --timestamps, --since, --since-time and --limit-bytes as upstream', async () => {
    await eventually(() => env.getPod('stamps').status?.phase === 'Succeeded', 'stamps Succeeded', 30_000);
    const stamped = kubectl(env.server, ['logs', 'stamps', '--timestamps']).stdout.trim().split('\n');
    assert.equal(stamped.length, 2, stamped.join('\n'));
    for (const l of stamped) assert.match(l, TS);
    assert.deepEqual(
      stamped.map((l) => l.replace(TS, '')),
      ['first', 'second'],
    );
    const [t1, t2] = stamped.map((l) => Date.parse(l.split(' ')[0]!)) as [number, number];
    assert.ok(t2 - t1 >= 2900 && t2 - t1 < 10_000, `second came about 3 s after first (${t2 - t1} ms)`);
    const term = appStatus('stamps')!.state!.terminated!;
    // The status has whole seconds.
    assert.ok(
      t1 >= Date.parse(term.startedAt!) && t2 < Date.parse(term.finishedAt!) + 1000,
      `${stamped.join(', ')} within ${term.startedAt}..${term.finishedAt}`,
    );

    // Halfway between the lines (kubectl sends whole seconds: 1 s of slack either way).
    const mid = new Date(t1 + 1500).toISOString();
    assert.equal(kubectl(env.server, ['logs', 'stamps', `--since-time=${mid}`]).stdout, 'second\n');
    const since = Math.round((Date.now() - (t1 + 1500)) / 1000);
    assert.equal(kubectl(env.server, ['logs', 'stamps', `--since=${since}s`]).stdout, 'second\n');
    assert.equal(kubectl(env.server, ['logs', 'stamps', '--since=1h']).stdout, 'first\nsecond\n');
    assert.equal(kubectl(env.server, ['logs', 'stamps', '--limit-bytes=8']).stdout, 'first\nse');
    assert.equal(kubectl(env.server, ['logs', 'stamps', '--timestamps', '--limit-bytes=4']).stdout, stamped[0]!.slice(0, 4));
    assert.equal(kubectl(env.server, ['logs', 'stamps', '--timestamps', '--tail=1']).stdout, `${stamped[1]}\n`);
  });

  test('exec -it in a terminal: a /dev/pts tty of the terminal size, a live resize, echo, output, and the exit code', async (t) => {
    if (!requireCommand('script', t)) return;
    await running('shell');
    const dir = mkdtempSync(join(tmpdir(), 'berth-tty-'));
    const trigger = join(dir, 'resize');
    // kubectl needs a real terminal for -t: script(1) gives it one of 37x91. A helper in the same
    // session resizes that terminal when the test says so; the kernel then signals kubectl
    // (SIGWINCH), which sends the new size on the resize stream.
    const session = [
      'stty rows 37 cols 91',
      `(for i in $(seq 600); do [ -e ${trigger} ] && break; sleep 0.1; done; stty rows 50 cols 120 < /dev/tty) &`,
      `exec ${kubectlPath()} exec -it shell -- sh`,
    ].join('\n');
    const p = spawn('script', ['-qec', session, '/dev/null'], {
      env: { ...process.env, KUBECONFIG: env.server.kubeconfig, HOME: dir, KUBECACHEDIR: join(dir, 'cache'), TERM: 'xterm' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => p.on('exit', (c) => r(c)));
    const shown = (from: number, re: RegExp, what: string, ms = 15_000) =>
      eventually(() => re.exec(out.slice(from)), what, ms).catch((e: Error) => {
        throw new Error(`${e.message}; the terminal showed: ${JSON.stringify(out)}`);
      });
    const type = (s: string) => {
      const from = out.length;
      p.stdin.write(s);
      return from;
    };
    try {
      await shown(0, /# /, 'the shell prompt');
      let from = type('tty\n');
      await shown(from, /\/dev\/pts\/\d+/, 'tty names a pseudo-terminal');
      from = type('stty size\n');
      await shown(from, /\r?\n37 91\r?\n/, 'the terminal size kubectl sent');
      writeFileSync(trigger, '');
      // The resize goes its own way; ask until the shell's terminal has it.
      await eventually(
        async () => {
          const at = type('stty size\n');
          await new Promise((r) => setTimeout(r, 400));
          return /\r?\n50 120\r?\n/.test(out.slice(at));
        },
        'the resized terminal',
        15_000,
      ).catch((e: Error) => {
        throw new Error(`${e.message}; the terminal showed: ${JSON.stringify(out)}`);
      });
      from = type('echo $((6*7))\n');
      // The remote terminal echoes what was typed (kubectl's own terminal is raw), then the output.
      await shown(from, /echo \$\(\(6\*7\)\)\r?\n42\r?\n/, 'the echo and the output');
      type('exit 3\n');
      assert.equal(await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 20_000))]), 3, out);
      assert.match(out, /command terminated with exit code 3/);
    } finally {
      if (p.exitCode === null) p.kill('SIGKILL');
      writeFileSync(trigger, '');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('exec speaks WebSocket v5.channel.k8s.io with kubectl, no SPDY fallback; stdin closes on its own', async () => {
    await running('shell');
    const r = kubectl(env.server, ['exec', '-i', '-v=6', 'shell', '--', 'sh', '-c', 'wc -c; echo to-stderr >&2; exit 5'], { input: 'hello\n' });
    assert.equal(r.code, 5, r.stderr);
    assert.equal(r.stdout.trim(), '6', 'cat saw the end of stdin');
    assert.match(r.stderr, /to-stderr/);
    assert.match(r.stderr, /subprotocol is v5\.channel\.k8s\.io/);
    assert.doesNotMatch(r.stderr, /fallback/i);

    // The protocol itself, as any client speaks it: channels 0-4, the close signal 255.
    const q = new URLSearchParams([
      ['command', 'sh'],
      ['command', '-c'],
      ['command', 'cat; echo bye >&2; exit 7'],
      ['stdin', 'true'],
      ['stdout', 'true'],
      ['stderr', 'true'],
    ]);
    const { ws, got, closed } = execOverWebSocket(env.server, 'shell', q);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    assert.equal(ws.protocol, 'v5.channel.k8s.io');
    ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('over the websocket\n')]));
    ws.send(Buffer.from([255, 0]));
    assert.equal(await closed, 1000);
    assert.equal(got[1], 'over the websocket\n');
    assert.equal(got[2], 'bye\n');
    const status = JSON.parse(got[3] ?? '{}');
    assert.equal(status.status, 'Failure');
    assert.equal(status.reason, 'NonZeroExitCode');
    assert.deepEqual(status.details.causes, [{ reason: 'ExitCode', message: '7' }]);
  });

  test('a sidecar starts (startup probe passed) before the next init container, which reaches it over localhost; it runs beside the app: 2/2', async () => {
    await running('sidecar-web');
    const p = await waitFor(
      () => {
        const x = env.getPod('sidecar-web');
        return x.status?.phase === 'Running' && condition(x, 'Ready')?.status === 'True' ? x : undefined;
      },
      'sidecar-web Ready',
      30_000,
    );
    const [web, check] = p.status!.initContainerStatuses!;
    assert.equal(web!.name, 'web');
    assert.ok(web!.state?.running, JSON.stringify(web));
    assert.equal(web!.started, true);
    assert.equal(web!.ready, true);
    assert.equal(web!.restartCount, 0);
    assert.equal(check!.state?.terminated?.exitCode, 0, JSON.stringify(check));
    assert.equal(check!.state?.terminated?.reason, 'Completed');
    assert.equal(check!.ready, true, 'a regular init container that succeeded is ready (upstream)');
    assert.equal(check!.restartCount, 0, 'the first try reached the sidecar');
    assert.equal(env.podLog('sidecar-web', 'check'), 'from-the-sidecar\n');
    for (const type of ['Initialized', 'ContainersReady', 'Ready']) assert.equal(condition(p, type)?.status, 'True', type);
    assert.match(row('sidecar-web'), /^sidecar-web\s+2\/2\s+Running\s+0\s/);
    // The sidecar serves the app over the pod's localhost.
    assert.equal(
      kubectl(env.server, ['exec', 'sidecar-web', '-c', 'app', '--', 'wget', '-q', '-O', '-', 'http://localhost:8080/']).stdout,
      'from-the-sidecar\n',
    );
  });

  test('a crashing sidecar is restarted with back-off while the app keeps running; the pod stays initialized but not ready', async () => {
    const app = await running('sidecar-crash');
    const appId = appStatus('sidecar-crash')!.containerID;
    // In a back-off: upstream's table shows the sidecar's state, the app counted as ready.
    await eventually(
      () => /^sidecar-crash\s+1\/2\s+Init:CrashLoopBackOff\s+[1-9]/.test(row('sidecar-crash')),
      'sidecar-crash 1/2 Init:CrashLoopBackOff',
      30_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}: ${row('sidecar-crash')} ${describeStatus('sidecar-crash')}`);
    });
    const p = await waitFor(
      () => {
        const x = env.getPod('sidecar-crash');
        const side = x.status?.initContainerStatuses?.[0];
        return side?.state?.waiting?.reason === 'CrashLoopBackOff' ? x : undefined;
      },
      'a status in back-off',
      30_000,
    );
    assert.equal(p.status!.phase, 'Running');
    assert.equal(condition(p, 'Initialized')?.status, 'True', 'a regular container has run: initialized, even with the sidecar down');
    assert.deepEqual([condition(p, 'Ready')?.status, condition(p, 'Ready')?.message], ['False', 'containers with unready status: [side]']);
    assert.equal(p.status!.initContainerStatuses![0]!.lastState?.terminated?.exitCode, 1);
    await eventually(() => (initStatus('sidecar-crash', 'side')?.restartCount ?? 0) >= 2, 'the sidecar restarted twice', 40_000);
    const later = appStatus('sidecar-crash')!;
    assert.equal(later.containerID, appId, 'the app container was never replaced');
    assert.equal(later.restartCount, 0);
    assert.equal(later.state?.running?.startedAt, app.startedAt);
    assert.equal(env.podLog('sidecar-crash', 'side'), 'up\n');
  });

  test('a Job-like pod (restartPolicy Never) completes when its app exits: the agent stops the sidecar, phase Succeeded', async () => {
    const p = await waitFor(
      () => {
        const x = env.getPod('job-never');
        return x.status?.phase === 'Succeeded' ? x : undefined;
      },
      'job-never Succeeded',
      30_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}: ${describeStatus('job-never')}`);
    });
    const app = p.status!.containerStatuses![0]!.state!.terminated!;
    const side = p.status!.initContainerStatuses![0]!;
    assert.deepEqual([app.exitCode, app.reason], [0, 'Completed']);
    // sleep as PID 1 ignores SIGTERM: killed after the 2 s grace period. A sidecar's exit code
    // doesn't decide the phase.
    assert.equal(side.state?.terminated?.exitCode, 137, JSON.stringify(side));
    assert.equal(side.restartCount, 0);
    assert.ok(Date.parse(side.state!.terminated!.finishedAt!) >= Date.parse(app.finishedAt!), 'the sidecar stopped after the app');
    assert.deepEqual(
      [condition(p, 'Initialized')?.reason, condition(p, 'Ready')?.reason, condition(p, 'ContainersReady')?.reason],
      ['PodCompleted', 'PodCompleted', 'PodCompleted'],
    );
    assert.match(row('job-never'), /^job-never\s+0\/2\s+Completed\s+0\s/);
    assert.equal(env.podLog('job-never', 'app'), 'job-done\n');
  });

  test('restartPolicy OnFailure: the app is restarted beside the running sidecar, then the pod completes with the sidecar stopped by SIGTERM', async () => {
    const p = await waitFor(
      () => {
        const x = env.getPod('job-onfailure');
        return x.status?.phase === 'Succeeded' ? x : undefined;
      },
      'job-onfailure Succeeded',
      40_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}: ${describeStatus('job-onfailure')}`);
    });
    const app = p.status!.containerStatuses![0]!;
    assert.equal(app.restartCount, 1);
    assert.equal(app.lastState?.terminated?.exitCode, 1);
    assert.equal(app.state?.terminated?.exitCode, 0);
    const side = p.status!.initContainerStatuses![0]!;
    assert.equal(side.restartCount, 0);
    // One sidecar container across both runs of the app: up before the first ended, down after the last.
    const sideRun = side.state!.terminated!;
    assert.ok(Date.parse(sideRun.startedAt!) <= Date.parse(app.lastState!.terminated!.finishedAt!), JSON.stringify(p.status));
    assert.ok(Date.parse(sideRun.finishedAt!) >= Date.parse(app.state!.terminated!.finishedAt!), JSON.stringify(p.status));
    assert.equal(sideRun.exitCode, 0, 'it left on its SIGTERM trap');
    assert.equal(env.podLog('job-onfailure', 'side'), 'got-term\n');
  });

  test('deleting a pod stops the sidecar only after the app container has stopped', async () => {
    await running('sidecar-order');
    const log = join(shared('sidecar-order'), 'log');
    const noted = () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []);
    await eventually(() => noted().length === 2, 'both containers set their trap');
    const r = kubectl(env.server, ['delete', 'pod', 'sidecar-order', '--wait=true', '--timeout=60s']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      noted().filter((l) => l.endsWith('-term')),
      ['app-term', 'sidecar-term'],
    );
  });
});
