import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { noLogsMessage, renderLogs, streamLogs } from './logs.js';

test('a partial line split across reads is kept until its end arrives; at the end it is written as far as it got', () => {
  const a = renderLogs('2026-01-01T00:00:00Z stdout F one\n2026-01-01T00:00:01Z stdout P tw\n');
  assert.deepEqual(a.out, ['one\n']);
  const b = renderLogs(`${a.rest}2026-01-01T00:00:02Z stdout F o\n`, { timestamps: true });
  assert.deepEqual(b, { out: ['2026-01-01T00:00:01.000000000Z two\n'], rest: '' });
  assert.deepEqual(renderLogs('2026-01-01T00:00:01Z stdout P no-end\n', {}, true).out, ['no-end']);
});

test('follow writes what the container writes after the start and ends when it stops; limitBytes cuts the stream', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-logs-'));
  const file = join(dir, '0.log');
  try {
    writeFileSync(file, '2026-01-01T00:00:00Z stdout F early\n');
    let got = '';
    const sink = new Writable({ write: (c, _e, cb) => ((got += c), cb()) });
    let running = true;
    const done = streamLogs(file, sink, { follow: true }, async () => running, new AbortController().signal);
    await new Promise((r) => setTimeout(r, 300));
    appendFileSync(file, '2026-01-01T00:00:01Z stdout P la\n');
    await new Promise((r) => setTimeout(r, 300));
    appendFileSync(file, '2026-01-01T00:00:02Z stdout F te\n');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(got, 'early\nlate\n');
    running = false;
    await done;

    let cut = '';
    const small = new Writable({ write: (c, _e, cb) => ((cut += c), cb()) });
    await streamLogs(file, small, { limitBytes: 8 }, async () => false, new AbortController().signal);
    assert.equal(cut, 'early\nla');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('logs of a container that never ran say why, from its status, as the kubelet does', () => {
  const waiting = (reason: string) => ({
    containerStatuses: [{ name: 'c', image: 'x', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason } } }],
  });
  assert.equal(noLogsMessage(waiting('CreateContainerConfigError'), 'c', 'p'), 'container "c" in pod "p" is waiting to start: CreateContainerConfigError');
  assert.equal(noLogsMessage(waiting('ContainerCreating'), 'c', 'p'), 'container "c" in pod "p" is waiting to start: ContainerCreating');
  assert.equal(noLogsMessage(waiting('ImagePullBackOff'), 'c', 'p'), 'container "c" in pod "p" is waiting to start: trying and failing to pull image');
  assert.equal(noLogsMessage(waiting('ErrImagePull'), 'c', 'p'), 'container "c" in pod "p" is waiting to start: image can\'t be pulled');
  assert.equal(noLogsMessage(waiting('PodInitializing'), 'c', 'p'), 'container "c" in pod "p" is waiting to start: PodInitializing');
  // An init container's status is found too; a container with no status yet is being created.
  const init = {
    initContainerStatuses: [{ name: 'i', image: 'x', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'CreateContainerError' } } }],
  };
  assert.equal(noLogsMessage(init, 'i', 'p'), 'container "i" in pod "p" is waiting to start: CreateContainerError');
  assert.equal(noLogsMessage({}, 'c', 'p'), 'container "c" in pod "p" is waiting to start: ContainerCreating');
  const gone = { containerStatuses: [{ name: 'c', image: 'x', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0 } } }] };
  assert.equal(noLogsMessage(gone, 'c', 'p'), 'container "c" in pod "p" is terminated');
  const none = { containerStatuses: [{ name: 'c', image: 'x', imageID: '', ready: false, restartCount: 0, state: {} }] };
  assert.equal(noLogsMessage(none, 'c', 'p'), 'container "c" in pod "p" is waiting to start - no logs yet');
});
