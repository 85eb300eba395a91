// The berth command: every component in one program.
import { Command, CommanderError } from 'commander';
import { runServer } from './server.js';
import { runSchedulerCommand } from './scheduler.js';
import { migrate, openStore, parseDatastore } from './datastore.js';

async function runMigrate(opts: { from: string; to: string; etcdCafile?: string; etcdCertfile?: string; etcdKeyfile?: string }): Promise<void> {
  const from = await openStore(parseDatastore(opts.from, ''), opts);
  try {
    const to = await openStore(parseDatastore(opts.to, ''), opts);
    try {
      const n = await migrate(from, to, (m) => process.stderr.write(`berth: ${m}\n`));
      process.stdout.write(`berth: migrated ${n} objects from ${opts.from} to ${opts.to}\n`);
    } finally {
      await to.close();
    }
  } finally {
    await from.close();
  }
}

const program = new Command();
program.name('berth').description('A Kubernetes-compatible pod orchestrator').showHelpAfterError(false);
program.exitOverride();

program
  .command('server')
  .description('start the control plane (API server and store) on this machine')
  .option('--data-dir <dir>', 'where state, certificates and the kubeconfig live (default /var/lib/berth as root, ~/.berth otherwise)')
  .option('--listen <host:port>', 'address to serve the Kubernetes API on', '127.0.0.1:6443')
  .option('--no-agent', 'do not run a node agent in this process')
  .option('--compaction-interval <seconds>', 'how often store history is compacted (default 300)')
  .option('--datastore <spec>', 'sqlite:PATH (default DIR/state.db) or etcd://HOST:PORT[,HOST:PORT...]')
  .option('--etcd-cafile <file>', 'CA certificate that signed the etcd servers\' certificates')
  .option('--etcd-certfile <file>', 'client certificate for etcd')
  .option('--etcd-keyfile <file>', 'key of the client certificate for etcd')
  .option('--disable-scheduler', 'do not run the scheduler in this process')
  .option('--scheduler-config <file>', 'a KubeSchedulerConfiguration file for the embedded scheduler')
  .action(async (opts) => runServer(opts));

program
  .command('scheduler')
  .description('run the scheduler against a cluster (leader-elected through a Lease)')
  .option('--kubeconfig <file>', 'kubeconfig of the cluster (default $KUBECONFIG or ~/.kube/config)')
  .option('--config <file>', 'a KubeSchedulerConfiguration file (profiles, plugins, args)')
  .action(async (opts) => runSchedulerCommand(opts));

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

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode);
  // One clear line, no stack trace: the user gets what went wrong and a non-zero exit.
  process.stderr.write(`berth: error: ${(e as Error).message}\n`);
  process.exit(1);
}
