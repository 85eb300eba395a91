// The berth command: every component in one program.
import { Command, CommanderError } from 'commander';
import { runServer } from './server.js';

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
  .action(async (opts) => runServer(opts));

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode);
  // One clear line, no stack trace: the user gets what went wrong and a non-zero exit.
  process.stderr.write(`berth: error: ${(e as Error).message}\n`);
  process.exit(1);
}
