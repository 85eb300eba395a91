// Feeds the Node authorizer's graph from the API server's pod watch cache, as upstream's
// graph_populator does from its informers: every pod as it is added, changed (bound to a node)
// or deleted.
import type { Pod } from 'kubernetes-types/core/v1';
import type { RestStorage } from '../../rest-storage.js';
import { followCache } from '../follow-cache.js';
import { NodeGraph } from './graph.js';

export function cachedNodeGraph(storage: RestStorage, log: (msg: string) => void): { graph: NodeGraph; start(): Promise<void>; stop(): void } {
  const graph = new NodeGraph();
  let cancel: (() => void) | undefined;
  return {
    graph,
    start: async () => {
      cancel = await followCache(
        storage,
        'pods',
        {
          put: (_k, e) => graph.setPod(e.obj as Pod),
          // By key (/registry/pods/NS/NAME): a deletion's entry need not carry the object.
          remove: (key) => {
            const [namespace = '', name = ''] = key.split('/').slice(-2);
            graph.deletePod(namespace, name);
          },
          clear: () => graph.clear(),
        },
        (m) => log(`node authorizer: ${m}`),
      );
    },
    stop: () => cancel?.(),
  };
}
