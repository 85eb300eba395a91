import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerPort, Pod } from 'kubernetes-types/core/v1';
import { NodeInfo } from '../framework/node-info.js';
import { Code } from '../framework/status.js';
import { makeNode, makePod } from '../framework/testing.js';
import { CycleState, QueueingHint } from '../framework/types.js';
import { NodePorts } from './node-ports.js';

const REASON = "node(s) didn't have free ports for the requested pod ports";

function podWithPorts(name: string, ports: ContainerPort[], nodeName?: string): Pod {
  return makePod(name, { containers: [{ name: 'c', image: 'busybox', ports }], ...(nodeName ? { nodeName } : {}) });
}

describe('NodePorts', () => {
  const pl = new NodePorts(undefined);

  it('skips pods without host ports', () => {
    const state = new CycleState();
    const { status } = pl.preFilter(state, podWithPorts('p', [{ containerPort: 80 }]), []);
    assert.equal(status.code, Code.Skip);
  });

  const cases: Array<{ name: string; want: ContainerPort[]; used: ContainerPort[]; code: Code }> = [
    { name: 'free port', want: [{ containerPort: 80, hostPort: 8080 }], used: [{ containerPort: 80, hostPort: 8081 }], code: Code.Success },
    {
      name: 'same port, same protocol',
      want: [{ containerPort: 80, hostPort: 8080 }],
      used: [{ containerPort: 80, hostPort: 8080 }],
      code: Code.Unschedulable,
    },
    {
      name: 'same port, other protocol',
      want: [{ containerPort: 80, hostPort: 8080, protocol: 'UDP' }],
      used: [{ containerPort: 80, hostPort: 8080 }],
      code: Code.Success,
    },
    {
      name: 'same port on different specific IPs',
      want: [{ containerPort: 80, hostPort: 8080, hostIP: '10.0.0.1' }],
      used: [{ containerPort: 80, hostPort: 8080, hostIP: '10.0.0.2' }],
      code: Code.Success,
    },
    {
      name: 'wanted 0.0.0.0 conflicts with a specific IP',
      want: [{ containerPort: 80, hostPort: 8080 }],
      used: [{ containerPort: 80, hostPort: 8080, hostIP: '10.0.0.2' }],
      code: Code.Unschedulable,
    },
    {
      name: 'wanted specific IP conflicts with a used 0.0.0.0',
      want: [{ containerPort: 80, hostPort: 8080, hostIP: '10.0.0.1' }],
      used: [{ containerPort: 80, hostPort: 8080 }],
      code: Code.Unschedulable,
    },
    {
      name: 'one of several ports conflicts',
      want: [
        { containerPort: 1, hostPort: 1 },
        { containerPort: 2, hostPort: 2 },
      ],
      used: [{ containerPort: 2, hostPort: 2 }],
      code: Code.Unschedulable,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const node = makeNode('n1');
      const ni = new NodeInfo(node);
      ni.addPod(podWithPorts('existing', c.used, 'n1'));
      const pod = podWithPorts('p', c.want);
      const state = new CycleState();
      assert.equal(pl.preFilter(state, pod, []).status.code, Code.Success);
      const s = pl.filter(state, pod, ni);
      assert.equal(s.code, c.code);
      assert.deepEqual(s.reasons, c.code === Code.Success ? [] : [REASON]);
    });
  }

  it('counts host ports of sidecars (restartable init containers) but not of plain init containers', () => {
    const ni = new NodeInfo(makeNode('n1'));
    ni.addPod(
      makePod('sidecar', {
        nodeName: 'n1',
        initContainers: [{ name: 's', image: 'x', restartPolicy: 'Always', ports: [{ containerPort: 1, hostPort: 9000 }] }],
      }),
    );
    const state = new CycleState();
    const pod = podWithPorts('p', [{ containerPort: 1, hostPort: 9000 }]);
    pl.preFilter(state, pod, []);
    assert.equal(pl.filter(state, pod, ni).code, Code.Unschedulable);
    const ni2 = new NodeInfo(makeNode('n2'));
    ni2.addPod(makePod('init', { nodeName: 'n2', initContainers: [{ name: 'i', image: 'x', ports: [{ containerPort: 1, hostPort: 9000 }] }] }));
    assert.equal(pl.filter(state, pod, ni2).code, Code.Success);
  });

  it('errors when PreFilter state is missing', () => {
    assert.equal(pl.filter(new CycleState(), podWithPorts('p', [{ containerPort: 1, hostPort: 1 }]), new NodeInfo(makeNode('n'))).code, Code.Error);
  });

  it('requeues when a placed pod holding a wanted port is deleted', () => {
    const [podReg, nodeReg] = pl.eventsToRegister();
    assert.deepEqual(podReg!.event, { resource: 'Pod', actions: ['Delete'] });
    assert.deepEqual(nodeReg!.event, { resource: 'Node', actions: ['Add'] });
    const pod = podWithPorts('p', [{ containerPort: 80, hostPort: 8080 }]);
    assert.equal(podReg!.hint!(pod, podWithPorts('d', [{ containerPort: 80, hostPort: 8080 }], 'n1'), undefined), QueueingHint.Queue);
    assert.equal(podReg!.hint!(pod, podWithPorts('d', [{ containerPort: 80, hostPort: 9090 }], 'n1'), undefined), QueueingHint.Skip);
    assert.equal(podReg!.hint!(pod, podWithPorts('d', [{ containerPort: 80, hostPort: 8080 }]), undefined), QueueingHint.Skip);
    assert.equal(podReg!.hint!(pod, podWithPorts('d', [{ containerPort: 80 }], 'n1'), undefined), QueueingHint.Skip);
  });
});
