// `berth sim` in a child process for e2e tests (its run function, as the command runs it), so a
// test's synchronous kubectl calls never stall the simulated kubelets.
import { spawn } from 'node:child_process';
import type { SimFlags } from '../../src/cli/sim.js';
import { ROOT } from './harness.js';

export interface SimProcess {
  output(): string;
  stop(): Promise<void>;
}

/** Starts the simulator and resolves once its nodes are registered. */
export function startSimProcess(flags: SimFlags): Promise<SimProcess> {
  const script = `import(${JSON.stringify(`${ROOT}/src/cli/sim.ts`)}).then((m) => m.runSimCommand(${JSON.stringify(flags)})).catch((e) => { console.error(e); process.exit(1); })`;
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  const sim: SimProcess = {
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void sim.stop();
      reject(new Error(`sim not registered in time:\n${out}`));
    }, 60_000);
    const onData = (d: Buffer) => {
      out += d;
      if (/nodes registered in/.test(out)) {
        clearTimeout(timer);
        resolve(sim);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`sim exited with ${code}:\n${out}`));
    });
  });
}
