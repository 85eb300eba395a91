// One kept-alive TLS connection carrying large requests right after large responses, as a
// client library's connection pool does (issue #18). Node's HTTP server pauses a connection
// whose previous response has not drained when the next request arrives; over TLS it then
// failed that request with HPE_PAUSED and reset the connection (see endWithBody in respond.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Agent } from 'node:https';
import { api, requireCommand, startServer } from './harness.js';

/** The CPUs a process may run on, as taskset lists them ("0-1", "0,2"). */
function cpuList(pid: number): string {
  const r = spawnSync('taskset', ['-pc', String(pid)], { encoding: 'utf8' });
  const m = /current affinity list: (\S+)/.exec(r.stdout);
  if (!m) throw new Error(`taskset -pc ${pid}: ${r.stderr || r.stdout}`);
  return m[1]!;
}

/** Sets the CPUs every thread of a process may run on. */
function pin(pid: number, cpus: string): void {
  const r = spawnSync('taskset', ['-a', '-pc', cpus, String(pid)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`taskset -a -pc ${cpus} ${pid}: ${r.stderr}`);
}

test('100 PUTs of a 200 KB ConfigMap and 1.8 MB lists on one kept-alive connection: every request succeeds', { timeout: 60_000 }, async (t) => {
  if (!requireCommand('taskset', t)) return;
  // Server and client share one CPU, as on a busy node or in a container limited to one CPU: the client
  // then answers a response before the server's event loop has gone on to see that response drained,
  // the order in which the failure showed (on two idle CPUs it showed only now and then).
  const ownCpus = cpuList(process.pid);
  const cpu = ownCpus.split(/[,-]/)[0]!;
  const s = await startServer({ wrap: ['taskset', '-c', cpu] });
  pin(process.pid, cpu);
  // Node's default keep-alive agent, limited to one connection: every request follows the previous response on it.
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const requests: Array<{ what: string; reused: boolean }> = [];
  const failures: string[] = [];
  const call = async (what: string, method: string, path: string, body?: unknown) => {
    try {
      const r = await api(s, method, path, body, {}, { agent });
      requests.push({ what, reused: r.reused });
      if (r.status >= 300) failures.push(`${what}: ${r.status} ${r.text.slice(0, 200)}`);
      return r;
    } catch (e) {
      failures.push(`${what}: ${(e as Error).message}`);
      return undefined;
    }
  };
  try {
    const t0 = Date.now();
    const pad = 'x'.repeat(200 * 1024);
    await call('create namespace', 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ka' } });
    // Nine 200 KB ConfigMaps: each create answers 200 KB, and the list of them is about 1.8 MB.
    for (let i = 0; i < 8; i++)
      await call(`create bulk-${i}`, 'POST', '/api/v1/namespaces/ka/configmaps', { metadata: { name: `bulk-${i}` }, data: { v: pad } });
    let cm = (await call('create big', 'POST', '/api/v1/namespaces/ka/configmaps', { metadata: { name: 'big' }, data: { v: pad } }))?.json;
    assert.ok(cm?.metadata, `the ConfigMap was created: ${failures.join('; ')}`);
    let listBytes = 0;
    for (let i = 0; i < 100; i++) {
      const put = await call(`PUT ${i}`, 'PUT', '/api/v1/namespaces/ka/configmaps/big', {
        metadata: { name: 'big', resourceVersion: cm.metadata.resourceVersion },
        data: { v: pad, i: String(i) },
      });
      if (put?.status === 200) cm = put.json;
      else cm = (await call(`GET after PUT ${i}`, 'GET', '/api/v1/namespaces/ka/configmaps/big'))?.json ?? cm;
      if (i % 10 === 9) {
        const list = await call(`list after PUT ${i}`, 'GET', '/api/v1/namespaces/ka/configmaps');
        if (list?.status === 200) {
          assert.equal(list.json.items.filter((o: any) => /^(bulk-\d|big)$/.test(o.metadata.name)).length, 9, 'the bulk and big ConfigMaps are listed');
          listBytes = Buffer.byteLength(list.text);
        }
      }
    }
    process.stdout.write(
      `# ${requests.length} requests (PUTs of 200 KB, lists of ${(listBytes / 1024 / 1024).toFixed(1)} MiB) on one kept-alive connection in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
    );
    assert.deepEqual(failures, [], `${failures.length} of ${requests.length + failures.length} requests failed`);
    assert.ok(listBytes > 9 * pad.length, `the list holds the nine 200 KB ConfigMaps (${listBytes} bytes)`);
    // The connection was never lost: after the first request, every one went on the kept-alive connection.
    assert.deepEqual(
      requests.filter((r, i) => r.reused !== i > 0).map((r) => r.what),
      [],
      'requests on a new connection',
    );
    assert.equal(cm.data.i, '99');
  } finally {
    pin(process.pid, ownCpus);
    agent.destroy();
    await s.stop();
    s.cleanup();
  }
});
