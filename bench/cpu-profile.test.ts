import { test } from 'node:test';
import assert from 'node:assert/strict';
import { areaOf, selfTimes, type CpuProfile } from './cpu-profile.js';

const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber, columnNumber: 0 });

test('selfTimes adds each sample to the function it was taken in, and groups functions by area', () => {
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame('(root)') },
      { id: 2, callFrame: frame('update', 'file:///b/src/apiserver/rest-storage.ts', 199) },
      { id: 3, callFrame: frame('decode', 'file:///b/src/apiserver/watch-cache.ts', 102) },
      { id: 4, callFrame: frame('(garbage collector)') },
      { id: 5, callFrame: frame('score', 'file:///b/src/scheduler/plugins/fit.ts', 9) },
      { id: 6, callFrame: frame('(idle)') },
    ],
    samples: [3, 3, 2, 4, 5, 6, 3],
    timeDeltas: [1000, 2000, 500, 4000, 1500, 9000, 1000], // µs
  };
  const locate = (cf: { functionName: string; url: string; lineNumber: number }) => ({
    fn: cf.functionName,
    source: cf.url.replace(/^file:\/\/\/b\//, ''),
    line: cf.lineNumber,
  });
  const { byFunction, byArea } = selfTimes(profile, locate);
  assert.deepEqual(Object.fromEntries(byFunction), {
    'decode src/apiserver/watch-cache.ts:103': 4,
    'update src/apiserver/rest-storage.ts:200': 0.5,
    '(garbage collector)': 4,
    'score src/scheduler/plugins/fit.ts:10': 1.5,
    '(idle)': 9,
  });
  assert.deepEqual(Object.fromEntries(byArea), { 'src/apiserver': 4.5, '(garbage collector)': 4, 'src/scheduler': 1.5, '(idle)': 9 });
});

test('areaOf: src folder, node_modules package (scoped too), node module, V8 entry', () => {
  assert.equal(areaOf({ fn: 'f', source: 'src/client/rest.ts', line: 1 }), 'src/client');
  assert.equal(areaOf({ fn: 'f', source: 'node_modules/better-sqlite3/lib/methods/transaction.js', line: 1 }), 'node_modules/better-sqlite3');
  assert.equal(areaOf({ fn: 'f', source: 'node_modules/@grpc/grpc-js/build/src/x.js', line: 1 }), 'node_modules/@grpc/grpc-js');
  assert.equal(areaOf({ fn: 'f', source: 'node:internal/crypto/keygen', line: 1 }), 'node:internal');
  assert.equal(areaOf({ fn: '(program)', source: '', line: 0 }), '(program)');
});
