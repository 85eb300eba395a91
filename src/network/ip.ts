// The kernel's own tools: every change to links, routes, neighbours and FDB entries goes
// through iproute2's `ip` (many at once with `ip -batch -`), nftables through `nft -f -`.
import { spawnSync } from 'node:child_process';

export class IpCommandError extends Error {
  override readonly name = 'IpCommandError';
}

function run(cmd: string, args: string[], input?: string): string {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8', timeout: 15_000 });
  if (r.error) throw new IpCommandError(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0)
    throw new IpCommandError(`${cmd} ${args.join(' ')}${input ? ` <<${input.trim().split('\n').length} lines>>` : ''}: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

/** `ip ARGS`; throws with ip's own message on failure. */
export function ip(...args: string[]): string {
  return run('ip', args);
}

/** `ip -j ARGS`, parsed (ip prints nothing at all for an empty list). */
export function ipJson<T = Array<Record<string, unknown>>>(...args: string[]): T {
  const out = run('ip', ['-j', ...args]).trim();
  return JSON.parse(out || '[]') as T;
}

/** Many `ip` commands in one process (`ip -batch -`); stops at the first that fails. */
export function ipBatch(lines: string[]): void {
  if (!lines.length) return;
  run('ip', ['-batch', '-'], `${lines.join('\n')}\n`);
}

/** An nftables script (`nft -f -`): applied atomically, all or nothing. */
export function nft(script: string): void {
  run('nft', ['-f', '-'], script);
}

/** `nft ARGS` (e.g. a list), its output. */
export function nftCommand(...args: string[]): string {
  return run('nft', args);
}
