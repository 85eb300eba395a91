// One tunnel to every API server of the cluster. The servers are the one the agent joined
// (--server) and the addresses of the default/kubernetes Endpoints, which every server keeps
// itself in (its advertise address): an agent connected to each server stays reachable from
// each, and when one goes away the others still reach it. The list is read again periodically;
// a server that leaves it loses its tunnel (the joined one never does).
import type { RestClient } from '../client/index.js';
import { resources } from '../client/index.js';
import { TunnelClient, type TunnelClientOptions } from './client.js';

export interface ServerTunnelsOptions extends Omit<TunnelClientOptions, 'server'> {
  /** The server the agent joined. */
  server: string;
  /** Reads default/kubernetes. */
  client: RestClient;
  refreshMs?: number;
}

const REFRESH_MS = 30_000;

/** https://ADDR:PORT of every ready address of default/kubernetes, for its https port. */
export function apiServerUrls(endpoints: { subsets?: Array<{ addresses?: Array<{ ip: string }>; ports?: Array<{ name?: string; port: number }> }> }): string[] {
  const urls: string[] = [];
  for (const subset of endpoints.subsets ?? []) {
    const port = (subset.ports ?? []).find((p) => p.name === 'https' || !p.name)?.port;
    if (!port) continue;
    for (const a of subset.addresses ?? []) urls.push(`https://${a.ip.includes(':') ? `[${a.ip}]` : a.ip}:${port}`);
  }
  return urls;
}

export class ServerTunnels {
  private readonly tunnels = new Map<string, TunnelClient>();
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly o: ServerTunnelsOptions) {}

  /** The servers with a tunnel (up or being dialed). */
  get servers(): string[] {
    return [...this.tunnels.keys()];
  }

  async start(): Promise<void> {
    this.ensure(normalize(this.o.server));
    await this.refresh();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const t of this.tunnels.values()) t.stop();
    this.tunnels.clear();
  }

  private ensure(server: string): void {
    if (this.tunnels.has(server)) return;
    const { client: _c, refreshMs: _r, server: _s, ...rest } = this.o;
    const t = new TunnelClient({ ...rest, server });
    this.tunnels.set(server, t);
    t.start();
  }

  private async refresh(): Promise<void> {
    if (this.stopped) return;
    try {
      const ep = await this.o.client.get<Parameters<typeof apiServerUrls>[0]>(
        { ...resources.endpoints, namespace: 'default', name: 'kubernetes' },
        { timeoutMs: 10_000 },
      );
      const want = new Set([normalize(this.o.server), ...apiServerUrls(ep).map(normalize)]);
      for (const u of want) this.ensure(u);
      for (const [u, t] of this.tunnels) {
        if (want.has(u)) continue;
        t.stop();
        this.tunnels.delete(u);
        this.o.log(`tunnel to ${u} closed: no longer an API server of default/kubernetes`);
      }
    } catch (e) {
      // Keep what we have: the joined server may be the one that is down.
      this.o.log(`reading the API servers (default/kubernetes): ${(e as Error).message}`);
    }
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.refresh(), this.o.refreshMs ?? REFRESH_MS);
    this.timer.unref();
  }
}

function normalize(url: string): string {
  const u = new URL(url);
  return `https://${u.host}`;
}
