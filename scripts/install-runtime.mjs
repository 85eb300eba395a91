// `npm start`'s first step (prestart): the node agent runs pods on containerd with runc, the CNI
// plugins, iptables, images built from busybox-static, and nft for its service proxy. Where they are missing and this can
// install them — root on Debian/Ubuntu (apt-get) — it does; otherwise it says what is missing
// and `berth server` starts with a loud warning and a simulated node. BERTH_NO_INSTALL=1 skips it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const PACKAGES = ['containerd', 'runc', 'containernetworking-plugins', 'busybox-static', 'iptables', 'nftables'];
const say = (m) => process.stderr.write(`berth setup: ${m}\n`);

const onPath = (cmd) => ['/usr/sbin', '/sbin', '/usr/bin', '/bin', '/usr/local/bin', '/usr/local/sbin'].some((d) => existsSync(`${d}/${cmd}`));
const missing = [];
if (!onPath('containerd') || !onPath('ctr')) missing.push('containerd');
if (!onPath('runc')) missing.push('runc');
if (!['/usr/lib/cni', '/opt/cni/bin', '/usr/libexec/cni'].some((d) => existsSync(`${d}/bridge`) && existsSync(`${d}/host-local`)))
  missing.push('containernetworking-plugins');
if (!existsSync('/bin/busybox') && !existsSync('/usr/bin/busybox')) missing.push('busybox-static');
if (!onPath('iptables')) missing.push('iptables');
if (!onPath('nft')) missing.push('nftables');

if (process.env.BERTH_NO_INSTALL || process.platform !== 'linux' || missing.length === 0) process.exit(0);
const why = `the node agent needs ${missing.join(', ')}`;
if (process.getuid?.() !== 0) {
  say(`${why}; run as root to install them (apt-get install ${PACKAGES.join(' ')}), or the server runs a simulated node`);
  process.exit(0);
}
if (!onPath('apt-get')) {
  say(`${why}; install them with this system's package manager, or the server runs a simulated node`);
  process.exit(0);
}
say(`${why}: installing ${PACKAGES.join(' ')} with apt-get`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
const apt = (args) => spawnSync('apt-get', args, { stdio: 'inherit', env }).status === 0;
if (
  !apt(['install', '-y', '-q', '--no-install-recommends', ...PACKAGES]) &&
  !(apt(['update', '-q']) && apt(['install', '-y', '-q', '--no-install-recommends', ...PACKAGES]))
) {
  say('apt-get could not install them; the server runs a simulated node until they are installed');
}
