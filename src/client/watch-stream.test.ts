import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WatchDecoder, WatchDecodeError } from './watch-stream.js';

const line = (type: string, name: string) => JSON.stringify({ type, object: { metadata: { name } } }) + '\n';

test('watch stream: events split across chunks, several in one chunk, and a last one without newline', () => {
  const d = new WatchDecoder<{ metadata: { name: string } }>();
  const text = line('ADDED', 'a') + line('MODIFIED', 'b') + line('DELETED', 'c') + JSON.stringify({ type: 'BOOKMARK', object: { metadata: { name: 'd' } } });
  const seen: string[] = [];
  for (let i = 0; i < text.length; i += 7) for (const ev of d.push(text.slice(i, i + 7))) seen.push(`${ev.type} ${ev.object.metadata.name}`);
  assert.deepEqual(seen, ['ADDED a', 'MODIFIED b', 'DELETED c']);
  assert.deepEqual(
    d.end().map((e) => e.type),
    ['BOOKMARK'],
  );
});

test('watch stream: a multi-byte character split between chunks', () => {
  const d = new WatchDecoder<{ metadata: { name: string } }>();
  const bytes = Buffer.from(line('ADDED', 'héllo→'));
  const cut = bytes.indexOf(0xe2) + 1; // inside the three bytes of →
  assert.deepEqual(d.push(bytes.subarray(0, cut)), []);
  const evs = d.push(bytes.subarray(cut));
  assert.equal(evs[0]!.object.metadata.name, 'héllo→');
});

test('watch stream: ERROR events pass through; garbage is an error', () => {
  const d = new WatchDecoder();
  const evs = d.push(JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } }) + '\n\n');
  assert.deepEqual(evs, [{ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } }]);
  assert.throws(() => d.push('{nope\n'), WatchDecodeError);
  assert.throws(() => new WatchDecoder().push('{"type":"WHAT","object":{}}\n'), /not a watch event/);
});
