import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import YAML from 'yaml';
import { ApiError, internal } from './errors.js';

/** JSON ends with a newline, as kube-apiserver's encoder writes it (the Python client drops a last line without one). */
export function sendJson(res: ServerResponse, code: number, body: unknown, yaml = false): void {
  const text = typeof body === 'string' ? (body.endsWith('\n') ? body : body + '\n') : yaml ? YAML.stringify(body) : JSON.stringify(body) + '\n';
  res.writeHead(code, {
    'Content-Type': yaml ? 'application/yaml' : 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, private',
  });
  res.end(text);
}

/** Any failure becomes a Status; unexpected ones are 500s that name no internals. */
export function sendError(res: ServerResponse, err: unknown, log: (msg: string) => void): void {
  const apiErr = err instanceof ApiError ? err : internal((err as Error)?.message ?? String(err));
  if (!(err instanceof ApiError)) log(`internal error: ${(err as Error)?.stack ?? err}`);
  if (res.headersSent) {
    // Mid-stream (a watch): all that can be done is to say so in the stream and end it.
    if (!res.writableEnded) res.end(JSON.stringify({ type: 'ERROR', object: apiErr.toStatus() }) + '\n');
    return;
  }
  sendJson(res, apiErr.code, apiErr.toStatus());
}

export function addWarnings(res: ServerResponse, warnings: string[]): void {
  if (!warnings.length) return;
  res.setHeader(
    'Warning',
    warnings.map((w) => `299 - ${JSON.stringify(w)}`),
  );
}

/** Refuses an upgrade request (exec and the like) with a Status, written on the raw connection. */
export function refuseUpgrade(socket: Duplex, err: ApiError): void {
  const body = JSON.stringify(err.toStatus()) + '\n';
  socket.end(
    `HTTP/1.1 ${err.code} ${STATUS_CODES[err.code] ?? err.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
