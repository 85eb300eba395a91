// Flag values shared by several commands, in a module of their own so that a command importing
// them does not load another command's code.
import { homedir } from 'node:os';
import { join } from 'node:path';

export function defaultDataDir(): string {
  return process.getuid?.() === 0 ? '/var/lib/berth' : join(homedir(), '.berth');
}

export function parseListen(listen: string, flag = '--listen'): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(listen);
  if (!m) throw new Error(`${flag} must be HOST:PORT, got "${listen}"`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`${flag} port out of range: ${port}`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}
