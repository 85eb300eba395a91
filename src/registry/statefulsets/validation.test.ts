import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../api/object.js';
import { defaultStatefulSet } from './defaults.js';
import { IMMUTABLE_SPEC_MESSAGE, statefulSetValidator } from './validation.js';
import { statefulSetPrinter } from './printer.js';

const sts = (spec: Record<string, unknown> = {}): KObject => {
  const o: KObject = {
    metadata: { name: 'web', namespace: 'n' },
    spec: {
      serviceName: 'web',
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'i', volumeMounts: [{ name: 'data', mountPath: '/d' }] }] } },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
      ...spec,
    },
  };
  defaultStatefulSet(o);
  return o;
};

const fields = (errs: Array<{ field: string; detail?: string }>) => errs.map((e) => `${e.field}: ${e.detail}`);

test('statefulset defaults as upstream SetDefaults_StatefulSet', () => {
  const spec = sts().spec as Record<string, any>;
  assert.equal(spec.podManagementPolicy, 'OrderedReady');
  assert.deepEqual(spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
  assert.deepEqual(spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: 'Retain', whenScaled: 'Retain' });
  assert.equal(spec.replicas, 1);
  assert.equal(spec.revisionHistoryLimit, 10);
  assert.equal(spec.volumeClaimTemplates[0].spec.volumeMode, 'Filesystem');
  const onDelete = sts({ updateStrategy: { type: 'OnDelete' } }).spec as Record<string, any>;
  assert.deepEqual(onDelete.updateStrategy, { type: 'OnDelete' });
});

test('statefulset validation: policies, strategy, ordinals and claim templates', () => {
  assert.deepEqual(statefulSetValidator.create(sts()), []);
  assert.deepEqual(
    fields(
      statefulSetValidator.create(
        sts({
          podManagementPolicy: 'Random',
          updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: -1, maxUnavailable: 0 } },
          persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Keep', whenScaled: 'Delete' },
          ordinals: { start: -2 },
          volumeClaimTemplates: [{ metadata: { name: 'Bad_Name' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
        }),
      ),
    ).map((s) => s.split(':')[0]),
    [
      'spec.template.spec.containers[0].volumeMounts[0].name',
      'spec.podManagementPolicy',
      'spec.updateStrategy.rollingUpdate.partition',
      'spec.updateStrategy.rollingUpdate.maxUnavailable',
      'spec.persistentVolumeClaimRetentionPolicy.whenDeleted',
      'spec.ordinals.start',
      'spec.volumeClaimTemplates[0].metadata.name',
    ],
  );
  // A mount of neither a volume nor a claim template is refused.
  const unmounted = sts({ volumeClaimTemplates: [] });
  assert.deepEqual(
    fields(statefulSetValidator.create(unmounted)).map((e) => e.split(':')[0]),
    ['spec.template.spec.containers[0].volumeMounts[0].name'],
  );
  const onDeleteWithRolling = statefulSetValidator.create(sts({ updateStrategy: { type: 'OnDelete', rollingUpdate: { partition: 1 } } }));
  assert.deepEqual(fields(onDeleteWithRolling), ["spec.updateStrategy.rollingUpdate: only allowed for updateStrategy 'RollingUpdate'"]);
});

test('statefulset update: replicas, template, strategy may change; claim templates, serviceName and selector may not', () => {
  const old = sts();
  assert.deepEqual(statefulSetValidator.update!(sts({ replicas: 5, minReadySeconds: 3, updateStrategy: { type: 'OnDelete' } }), old), []);
  for (const change of [
    { serviceName: 'other' },
    { podManagementPolicy: 'Parallel' },
    { volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } } } }] },
  ]) {
    assert.deepEqual(fields(statefulSetValidator.update!(sts(change), old)), [`spec: ${IMMUTABLE_SPEC_MESSAGE}`], JSON.stringify(change));
  }
});

test('statefulset status counts may not exceed the replicas', () => {
  const o = sts();
  o.status = { replicas: 2, readyReplicas: 3, availableReplicas: 1 };
  assert.deepEqual(fields(statefulSetValidator.updateStatus!(o, o)), ['status.readyReplicas: cannot be greater than status.replicas']);
});

test('statefulset table: NAME READY AGE, wide with containers and images', () => {
  const o = sts({ replicas: 3 });
  o.status = { readyReplicas: 2 };
  assert.deepEqual(
    statefulSetPrinter.columns.map((c) => c.name),
    ['Name', 'Ready', 'Age', 'Containers', 'Images'],
  );
  const cells = statefulSetPrinter.cells(o, new Date());
  assert.deepEqual([cells[0], cells[1], cells[3], cells[4]], ['web', '2/3', 'c', 'i']);
});
