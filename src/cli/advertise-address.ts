// The address `berth server` publishes in the default/kubernetes endpoints: where pods reach the
// API. As upstream's --advertise-address: the flag, else the address the server listens on when
// that is one address, else the node IP the embedded agent registers (a loopback address is
// useless to pods, which have their own loopback).
import { parseIp } from '../api/cidr.js';
import { defaultNodeIP } from '../agent/index.js';

const isLoopback = (ip: string) => ip.startsWith('127.');

/** The address to advertise, or undefined (with why) when there is none pods could reach. */
export function advertiseAddress(flag: string | undefined, listenHost: string, nodeIP: () => string = defaultNodeIP): { address?: string; why?: string } {
  if (flag !== undefined) {
    if (parseIp(flag) === undefined) throw new Error(`--advertise-address must be an IPv4 address, got "${flag}"`);
    if (isLoopback(flag) || flag === '0.0.0.0')
      throw new Error(`--advertise-address ${flag} cannot be reached from pods; give an address of this machine they can reach`);
    return { address: flag };
  }
  if (parseIp(listenHost) !== undefined && !isLoopback(listenHost) && listenHost !== '0.0.0.0') return { address: listenHost };
  const ip = nodeIP();
  if (isLoopback(ip)) return { why: 'this machine has no non-loopback IPv4 address' };
  return { address: ip };
}
