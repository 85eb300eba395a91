// The node agent's metrics, on its own endpoint as kubelet serves them: CRI call latency, pod
// start latency and what runs, after a real pod started through containerd.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { eventually, skipIfMissing } from './harness.js';
import { BUSYBOX, missingAgentPrerequisite, startAgentEnv, type AgentEnv } from './agent-fixture.js';
import { parseExposition, value } from './prometheus.js';

const missing = skipIfMissing(await missingAgentPrerequisite(), 'the agent metrics e2e test');
let env: AgentEnv;

before(async () => {
  if (!missing) env = await startAgentEnv({ nodeName: 'e2e-metrics' });
});
after(async () => {
  await env?.stop();
});

/** GET on the agent's endpoint, with the API server's kubelet client certificate unless told not to. */
function agentGet(path: string, withCert = true): Promise<{ status: number; body: string }> {
  const pki = join(env.server.dataDir, 'pki');
  return new Promise((res, rej) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: env.runner.port,
        path,
        ca: env.server.caCert,
        ...(withCert ? { cert: readFileSync(join(pki, 'apiserver-kubelet-client.crt')), key: readFileSync(join(pki, 'apiserver-kubelet-client.key')) } : {}),
      },
      (r) => {
        let body = '';
        r.on('data', (d) => (body += d));
        r.on('end', () => res({ status: r.statusCode ?? 0, body }));
      },
    );
    req.on('error', rej);
    req.end();
  });
}

test(
  'agent /metrics: CRI operations, pod start latency, running pods and containers; only for the API server',
  { skip: missing ?? false, timeout: 120_000 },
  async () => {
    env.apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'measured', namespace: 'default' },
      spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: BUSYBOX, command: ['sleep', '3600'] }] },
    });
    await eventually(() => env.getPod('measured').status?.phase === 'Running' || undefined, 'the pod Running', 60_000);
    const { samples } = (await eventually(async () => {
      const r = await agentGet('/metrics');
      assert.equal(r.status, 200, r.body);
      const parsed = parseExposition(r.body);
      // The running gauges come from the relist, a second behind at most.
      return value(parsed.samples, 'kubelet_running_containers', { container_state: 'running' }) >= 1 ? parsed : undefined;
    }, 'the relist counted the running container'))!;
    assert.equal(value(samples, 'kubelet_running_pods'), 1);
    assert.equal(value(samples, 'kubelet_running_containers', { container_state: 'running' }), 1);
    assert.equal(value(samples, 'kubelet_pod_start_duration_seconds_count'), 1, 'one pod started');
    assert.ok(value(samples, 'kubelet_pod_start_duration_seconds_sum') > 0);
    for (const op of ['run_podsandbox', 'create_container', 'start_container']) {
      assert.equal(value(samples, 'kubelet_runtime_operations_total', { operation_type: op }), 1, op);
      assert.equal(value(samples, 'kubelet_runtime_operations_duration_seconds_count', { operation_type: op }), 1, op);
    }
    assert.ok(value(samples, 'kubelet_runtime_operations_total', { operation_type: 'list_containers' }) >= 1, 'the relist lists containers');
    // The endpoint's rule holds for /metrics too: no client certificate, no answer.
    assert.equal((await agentGet('/metrics', false)).status, 401);
  },
);
