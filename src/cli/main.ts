// The berth command: every component in one program. Each command loads its own code when it
// runs (and the bundle splits along these imports), so that `berth agent` on a node does not
// parse and keep the API server, store and scheduler in memory.
import { Command, CommanderError } from 'commander';
import { SUPERVISED_ENV, superviseServer } from './supervisor.js';
import { componentLogger, configureLogging, parseLogFlags } from '../log/logger.js';

async function runMigrate(opts: { from: string; to: string; etcdCafile?: string; etcdCertfile?: string; etcdKeyfile?: string }): Promise<void> {
  const { migrate, openStore, parseDatastore } = await import('./datastore.js');
  const from = await openStore(parseDatastore(opts.from, ''), opts);
  try {
    const to = await openStore(parseDatastore(opts.to, ''), opts);
    try {
      const n = await migrate(from, to, componentLogger('datastore'));
      process.stdout.write(`berth: migrated ${n} objects from ${opts.from} to ${opts.to}\n`);
    } finally {
      await to.close();
    }
  } finally {
    await from.close();
  }
}

/** A repeatable option's values, in order. */
const repeated = (value: string, previous: string[]) => [...previous, value];

const program = new Command();
program.name('berth').description('A Kubernetes-compatible pod orchestrator').showHelpAfterError(false);
program.exitOverride();

program
  .command('server')
  .description(
    'start the control plane on this machine: the API server and store, the scheduler and the controller manager (each in a process of its own), a node agent',
  )
  .option('--data-dir <dir>', 'where state, certificates and the kubeconfig live (default /var/lib/berth as root, ~/.berth otherwise)')
  .option(
    '--listen <host:port>',
    'address to serve the Kubernetes API on (all addresses by default, as k3s: pods reach it through the kubernetes Service)',
    '0.0.0.0:6443',
  )
  .option('--no-agent', 'do not run a node agent in this process')
  .option(
    '--token <secret>',
    "the join token's secret (written to DIR/token as K10<CA hash>::server:<secret>; default: the one in DIR/token, else a new random one)",
  )
  .option('--pod-network <mode>', "the embedded agent's pod network across nodes: vxlan, host-gw or none (bring your own CNI)", 'vxlan')
  .option('--compaction-interval <seconds>', 'how often store history is compacted (default 300)')
  .option('--datastore <spec>', 'sqlite:PATH (default DIR/state.db) or etcd://HOST:PORT[,HOST:PORT...]')
  .option('--etcd-cafile <file>', "CA certificate that signed the etcd servers' certificates")
  .option('--etcd-certfile <file>', 'client certificate for etcd')
  .option('--etcd-keyfile <file>', 'key of the client certificate for etcd')
  .option('--disable-scheduler', 'do not run the scheduler at all (in no process)')
  .option('--scheduler-config <file>', 'a KubeSchedulerConfiguration file for the embedded scheduler')
  .option(
    '--scheduler-metrics-bind-address <host:port>',
    "where the scheduler's process serves /metrics, as plain HTTP (port 0: any free port; in --single-process the API server's /metrics has them)",
    '127.0.0.1:10259',
  )
  .option(
    '--single-process',
    "run the scheduler and the controllers in the server's process, on its one thread (the default on a 1-core machine; otherwise each runs in a process of its own)",
  )
  .option(
    '--disable-controller-manager',
    'do not run the controllers at all (in no process; the embedded agent then gets a free range of --cluster-cidr from the server)',
  )
  .option('--node-monitor-grace-period <seconds>', 'how long a node may go without renewing its lease before it is marked unknown (default 40)')
  .option('--allocate-node-cidrs [bool]', 'give each node a podCIDR of --cluster-cidr (node IPAM); --allocate-node-cidrs=false turns it off (default true)')
  .option('--cluster-cidr <cidr>', 'the cluster pod range that node podCIDRs are cut from (default 10.42.0.0/16)')
  .option('--node-cidr-mask-size <n>', "prefix length of each node's podCIDR (default 24: 254 pod addresses per node)")
  .option('--service-cidr <cidr>', 'the range Service cluster IPs come from (default 10.43.0.0/16; its first address is default/kubernetes)')
  .option('--service-node-port-range <range>', 'the range NodePorts come from (default 30000-32767)')
  .option('--cluster-dns <ip>', 'the cluster IP of kube-system/kube-dns, the nameserver of pods (default: the tenth address of --service-cidr, 10.43.0.10)')
  .option('--cluster-domain <domain>', 'the cluster DNS domain (default cluster.local)')
  .option('--max-endpoints-per-slice <n>', 'endpoints per EndpointSlice at most (default 100, at most 1000)')
  .option(
    '--advertise-address <ip>',
    'the address this API server publishes in the default/kubernetes Endpoints, where pods reach it (default: the node IP the embedded agent uses)',
  )
  .option('--max-requests-inflight <n>', 'read-only requests served at once; beyond, 429 with Retry-After (default 400; 0: no limit)')
  .option('--max-mutating-requests-inflight <n>', 'mutating requests served at once; beyond, 429 with Retry-After (default 200; 0: no limit)')
  .option('--request-timeout <seconds>', 'a request, body included, must arrive within this (default 60)')
  .option('--header-timeout <seconds>', "the TLS handshake, and a request's headers, must arrive within this (default 10)")
  .option(
    '--max-connections <n>',
    'open client connections at most; at the cap the oldest idle one is closed (default: the open-file limit less 256, at most 10000)',
  )
  .option('--watch-history-mib <n>', 'MiB of watch event history kept for all resources together (default 32)')
  .option('--tls-cipher-suites <list>', 'comma-separated TLS 1.2 cipher suites, upstream names (default: ECDHE with AES-GCM or ChaCha20-Poly1305)')
  .option('--tls-min-version <v>', 'VersionTLS12 (default) or VersionTLS13')
  .option(
    '--authorization-mode <modes>',
    'authorizers in order, comma-separated: Node, RBAC, AlwaysAllow, AlwaysDeny (default Node,RBAC; system:masters is always allowed)',
  )
  .option(
    '--enable-admission-plugins <names>',
    "admission plugins to run besides the default ones, upstream's names (Berth runs all of its plugins by default)",
  )
  .option(
    '--disable-admission-plugins <names>',
    "admission plugins not to run, upstream's names, comma-separated (e.g. ServiceAccount: pods get no token volume)",
  )
  .option(
    '--service-account-max-token-expiration <duration>',
    'the longest ServiceAccount token a TokenRequest gets (e.g. 48h; longer requests are shortened to it; default: no limit)',
  )
  .option('--secrets-encryption', 'encrypt Secrets at rest (aescbc), with the key kept in DIR/cred/encryption-config.json (written on first start)')
  .option(
    '--encryption-provider-config <file>',
    'an EncryptionConfiguration (apiserver.config.k8s.io/v1): which resources are encrypted, with which providers and keys',
  )
  .option('--no-supervisor', 'run the server in this process, with nothing to restart it when it crashes (for a service manager that restarts it itself)')
  .option('--proxy-table <name>', "the embedded agent's service proxy's nftables table (family ip)", 'berth')
  .option('--disable-proxy', 'the embedded agent runs no service proxy')
  .action(async (opts) => {
    if (opts.supervisor && !process.env[SUPERVISED_ENV]) {
      process.exit(await superviseServer({ script: process.argv[1]!, args: process.argv.slice(2) }));
    }
    return (await import('./server.js')).runServer(opts);
  });

program
  .command('scheduler')
  .description('run the scheduler against a cluster (leader-elected through a Lease)')
  .option('--kubeconfig <file>', 'kubeconfig of the cluster (default $KUBECONFIG or ~/.kube/config)')
  .option('--config <file>', 'a KubeSchedulerConfiguration file (profiles, plugins, args)')
  .option('--metrics-bind-address <host:port>', 'where /metrics is served, as plain HTTP (port 0: any free port)', '127.0.0.1:10259')
  .action(async (opts) => (await import('./scheduler.js')).runSchedulerCommand(opts));

program
  .command('controller-manager')
  .description(
    'run the controllers (replicaset, deployment, garbage collector, namespace, node lifecycle, pod GC, node IPAM, CSR approving and signing, EndpointSlices, Endpoints, ServiceLB), leader-elected through a Lease',
  )
  .option('--kubeconfig <file>', 'kubeconfig of the cluster (default $KUBECONFIG or ~/.kube/config)')
  .option('--no-leader-elect', 'act without taking the kube-controller-manager Lease')
  .option('--node-monitor-grace-period <seconds>', 'how long a node may go without renewing its lease before it is marked unknown (default 40)')
  .option('--terminated-pod-gc-threshold <n>', 'terminated pods kept before pod GC deletes the oldest (default 12500; 0 disables)')
  .option('--allocate-node-cidrs [bool]', 'give each node a podCIDR of --cluster-cidr (node IPAM); --allocate-node-cidrs=false turns it off (default true)')
  .option('--cluster-cidr <cidr>', 'the cluster pod range that node podCIDRs are cut from (default 10.42.0.0/16)')
  .option('--node-cidr-mask-size <n>', "prefix length of each node's podCIDR (default 24: 254 pod addresses per node)")
  .option('--max-endpoints-per-slice <n>', 'endpoints per EndpointSlice at most (default 100, at most 1000)')
  .option(
    '--cluster-signing-cert-file <file>',
    'the cluster CA certificate (PEM) that signs approved kubelet CertificateSigningRequests (with --cluster-signing-key-file)',
  )
  .option('--cluster-signing-key-file <file>', "the cluster CA's private key (PEM)")
  .action(async (opts) => (await import('./controller-manager.js')).runControllerManagerCommand(opts));

program
  .command('sim')
  .description('run simulated nodes (kwok-like) against a cluster: they register, keep their leases and run the pods bound to them')
  .option('--kubeconfig <file>', 'kubeconfig of the cluster (default $KUBECONFIG or ~/.kube/config)')
  .requiredOption('--nodes <n>', 'how many nodes to simulate')
  .option('--cpu <quantity>', 'cpu capacity of each node', '32')
  .option('--memory <quantity>', 'memory capacity of each node', '256Gi')
  .option('--pods <n>', 'pod capacity of each node', '110')
  .option('--ephemeral-storage <quantity>', 'ephemeral-storage capacity of each node', '100Gi')
  .option('--zones <n|names>', 'a number of zones, or zone names separated by commas; nodes are spread over them in turn', '1')
  .option('--region <name>', 'the region label (default: from AWS/GCP-style zone names, else sim-region)')
  .option('--name-prefix <prefix>', 'nodes are named PREFIX0, PREFIX1, ...', 'sim-')
  .option('--start-delay <ms>', 'how long a container takes to start and an init container runs (milliseconds, or a duration such as 2s)', '0')
  .option('--pod-cidr <cidr>', 'the cluster pod range, a /24 of it per node (default 10.244.0.0/16; 10.0.0.0/8 above 256 nodes)')
  .option('--crash-backoff-scale <factor>', 'multiply the CrashLoopBackOff waits (10 s doubling to 5 min) by this, e.g. 0.1 in tests', '1')
  .action(async (opts) => (await import('./sim.js')).runSimCommand(opts));

program
  .command('agent')
  .description('run a node agent: registers this machine as a Node and runs the pods bound to it')
  .option('--server <url>', 'URL of the API server')
  .option('--token <token>', "the server's join token (its DATA_DIR/token; default $BERTH_TOKEN): joins with a client certificate of its own")
  .option('--token-file <file>', 'read the join token from a file')
  .option('--ca-file <file>', 'trust this cluster CA instead of fetching it from the server (needed with a short token to check the server)')
  .option('--kubeconfig <file>', 'connect as this kubeconfig says instead')
  .option('--data-dir <dir>', 'containerd, pod logs, certificate (default /var/lib/berth/agent as root)')
  .option('--node-name <name>', 'Node name (default: host name)')
  .option('--node-ip <ip>', 'InternalIP (default: first non-loopback IPv4)')
  .option('--node-external-ip <ip>', "the Node's ExternalIP address (where it is reached from outside; also in its serving certificate)")
  .option('--node-label <key=value>', 'a label the Node registers with (repeatable; kubernetes.io and k8s.io keys only as kubelet may set them)', repeated, [])
  .option('--node-taint <key[=value]:effect>', 'a taint the Node is created with (repeatable; effect NoSchedule, PreferNoSchedule or NoExecute)', repeated, [])
  .option('--containerd-socket <path>', 'use this CRI socket instead of starting containerd')
  .option(
    '--pod-cidr <cidr>',
    "this node's pod range, for a control plane that assigns none (default: wait for the one the controller manager's node IPAM assigns)",
  )
  .option('--listen <host:port>', 'agent endpoint for logs and exec', '0.0.0.0:10250')
  .option('--cluster-dns <ips>', "comma-separated cluster DNS servers, the pods' nameservers (kube-dns's ClusterIP)", '10.43.0.10')
  .option('--cluster-domain <domain>', 'cluster domain', 'cluster.local')
  .option('--resolv-conf <file>', "the node's resolver config: upstreams of the cluster DNS, and the pods' with dnsPolicy Default", '/etc/resolv.conf')
  .option('--bridge <name>', 'Linux bridge of the pod network', 'berth0')
  .option('--no-ip-masq', 'do not masquerade pod traffic leaving the node')
  .option('--proxy-table <name>', "the service proxy's nftables table (family ip)", 'berth')
  .option('--disable-proxy', 'run no service proxy')
  .option('--cluster-cidr <cidr>', 'the cluster pod range: the proxy masquerades traffic to ClusterIPs from outside it', '10.42.0.0/16')
  .option('--service-cidr <cidr>', 'the Service range: the proxy drops traffic to its unallocated ClusterIPs', '10.43.0.0/16')
  .option('--cleanup', "remove the service proxy's nftables table (--proxy-table) and exit")
  .option(
    '--pod-network <mode>',
    "pods' network across nodes: vxlan (an overlay), host-gw (routes via the nodes' IPs, one L2 segment), none (bring your own CNI)",
    'vxlan',
  )
  .option('--cgroup-root <path>', "parent cgroup of the pods' cgroups", '/berth')
  .option('--no-agent-tunnel', 'no tunnel to the API servers: they dial the agent endpoint (--listen) directly')
  .action(async (opts) => (await import('./agent.js')).runAgentCommand(opts));

program
  .command('killall')
  .description(
    "stop every pod of this machine's node for good and remove what it holds on the host (containers, mounts, bridge, pod address reservations); the server must be stopped",
  )
  .option('--data-dir <dir>', 'the data dir of the stopped server or agent (default /var/lib/berth as root)')
  .action(async (opts) => (await import('./killall.js')).runKillall(opts));

const image = program.command('image').description("manage images in the node's containerd");
image
  .command('import <file>')
  .description("load an OCI or docker archive into the node agent's containerd")
  .option('--data-dir <dir>', "the server's data dir (containerd is under DIR/agent)")
  .option('--containerd-socket <path>', 'a containerd socket instead')
  .action(async (file, opts) => (await import('./agent.js')).runImageImport(file, opts));

const datastore = program.command('datastore').description('manage the cluster datastore');
datastore
  .command('migrate')
  .description("copy a stopped cluster's state from one datastore to another (either direction)")
  .requiredOption('--from <spec>', 'sqlite:PATH or etcd://HOST:PORT[,...]')
  .requiredOption('--to <spec>', 'sqlite:PATH or etcd://HOST:PORT[,...]')
  .option('--etcd-cafile <file>', 'CA certificate for etcd')
  .option('--etcd-certfile <file>', 'client certificate for etcd')
  .option('--etcd-keyfile <file>', 'key of the client certificate for etcd')
  .action(async (opts) => runMigrate(opts));

const secretsEncrypt = program.command('secrets-encrypt').description('inspect and rotate the keys Secrets are encrypted with at rest');
const withStoreFlags = (c: Command) =>
  c
    .option('--data-dir <dir>', "the server's data dir (default /var/lib/berth as root, ~/.berth otherwise)")
    .option('--datastore <spec>', 'the datastore the server uses: sqlite:PATH (default DIR/state.db) or etcd://HOST:PORT[,...]')
    .option('--encryption-provider-config <file>', 'the configuration file, if not DIR/cred/encryption-config.json')
    .option('--etcd-cafile <file>', 'CA certificate for etcd')
    .option('--etcd-certfile <file>', 'client certificate for etcd')
    .option('--etcd-keyfile <file>', 'key of the client certificate for etcd');
withStoreFlags(
  secretsEncrypt.command('status').description('whether encryption is on, the key new writes use, and how many values are stored under each key'),
).action(async (opts) => (await import('./secrets-encrypt.js')).runSecretsEncryptStatus(opts));
withStoreFlags(
  secretsEncrypt
    .command('rotate-keys')
    .description('add a new aescbc key first (old ones stay for reading) and re-encrypt every stored value with it; the server must be stopped'),
).action(async (opts) => (await import('./secrets-encrypt.js')).runSecretsEncryptRotateKeys(opts));

/** klog's flags on every command; a supervised server child gets them with its arguments. */
function addLogFlags(c: Command): void {
  for (const sub of c.commands) addLogFlags(sub);
  if (c.commands.length > 0) return;
  c.option('--v <n>', 'log verbosity as klog counts it: 0 info, 2 more, 4 debug, 6 trace (default 0)')
    .option('--log-level <level>', 'log threshold by name: error, warn, info, verbose, debug or trace (wins over --v)')
    .option('--log-format <format>', 'text (klog-like lines, the default) or json (one object per line)');
}
addLogFlags(program);
program.hook('preAction', (_program, action) => configureLogging(parseLogFlags(action.opts())));

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode);
  // One clear line, no stack trace: the user gets what went wrong and a non-zero exit.
  process.stderr.write(`berth: error: ${(e as Error).message}\n`);
  process.exit(1);
}
