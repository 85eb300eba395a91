// Runs a node agent in a process of its own for the agent e2e test (so that it can be killed
// with -9 and restarted): options as JSON in argv[2]; prints "agent ready" when running; on
// SIGTERM stops (removing every pod first when BERTH_REMOVE_PODS=1) and exits.
import { startEmbeddedAgent, type EmbeddedAgentOptions } from '../../src/cli/agent.js';

const opts = JSON.parse(process.argv[2] ?? '{}') as EmbeddedAgentOptions;
const running = await startEmbeddedAgent({ ...opts, log: (m) => process.stderr.write(`agent: ${m}\n`) });
process.stdout.write(`agent ready port=${running.server.port}\n`);
let stopping = false;
process.on('SIGTERM', async () => {
  if (stopping) return;
  stopping = true;
  try {
    await running.stop({ removePods: process.env.BERTH_REMOVE_PODS === '1' });
    process.exit(0);
  } catch (e) {
    process.stderr.write(`agent: stop failed: ${(e as Error).message}\n`);
    process.exit(1);
  }
});
