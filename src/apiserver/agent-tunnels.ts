// The API server's end of the agent tunnels (k3s's agent tunnel): an agent that only dials out
// keeps a WebSocket at TUNNEL_PATH, and node-dialer.ts opens its streams to that agent's
// endpoint through it. The TLS session to the agent runs inside the stream, end to end, so the
// agent's serving certificate and its check of this server's client certificate are the same
// as when dialed directly.
//
// Only a node may connect, and only as itself: the identity comes from its client certificate
// (system:node:NAME in system:nodes), never from anything the request says. A node may have
// several tunnels here at once (an agent that knows this server by two addresses, or a
// reconnect racing the old connection's timeout): the newest open one is used.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { UserInfo } from './authn.js';
import { ApiError } from './errors.js';
import type { Mux } from '../tunnel/mux.js';
import { muxOverWebSocket } from '../tunnel/websocket.js';
import { TUNNEL_PATH } from '../tunnel/path.js';

const NODE_PREFIX = 'system:node:';
const NODES_GROUP = 'system:nodes';
/** An agent knowing this server by several addresses has one tunnel per address. */
const MAX_TUNNELS_PER_NODE = 4;

/** The node a user is, if it is one: system:node:NAME in system:nodes. */
export function nodeIdentity(user: UserInfo): string | undefined {
  if (!user.name.startsWith(NODE_PREFIX) || !user.groups.includes(NODES_GROUP)) return undefined;
  const name = user.name.slice(NODE_PREFIX.length);
  return name || undefined;
}

export interface AgentTunnelsOptions {
  log: (msg: string) => void;
  pingIntervalMs?: number;
}

export class AgentTunnels {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  private readonly byNode = new Map<string, Array<{ ws: WebSocket; mux: Mux }>>();

  constructor(private readonly o: AgentTunnelsOptions) {}

  static serves(url: string | undefined): boolean {
    return (url ?? '').split('?')[0]!.replace(/\/+$/, '') === TUNNEL_PATH;
  }

  /** The newest open tunnel of the node, if it has one. */
  get(nodeName: string): Mux | undefined {
    const list = this.byNode.get(nodeName);
    for (let i = (list?.length ?? 0) - 1; i >= 0; i--) if (!list![i]!.mux.closed) return list![i]!.mux;
    return undefined;
  }

  /** Nodes with a tunnel here now. */
  nodes(): string[] {
    return [...this.byNode.keys()].filter((n) => this.get(n));
  }

  /** An authenticated upgrade request to TUNNEL_PATH. */
  accept(req: IncomingMessage, socket: Duplex, head: Buffer, user: UserInfo): void {
    const node = nodeIdentity(user);
    if (!node)
      throw new ApiError(
        403,
        'Forbidden',
        `forbidden: User "${user.name}" cannot create path "${TUNNEL_PATH}": only nodes (system:node:NAME in system:nodes) open agent tunnels`,
        {},
      );
    if (req.method !== 'GET') throw new ApiError(405, 'MethodNotAllowed', 'the agent tunnel is a WebSocket: GET with Upgrade: websocket', {});
    if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket')
      throw new ApiError(400, 'BadRequest', 'the agent tunnel is a WebSocket: Upgrade: websocket required', {});
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const mux = muxOverWebSocket(ws, { pingIntervalMs: this.o.pingIntervalMs });
      const entry = { ws, mux };
      const list = this.byNode.get(node) ?? [];
      list.push(entry);
      // A node dialing again and again (a bug, or a stolen certificate) holds a few, not more.
      while (list.length > MAX_TUNNELS_PER_NODE) list.shift()!.ws.terminate();
      this.byNode.set(node, list);
      this.o.log(`agent tunnel of node ${node} connected from ${req.socket.remoteAddress}`);
      ws.on('close', () => {
        const now = (this.byNode.get(node) ?? []).filter((e) => e !== entry);
        if (now.length) this.byNode.set(node, now);
        else this.byNode.delete(node);
        this.o.log(`agent tunnel of node ${node} closed`);
      });
    });
  }

  close(): void {
    for (const list of this.byNode.values()) for (const { ws } of list) ws.terminate();
    this.byNode.clear();
  }
}
