import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../api/object.js';
import { defaultSecret } from './defaults.js';

const secret = (o: Record<string, unknown>) =>
  ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, ...o }) as unknown as KObject & Record<string, unknown>;
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

test("a Secret's stringData is encoded into data, over the keys data has, and is not kept", () => {
  const s = secret({ data: { kept: b64('old'), both: b64('from-data') }, stringData: { both: 'from-stringData', added: 'héllo wörld' } });
  defaultSecret(s);
  assert.equal(s.stringData, undefined);
  assert.deepEqual(s.data, { kept: b64('old'), both: b64('from-stringData'), added: b64('héllo wörld') });
  assert.equal(s.type, 'Opaque');
});

test('a Secret with stringData only gets data; an empty stringData is dropped', () => {
  const only = secret({ stringData: { password: 's3cr3t' } });
  defaultSecret(only);
  assert.deepEqual(only.data, { password: b64('s3cr3t') });
  const empty = secret({ stringData: {} });
  defaultSecret(empty);
  assert.equal('stringData' in empty, false);
  assert.equal(empty.data, undefined);
});
