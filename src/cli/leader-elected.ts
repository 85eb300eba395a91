// Runs a component only while this process holds its Lease (or always, without leader
// election); on losing the lease it stops the component and campaigns again as a standby.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { LeaderElector, type RestClient } from '../client/index.js';
import type { Logger } from '../log/logger.js';

export interface LeaderElected {
  stop(): Promise<void>;
  /** Whether this copy holds the lease and acts. */
  isLeader(): boolean;
}

export interface LeaderElectedOptions {
  client: RestClient;
  lease: { namespace: string; name: string };
  /** false: act at once without taking the lease. */
  leaderElect: boolean;
  identity?: string;
  log: Logger;
  /** The component's life while leading: resolves after signal aborts and it has stopped. */
  run: (signal: AbortSignal) => Promise<void>;
}

export function runLeaderElected(o: LeaderElectedOptions): LeaderElected {
  const identity = o.identity ?? `${hostname()}_${randomBytes(4).toString('hex')}`;
  const run = (signal: AbortSignal) => o.run(signal).catch((e) => o.log.error(`stopped: ${(e as Error).message}`));
  if (!o.leaderElect) {
    const ctl = new AbortController();
    const done = run(ctl.signal);
    return {
      isLeader: () => true,
      async stop() {
        ctl.abort();
        await done;
      },
    };
  }
  let stopping = false;
  let elector: LeaderElector;
  const campaign = () => {
    elector = new LeaderElector({
      client: o.client,
      namespace: o.lease.namespace,
      name: o.lease.name,
      identity,
      onStartedLeading: (signal) => run(signal),
      onNewLeader: (who) => {
        if (who !== identity) o.log(`leader is ${who}`);
      },
      // Leadership lost (not a stop of ours): campaign again as a standby.
      onStoppedLeading: () => {
        if (!stopping) setImmediate(campaign);
      },
      log: o.log,
    });
    void elector.run();
  };
  campaign();
  return {
    isLeader: () => elector.isLeader(),
    async stop() {
      stopping = true;
      await elector.stop();
    },
  };
}
