// Runs a node agent in a process of its own for the agent e2e test (so that it can be killed
// with -9 and restarted): options as JSON in argv[2]; prints "agent ready" when running; on
// SIGTERM stops (removing every pod first when BERTH_REMOVE_PODS=1) and exits.
import { startEmbeddedAgent, type EmbeddedAgentOptions, type RunningAgent } from '../../src/cli/agent.js';

const opts = JSON.parse(process.argv[2] ?? '{}') as EmbeddedAgentOptions;
// SIGTERM while the start still waits for the node's podCIDR ends the start, then stops.
const starting = new AbortController();
let running: RunningAgent | undefined;
let stopping = false;
const stop = async () => {
  try {
    await running!.stop({ removePods: process.env.BERTH_REMOVE_PODS === '1' });
    process.exit(0);
  } catch (e) {
    process.stderr.write(`agent: stop failed: ${(e as Error).message}\n`);
    process.exit(1);
  }
};
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  if (running) void stop();
  else starting.abort();
});
running = await startEmbeddedAgent({ ...opts, signal: starting.signal, log: (m) => process.stderr.write(`agent: ${m}\n`) });
if (stopping) await stop();
process.stdout.write(`agent ready port=${running.server.port}\n`);
