// The process's Prometheus registry. One per process, as upstream's legacyregistry: in
// `berth server` the API server, the scheduler, the controllers and the embedded node agent all
// register here, and the API server's /metrics serves the lot (k3s serves its embedded
// components the same way). Standalone commands serve it on their own endpoint.
import { createServer, type Server } from 'node:http';
import { Registry } from 'prom-client';

export const registry = new Registry();

/** The registry in Prometheus's text exposition format, with its content type. */
export async function exposition(): Promise<{ contentType: string; body: string }> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}

/**
 * A plain-HTTP /metrics endpoint for a standalone component (`berth scheduler`). Upstream
 * serves it on the component's secure port; this is plain HTTP, meant for loopback.
 */
export async function serveMetrics(host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' || req.method !== 'GET') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('404 page not found\n');
      return;
    }
    exposition().then(
      ({ contentType, body }) => res.writeHead(200, { 'Content-Type': contentType }).end(body),
      (e: Error) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${e.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
