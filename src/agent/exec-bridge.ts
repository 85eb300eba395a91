// kubectl 1.30+ execs over WebSocket with the v5.channel.k8s.io protocol, and falls back to SPDY
// only when that upgrade fails. A runtime's streaming server may not know v5 (containerd 1.6 and
// 1.7 answer it 403) and its older WebSocket protocols cannot close stdin on its own (`exec -i`
// with a file would never see EOF), so the agent ends a v5 WebSocket itself and speaks SPDY with
// v4.channel.k8s.io to the runtime, as upstream's API server does for kubelets (its
// StreamTranslatorProxy). The channels map one to one: stdin 0, stdout 1, stderr 2, the error
// (status) stream 3, resize 4; v5's close signal (255, stream) becomes a FIN on the SPDY stream.
import type { IncomingMessage } from 'node:http';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { FrameReader, FrameType, HeaderWriter, controlStreamId, dataFrame, pingFrame, synStreamFrame, type Frame } from './spdy.js';

export const V5_PROTOCOL = 'v5.channel.k8s.io';
const RUNTIME_PROTOCOL = 'v4.channel.k8s.io';

const CH_STDIN = 0;
const CH_STDOUT = 1;
const CH_STDERR = 2;
const CH_ERROR = 3;
const CH_RESIZE = 4;
const CH_CLOSE = 255;

/** Output kept for a slow client before the runtime's side is paused. */
const HIGH_WATER = 4 << 20;

export interface ExecStreams {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** A WebSocket upgrade offering v5 (clients that offer only older protocols go to the runtime as they are). */
export function wantsV5WebSocket(req: IncomingMessage): boolean {
  if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') return false;
  return String(req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim())
    .includes(V5_PROTOCOL);
}

const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, handleProtocols: (offered) => (offered.has(V5_PROTOCOL) ? V5_PROTOCOL : false) });

/**
 * Opens the SPDY session to the runtime's streaming URL first (so that a refusal is still an
 * HTTP error to the client), then accepts the WebSocket and joins the two.
 */
export async function bridgeV5ToSpdy(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  target: URL,
  streams: ExecStreams,
  log: (m: string) => void,
): Promise<void> {
  const { sock, rest } = await connectSpdy(target);
  wss.handleUpgrade(req, socket, head, (ws) => join(ws, sock, rest, streams, log));
}

/** The runtime's 101 answer to an SPDY/3.1 upgrade; rest: frame bytes that came with it. */
function connectSpdy(target: URL): Promise<{ sock: net.Socket; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: target.hostname, port: Number(target.port || 80) });
    let got = Buffer.alloc(0);
    const fail = (e: Error) => {
      sock.destroy();
      reject(e);
    };
    sock.once('error', fail);
    sock.once('connect', () => {
      sock.write(
        [
          `POST ${target.pathname}${target.search} HTTP/1.1`,
          `Host: ${target.host}`,
          'Connection: Upgrade',
          'Upgrade: SPDY/3.1',
          `X-Stream-Protocol-Version: ${RUNTIME_PROTOCOL}`,
          'Content-Length: 0',
          '',
          '',
        ].join('\r\n'),
      );
    });
    const onData = (d: Buffer) => {
      got = Buffer.concat([got, d]);
      const end = got.indexOf('\r\n\r\n');
      if (end < 0) {
        if (got.length > 64 * 1024) fail(new Error('the runtime streaming server sent no HTTP answer'));
        return;
      }
      const headText = got.subarray(0, end).toString('latin1');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(headText)?.[1] ?? 0);
      if (status !== 101) {
        // The body (if it came along) says why, as the runtime put it.
        const body = got
          .subarray(end + 4)
          .toString('utf8')
          .trim();
        return fail(new Error(`the runtime streaming server refused the exec stream: ${headText.split('\r\n')[0]}${body ? `: ${body}` : ''}`));
      }
      const proto = /\r\nx-stream-protocol-version:\s*(\S+)/i.exec(headText)?.[1];
      if (proto !== RUNTIME_PROTOCOL) return fail(new Error(`the runtime streaming server chose protocol ${proto ?? '(none)'}, not ${RUNTIME_PROTOCOL}`));
      sock.off('data', onData);
      sock.off('error', fail);
      sock.pause();
      resolve({ sock, rest: got.subarray(end + 4) });
    };
    sock.on('data', onData);
  });
}

function join(ws: WebSocket, sock: net.Socket, rest: Buffer, o: ExecStreams, log: (m: string) => void): void {
  const headers = new HeaderWriter();
  // client-go's order: the error stream first, then stdin, stdout, stderr, resize; client
  // streams have odd ids.
  let nextId = 1;
  const open = (type: string): number => {
    const id = nextId;
    nextId += 2;
    sock.write(synStreamFrame(id, { streamType: type }, headers));
    return id;
  };
  const errorId = open('error');
  const stdinId = o.stdin ? open('stdin') : 0;
  const stdoutId = o.stdout ? open('stdout') : 0;
  const stderrId = o.stderr && !o.tty ? open('stderr') : 0;
  const resizeId = o.tty ? open('resize') : 0;
  const channelOf = new Map<number, number>([[errorId, CH_ERROR]]);
  if (stdoutId) channelOf.set(stdoutId, CH_STDOUT);
  if (stderrId) channelOf.set(stderrId, CH_STDERR);

  // The streaming server drops data on a stream it has not replied to yet: hold ours until then.
  const unreplied = new Set([errorId, stdinId, stdoutId, stderrId, resizeId].filter(Boolean));
  let held: Buffer[] = [];
  const toRuntime = (frame: Buffer) => {
    if (unreplied.size) held.push(frame);
    else sock.write(frame);
  };
  let stdinClosed = false;
  let ended = false;
  const end = (code: number, reason = '') => {
    if (ended) return;
    ended = true;
    sock.destroy();
    // A normal close is how the client learns that every stream is complete.
    if (ws.readyState === ws.OPEN) ws.close(code, reason.slice(0, 120));
  };

  ws.on('message', (data: Buffer) => {
    if (!data.length) return;
    const ch = data[0];
    const body = data.subarray(1);
    if (ch === CH_STDIN && stdinId && !stdinClosed) {
      if (body.length) toRuntime(dataFrame(stdinId, body));
    } else if (ch === CH_RESIZE && resizeId) {
      toRuntime(dataFrame(resizeId, body));
    } else if (ch === CH_CLOSE && body[0] === CH_STDIN && stdinId && !stdinClosed) {
      stdinClosed = true;
      toRuntime(dataFrame(stdinId, Buffer.alloc(0), true));
    }
  });
  ws.on('close', () => end(1000));
  ws.on('error', (e) => {
    log(`exec: websocket: ${e.message}`);
    end(1011);
  });

  const reader = new FrameReader();
  const onFrame = (f: Frame) => {
    if (!f.control) {
      const ch = channelOf.get(f.streamId);
      if (ch !== undefined && f.data.length) {
        ws.send(Buffer.concat([Buffer.from([ch]), f.data]), () => {
          if (ws.bufferedAmount < HIGH_WATER && sock.isPaused()) sock.resume();
        });
        if (ws.bufferedAmount >= HIGH_WATER) sock.pause();
      }
      return;
    }
    const id = controlStreamId(f);
    switch (f.type) {
      case FrameType.SynReply:
        if (id !== undefined && unreplied.delete(id) && unreplied.size === 0) {
          for (const h of held) sock.write(h);
          held = [];
        }
        break;
      case FrameType.RstStream:
        // Before its reply a reset is a refusal; after it, the exec is over (the runtime resets
        // every stream, then closes the connection).
        if (id !== undefined && unreplied.has(id)) end(1011, 'the runtime streaming server refused a stream');
        break;
      case FrameType.Ping:
        if (f.payload.length >= 4) sock.write(pingFrame(f.payload.readUInt32BE(0)));
        break;
      default:
      // SETTINGS, GOAWAY, HEADERS, WINDOW_UPDATE: nothing a remotecommand client acts on
    }
  };
  const onBytes = (b: Buffer) => {
    for (const f of reader.push(b)) onFrame(f);
  };
  sock.on('data', onBytes);
  // Every frame the runtime sent has been passed on by then.
  sock.on('close', () => end(1000));
  sock.on('error', (e) => log(`exec: runtime stream: ${e.message}`));
  if (rest.length) onBytes(rest);
  sock.resume();
}
