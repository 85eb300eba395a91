// The node's resolver configuration (resolv.conf(5)): its nameservers are the cluster DNS's
// upstreams, and pods with dnsPolicy Default, and the search path under ClusterFirst, come from it.
import { readFileSync, statSync } from 'node:fs';

export interface ResolvConf {
  servers: string[];
  searches: string[];
  options: string[];
}

export function parseResolvConf(text: string): ResolvConf {
  const servers: string[] = [];
  let searches: string[] = [];
  const options: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver' && rest[0]) servers.push(rest[0]);
    // The last of "search" and "domain" wins, as in glibc.
    else if (key === 'search' || key === 'domain') searches = rest;
    else if (key === 'options') options.push(...rest);
  }
  return { servers, searches, options };
}

/** A resolv.conf read again when it changes (checked at most every recheckMs). */
export class ResolvConfFile {
  private conf: ResolvConf = { servers: [], searches: [], options: [] };
  private mtimeMs = -1;
  private checkedAt = -Infinity;

  constructor(
    readonly path: string,
    private readonly recheckMs = 5000,
  ) {}

  current(): ResolvConf {
    const now = Date.now();
    if (now - this.checkedAt < this.recheckMs) return this.conf;
    this.checkedAt = now;
    try {
      const st = statSync(this.path);
      if (st.mtimeMs !== this.mtimeMs) {
        this.conf = parseResolvConf(readFileSync(this.path, 'utf8'));
        this.mtimeMs = st.mtimeMs;
      }
    } catch {
      this.conf = { servers: [], searches: [], options: [] };
      this.mtimeMs = -1;
    }
    return this.conf;
  }
}
