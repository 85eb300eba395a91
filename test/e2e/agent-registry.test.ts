// Image pulls from a real registry on loopback: Debian's docker-registry on 127.0.0.1 with a temp
// config and storage, an image built from busybox-static pushed to it with skopeo from an OCI
// layout, and pods with imagePullPolicy Always on the node agent (agent-fixture.ts), which pull
// it through containerd — and pull again when the tag moves.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { busyboxLayer, findStaticBusybox, ociArchive } from '../../src/runtime/index.js';
import { eventually, kubectl, requireCommand, skipIfMissing } from './harness.js';
import { missingAgentPrerequisite, startAgentEnv, type AgentEnv } from './agent-fixture.js';

let why = await missingAgentPrerequisite();
if (!why && !requireCommand('docker-registry')) why = 'docker-registry is not installed (apt-get install docker-registry)';
if (!why && !requireCommand('skopeo')) why = 'skopeo is not installed (apt-get install skopeo)';
const missing = skipIfMissing(why, 'the registry e2e test');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

describe('image pulls from a registry on loopback', { skip: missing ?? false }, () => {
  let env: AgentEnv;
  let dir: string;
  let registry: ChildProcess | undefined;
  let registryLog = '';
  let host: string;

  /** Builds an image from busybox-static whose command prints msg, as an OCI layout, and pushes it with skopeo. */
  async function push(ref: string, msg: string): Promise<void> {
    const layoutDir = mkdtempSync(join(dir, 'layout-'));
    const tarFile = `${layoutDir}.tar`;
    const tag = ref.slice(ref.lastIndexOf(':') + 1);
    writeFileSync(
      tarFile,
      ociArchive([
        { name: `berth.local/pushed:${tag}`, layer: await busyboxLayer((await findStaticBusybox())!), cmd: ['sh', '-c', `echo ${msg}; exec sleep 3600`] },
      ]),
    );
    const x = spawnSync('tar', ['-xf', tarFile, '-C', layoutDir], { encoding: 'utf8' });
    assert.equal(x.status, 0, x.stderr);
    const r = spawnSync('skopeo', ['--insecure-policy', 'copy', '--dest-tls-verify=false', `oci:${layoutDir}:${tag}`, `docker://${ref}`], {
      encoding: 'utf8',
      env: { ...process.env, HOME: dir },
      timeout: 60_000,
    });
    assert.equal(r.status, 0, `skopeo copy: ${r.stderr}\nregistry: ${registryLog}`);
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-reg-'));
    const port = await freePort();
    host = `127.0.0.1:${port}`;
    mkdirSync(join(dir, 'storage'));
    const config = join(dir, 'config.yml');
    writeFileSync(
      config,
      [
        'version: 0.1',
        'log:',
        '  level: warn',
        'storage:',
        '  filesystem:',
        `    rootdirectory: ${join(dir, 'storage')}`,
        '  delete:',
        '    enabled: true',
        'http:',
        `  addr: ${host}`,
        '',
      ].join('\n'),
    );
    registry = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    registry.stdout!.on('data', (d) => (registryLog += d));
    registry.stderr!.on('data', (d) => (registryLog += d));
    await eventually(async () => (await httpStatus(`http://${host}/v2/`)) === 200, 'registry answering', 15_000).catch((e: Error) => {
      throw new Error(`${e.message}: ${registryLog}`);
    });
    env = await startAgentEnv({ nodeName: 'reg-node' });
  });

  after(async () => {
    await env?.stop();
    if (registry && registry.exitCode === null) {
      const exited = new Promise((r) => registry!.on('exit', r));
      registry.kill('SIGTERM');
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a pod with imagePullPolicy Always pulls from the registry, and pulls again when the tag moves', async () => {
    const image = `${host}/berth/pushed:v1`;
    await push(image, 'first-push');
    const pod = (name: string) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: { terminationGracePeriodSeconds: 2, containers: [{ name: 'c', image, imagePullPolicy: 'Always' }] },
    });
    env.apply(pod('pulled1'));
    await eventually(() => env.getPod('pulled1').status?.containerStatuses?.[0]?.state?.running, 'pulled1 Running', 60_000);
    await eventually(() => env.podLog('pulled1', 'c').includes('first-push'), 'log of the pulled image', 10_000);
    const first = env.getPod('pulled1').status!.containerStatuses![0]!;
    assert.equal(first.image, image);
    const events = kubectl(env.server, ['get', 'events', '--field-selector', 'involvedObject.name=pulled1']).stdout;
    assert.match(events, new RegExp(`Pulling image "${image.replace(/[.]/g, '\\.')}"`));
    assert.match(events, /Successfully pulled image/);

    // The tag moves: a new pod with Always gets the new image.
    await push(image, 'second-push');
    env.apply(pod('pulled2'));
    await eventually(() => env.getPod('pulled2').status?.containerStatuses?.[0]?.state?.running, 'pulled2 Running', 60_000);
    await eventually(() => env.podLog('pulled2', 'c').includes('second-push'), 'log of the re-pulled image', 10_000);
    assert.notEqual(env.getPod('pulled2').status!.containerStatuses![0]!.imageID, first.imageID, 'a new image ID after the tag moved');
    assert.match(env.podLog('pulled1', 'c'), /first-push/, 'the running pod is left alone');
  });
});
