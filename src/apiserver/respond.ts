import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import YAML from 'yaml';
import { ApiError, internal } from './errors.js';
import { errorOf, type LogFn } from '../log/logger.js';

/** JSON ends with a newline, as kube-apiserver's encoder writes it (the Python client drops a last line without one). */
export function sendJson(res: ServerResponse, code: number, body: unknown, yaml = false): void {
  const text = typeof body === 'string' ? (body.endsWith('\n') ? body : body + '\n') : yaml ? YAML.stringify(body) : JSON.stringify(body) + '\n';
  const bytes = Buffer.from(text);
  res.writeHead(code, {
    'Content-Type': yaml ? 'application/yaml' : 'application/json',
    'Content-Length': bytes.length,
    'Cache-Control': 'no-cache, private',
  });
  endWithBody(res, bytes);
}

/** Elements serialized and written at a time: a few hundred KB, a few ms of work between two looks at the event loop. */
const STREAM_GROUP = 256;

/**
 * A JSON document made of `head`, the serialized elements joined by commas, and `tail`. Up to a
 * group of elements it is one body with a Content-Length; a longer one (a list of 150 000 pods is
 * hundreds of MB) is serialized a group at a time and streamed in chunked encoding as the
 * socket takes it, as kube-apiserver streams a large list: serializing overlaps sending, other
 * requests are served in between, and the body is never one string (V8 caps string length)
 * nor held whole in memory. Resolves once written, or once the client has gone.
 */
export async function sendJsonStream(
  res: ServerResponse,
  code: number,
  head: string,
  count: number,
  element: (i: number) => string,
  tail: string,
): Promise<void> {
  if (count <= STREAM_GROUP) {
    const parts: string[] = [];
    for (let i = 0; i < count; i++) parts.push(element(i));
    sendJson(res, code, head + parts.join(',') + tail);
    return;
  }
  res.writeHead(code, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  answered.add(res);
  try {
    for (let i = 0; i < count; i += STREAM_GROUP) {
      if (res.destroyed) return;
      const strings: string[] = [i === 0 ? head : ','];
      for (let j = i; j < Math.min(count, i + STREAM_GROUP); j++) {
        if (j > i) strings.push(',');
        strings.push(element(j));
      }
      if (!res.write(utf8Concat(strings))) await drained(res);
    }
  } catch (e) {
    // Mid-body nothing can be said any more: cut the response, as upstream does, and log why.
    res.destroy();
    throw e;
  }
  if (res.destroyed) return;
  // As endWithBody: the end of the body (the last chunk) only once the socket has taken the rest,
  // so that the client cannot have the whole response while this connection still needs drain.
  res.write(tail, (err) => {
    if (!err && !res.destroyed) res.end();
  });
}

/**
 * Strings joined into one UTF-8 buffer. Written as one string, a group would be joined into a
 * V8 string of a MB or more, measured (Node's chunked encoding), then encoded by the socket: a
 * large short-lived object for the collector and two passes over it. Here each string is
 * measured once and copied straight into memory outside the JS heap, byte for byte when it is
 * ASCII (as objects' JSON nearly always is: a quarter of the cost of encoding UTF-8).
 */
export function utf8Concat(strings: string[]): Buffer {
  const sizes = new Array<number>(strings.length);
  let total = 0;
  for (let i = 0; i < strings.length; i++) total += sizes[i] = Buffer.byteLength(strings[i]!);
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (let i = 0; i < strings.length; i++) {
    const s = strings[i]!;
    // As many UTF-8 bytes as characters: every character is ASCII, one byte as in Latin-1.
    at += out.write(s, at, sizes[i] === s.length ? 'latin1' : 'utf8');
  }
  return out;
}

/** Waits until a response can take more, or is gone. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Responses whose body endWithBody is writing: answered, though not yet ended. */
const answered = new WeakSet<ServerResponse>();

/** Bodies up to this share of the socket's write buffer threshold are written at once. */
const DIRECT_SHARE = 1 / 4;

/**
 * Writes a response's whole body (its headers set, Content-Length included) and ends it so that
 * the connection stays usable for the client's next request.
 *
 * Why not res.end(body): when a request arrives while the connection's previous response has
 * not drained (Node's socket still "needs drain"), Node's HTTP server pauses the socket and its
 * parser. Over TLS, Node still hands the paused parser the rest of the records it had already
 * decrypted from the same read (TLSWrap::ClearOut does not stop on readStop), the parser fails
 * with HPE_PAUSED and Node resets the connection. A large body written at once leaves the socket
 * needing drain until its write completes, and a keep-alive client that has received the body
 * may send its next request (say a 200 KB PUT, many records) before that completion reaches the
 * server's event loop. So a large body is written but for its last byte, and that byte only once
 * the rest has been taken by the socket: the client cannot have the whole response (and send
 * again) before then, and that last small write leaves nothing to drain. (A client that
 * pipelines, sending before its previous answer is in, could still meet Node's pause; no
 * Kubernetes client does.)
 */
export function endWithBody(res: ServerResponse, body: Buffer): void {
  const threshold = res.socket?.writableHighWaterMark ?? res.writableHighWaterMark;
  if (body.length <= threshold * DIRECT_SHARE) {
    res.end(body);
    return;
  }
  answered.add(res);
  res.write(body.subarray(0, body.length - 1), (err) => {
    // An error: the connection is gone, and with it the client ('close' releases what the request held).
    if (!err && !res.destroyed) res.end(body.subarray(body.length - 1));
  });
}

/** Any failure becomes a Status; unexpected ones are 500s that name no internals. */
export function sendError(res: ServerResponse, err: unknown, log: LogFn): void {
  const apiErr = err instanceof ApiError ? err : internal((err as Error)?.message ?? String(err));
  if (!(err instanceof ApiError)) errorOf(log)(`internal error: ${(err as Error)?.stack ?? err}`);
  // A body is on its way: anything written now would corrupt it.
  if (answered.has(res)) return;
  if (res.headersSent) {
    // Mid-stream (a watch): all that can be done is to say so in the stream and end it.
    if (!res.writableEnded) res.end(JSON.stringify({ type: 'ERROR', object: apiErr.toStatus() }) + '\n');
    return;
  }
  // As upstream's ErrorNegotiated: a Status that names a wait says it in the header clients obey.
  const retryAfter = apiErr.details?.retryAfterSeconds;
  if (retryAfter && retryAfter > 0) res.setHeader('Retry-After', String(retryAfter));
  sendJson(res, apiErr.code, apiErr.toStatus());
}

export function addWarnings(res: ServerResponse, warnings: string[]): void {
  if (!warnings.length || res.headersSent) return;
  // Added to those already there: a request may collect warnings from several places (field
  // validation, admission plugins).
  const had = res.getHeader('Warning');
  const before = had === undefined ? [] : Array.isArray(had) ? had : [String(had)];
  res.setHeader('Warning', [...before, ...warnings.map((w) => `299 - ${JSON.stringify(w)}`)]);
}

/** Refuses an upgrade request (exec and the like) with a Status, written on the raw connection. */
export function refuseUpgrade(socket: Duplex, err: ApiError): void {
  const body = JSON.stringify(err.toStatus()) + '\n';
  socket.end(
    `HTTP/1.1 ${err.code} ${STATUS_CODES[err.code] ?? err.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
