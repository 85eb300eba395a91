// Runs `nft -f -` with the proxy's commands on stdin, one transaction per call: nft applies a
// whole file or nothing. A prefix runs it elsewhere (e.g. `ip netns exec NS`, as tests do).
import { spawn } from 'node:child_process';

export class NftError extends Error {
  override readonly name = 'NftError';
}

export interface NftRunner {
  /** Applies the commands in one transaction; rejects with NftError on failure. */
  apply(commands: string): Promise<void>;
  /** Runs nft with arguments (e.g. list table) and returns its output. */
  run(args: string[]): Promise<string>;
}

export interface NftOptions {
  /** Command words before nft, e.g. ['ip', 'netns', 'exec', 'node1']. */
  prefix?: string[];
  /** The nft binary (default nft, looked up on PATH and in /usr/sbin). */
  nft?: string;
}

export function nftRunner(o: NftOptions = {}): NftRunner {
  const [cmd, ...pre] = [...(o.prefix ?? []), o.nft ?? 'nft'];
  const env = { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` };
  const exec = (args: string[], input?: string) =>
    new Promise<string>((resolve, reject) => {
      const p = spawn(cmd!, [...pre, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      p.stdout.on('data', (d: Buffer) => out.push(d));
      p.stderr.on('data', (d: Buffer) => err.push(d));
      p.on('error', (e) => reject(new NftError(`cannot run ${cmd}: ${e.message}`)));
      p.on('close', (code) => {
        if (code === 0) return resolve(Buffer.concat(out).toString('utf8'));
        const msg = Buffer.concat(err).toString('utf8').trim().split('\n').slice(0, 6).join('\n');
        reject(new NftError(`nft ${args.join(' ')} exited ${code}: ${msg}`));
      });
      // A failure shows up in the exit code; a closed stdin must not crash the process.
      p.stdin.on('error', () => undefined);
      p.stdin.end(input ?? '');
    });
  return {
    apply: async (commands) => void (await exec(['-f', '-'], commands)),
    run: (args) => exec(args),
  };
}
