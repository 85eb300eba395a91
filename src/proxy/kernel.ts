// What the kernel needs besides the table. Pods on one bridge answer each other at layer 2: a
// reply from a Service's backend to a client pod on the same bridge never reaches the IP layer,
// so its DNAT is never undone (the client sees the pod's address and resets), unless bridged
// IPv4 traffic goes through netfilter: br_netfilter with net.bridge.bridge-nf-call-iptables=1
// (kube-proxy and kubelet require the same). The setting is per network namespace. NodePorts
// on 127.0.0.1 are not served (as upstream's nftables mode), so route_localnet stays off.
import { spawnSync } from 'node:child_process';

const PATH = `${process.env.PATH ?? ''}:/usr/sbin:/sbin`;

function run(prefix: string[], cmd: string[]): { ok: boolean; out: string } {
  const [c, ...args] = [...prefix, ...cmd];
  const r = spawnSync(c!, args, { encoding: 'utf8', env: { ...process.env, PATH } });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? r.error.message : ''}`.trim() };
}

/** Turns bridge netfilter on (loading br_netfilter if it can); returns a warning when it could not. */
export function ensureBridgeNetfilter(prefix: string[] = []): string | undefined {
  const key = 'net.bridge.bridge-nf-call-iptables';
  const read = () => run(prefix, ['sysctl', '-n', key]);
  let cur = read();
  if (!cur.ok) {
    // The sysctl appears with the module.
    run([], ['modprobe', 'br_netfilter']);
    cur = read();
    if (!cur.ok) return `${key} is not available (br_netfilter not loaded: ${cur.out}); pods reaching a Service whose backend is on the same bridge will fail`;
  }
  if (cur.out.trim() === '1') return undefined;
  const w = run(prefix, ['sysctl', '-w', `${key}=1`]);
  return w.ok ? undefined : `could not set ${key}=1: ${w.out}`;
}
