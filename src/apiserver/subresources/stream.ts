// What a streamed subresource is to the generic server (upstream: the Connecter REST objects of
// pkg/registry/core/pod/rest/subresources.go and pkg/registry/core/service/proxy.go: LogREST,
// ExecREST, AttachREST, PortForwardREST, ProxyREST). The server knows them only through this
// shape; what each asks of the node is its own module.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ResourceType } from '../../registry/index.js';
import type { NodeDialer } from '../node-dialer.js';

export interface StreamCtx {
  dialer: NodeDialer;
  r: ResourceType;
  namespace?: string;
  name: string;
  /** The request's URL as sent (proxy paths keep their own escaping). */
  url: URL;
  req: IncomingMessage;
}

export interface StreamRest {
  /** A plain request: GET of pods/log, any verb through a proxy. */
  serve?(c: StreamCtx, res: ServerResponse): Promise<void>;
  /** An upgraded connection (SPDY or WebSocket): exec, attach, portforward, a WebSocket through a proxy. */
  upgrade?(c: StreamCtx, socket: Duplex, head: Buffer): Promise<void>;
  /** Path segments after the subresource's name belong to the request (proxy/<path>). */
  takesPath?: boolean;
}
