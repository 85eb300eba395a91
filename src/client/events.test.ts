import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventRecorder } from './events.js';
import { EventCorrelator } from './event-correlator.js';
import { RestClient } from './rest.js';

interface Seen {
  method: string;
  url: string;
  body: Record<string, unknown>;
}

/** A loopback server that stores Events by name as an API server would, and records each call. */
async function withEventServer(fn: (client: RestClient, seen: Seen[], events: Map<string, Record<string, unknown>>) => Promise<void>): Promise<void> {
  const seen: Seen[] = [];
  const events = new Map<string, Record<string, unknown>>();
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      const body = JSON.parse(text) as Record<string, unknown>;
      seen.push({ method: req.method!, url: req.url!, body });
      const reply = (code: number, obj: unknown) => {
        res.writeHead(code, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(obj));
      };
      if (req.method === 'POST') {
        const name = (body.metadata as { name: string }).name;
        events.set(name, body);
        return reply(201, body);
      }
      const name = decodeURIComponent(req.url!.split('/').pop()!);
      const live = events.get(name);
      if (!live)
        return reply(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 404, reason: 'NotFound', message: `events "${name}" not found` });
      Object.assign(live, body);
      reply(200, live);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = new RestClient({ server: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  try {
    await fn(client, seen, events);
  } finally {
    client.close();
    server.close();
  }
}

const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: 'apps', uid: 'u1' } };

test('event recorder: a repeat patches the Event it created (by the name it sent), counting up; a vanished one is created again', async () => {
  await withEventServer(async (client, seen, events) => {
    const recorder = new EventRecorder({ client, component: 'test-controller', correlator: new EventCorrelator() });
    recorder.event(pod, 'Normal', 'Pulled', 'image pulled');
    await recorder.flush();
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.method, 'POST');
    assert.equal(seen[0]!.url, '/api/v1/namespaces/apps/events');
    const name = (seen[0]!.body.metadata as { name: string }).name;
    assert.match(name, /^web-1\.[0-9a-f]+$/);

    recorder.event(pod, 'Normal', 'Pulled', 'image pulled');
    await recorder.flush();
    assert.equal(seen[1]!.method, 'PATCH');
    assert.equal(seen[1]!.url, `/api/v1/namespaces/apps/events/${name}`);
    assert.equal(seen[1]!.body.count, 2);
    assert.equal(events.get(name)!.count, 2);

    events.delete(name);
    recorder.event(pod, 'Normal', 'Pulled', 'image pulled');
    await recorder.flush();
    assert.deepEqual(
      seen.slice(2).map((s) => s.method),
      ['PATCH', 'POST'],
      'the patch finds no Event: a new one is created',
    );
    assert.equal(seen[3]!.body.count, 1);
    assert.notEqual((seen[3]!.body.metadata as { name: string }).name, name);
  });
});
