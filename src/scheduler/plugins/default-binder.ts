// DefaultBinder: binds through the API, POST pods/NAME/binding, as upstream.
import type { Pod } from 'kubernetes-types/core/v1';
import { resourcePath, resources, type RestClient } from '../../client/index.js';
import { Status } from '../framework/status.js';
import type { BindPlugin, CycleState, Handle, PluginArgs } from '../framework/types.js';

export const NAME = 'DefaultBinder';

export class DefaultBinder implements BindPlugin {
  static readonly NAME = NAME;
  readonly name = NAME;

  constructor(
    _args: PluginArgs | undefined,
    private readonly handle: Handle & { client: RestClient },
  ) {}

  async bind(_state: CycleState, pod: Pod, nodeName: string): Promise<Status> {
    const binding = {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: pod.metadata!.name!, namespace: pod.metadata!.namespace!, uid: pod.metadata!.uid },
      target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
    };
    try {
      await this.handle.client.request(
        'POST',
        resourcePath({ ...resources.pods, namespace: pod.metadata!.namespace!, name: pod.metadata!.name!, subresource: 'binding' }),
        binding,
        undefined,
        undefined,
        // The answer is a Status saying Success; the bound pod comes back through the watch.
        { discardAnswer: true },
      );
      return Status.success();
    } catch (e) {
      return Status.error((e as Error).message);
    }
  }
}
