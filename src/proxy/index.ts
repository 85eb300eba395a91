// The node's service proxy (Berth's kube-proxy, nftables mode): informers on Services and
// EndpointSlices feed a Proxier that programs one nftables table. Run inside each node agent.
import type { Service } from 'kubernetes-types/core/v1';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1';
import { createInformer, type GroupVersionResource, type RestClient } from '../client/index.js';
import { ensureBridgeNetfilter } from './kernel.js';
import type { ProxyContext } from './model.js';
import { nftRunner, type NftRunner } from './nft.js';
import { DEFAULT_TABLE, Proxier, deleteProxyTable, type SyncResult } from './proxier.js';

export { Proxier, DEFAULT_TABLE, DEFAULT_MIN_SYNC_PERIOD_MS, deleteProxyTable, type SyncResult } from './proxier.js';
export { nftRunner, NftError, type NftRunner } from './nft.js';
export { serviceRules, type ProxyContext, type ServiceRules } from './model.js';
export { ensureBridgeNetfilter } from './kernel.js';

const SERVICES: GroupVersionResource = { group: '', version: 'v1', resource: 'services' };
const ENDPOINT_SLICES: GroupVersionResource = { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices' };
// As upstream: objects of another proxy (service-proxy-name) and headless Services are not ours.
const NOT_OURS = '!service.kubernetes.io/service-proxy-name,!service.kubernetes.io/headless';

export interface ServiceProxyOptions {
  client: RestClient;
  context: ProxyContext;
  table?: string;
  /** Command words before nft and sysctl (tests: ['ip', 'netns', 'exec', NS]). */
  prefix?: string[];
  minSyncPeriodMs?: number;
  log?: (msg: string) => void;
  onSynced?: (s: SyncResult) => void;
}

export interface ServiceProxy {
  readonly table: string;
  readonly proxier: Proxier;
  /** Stops watching and syncing; the table stays, so traffic flows while the agent restarts. */
  stop(): Promise<void>;
}

/** Starts the proxy: the table is rewritten whole once both informers have synced. */
export async function startServiceProxy(o: ServiceProxyOptions): Promise<ServiceProxy> {
  const log = o.log ?? ((m: string) => process.stderr.write(`berth: proxy: ${m}\n`));
  const warning = ensureBridgeNetfilter(o.prefix);
  if (warning) log(warning);
  const nft = nftRunner({ prefix: o.prefix });
  const proxier = new Proxier({ nft, context: o.context, table: o.table, minSyncPeriodMs: o.minSyncPeriodMs, log, onSynced: o.onSynced });
  const services = createInformer<Service>(o.client, SERVICES, { labelSelector: NOT_OURS, name: 'services (proxy)', log });
  const slices = createInformer<EndpointSlice>(o.client, ENDPOINT_SLICES, { labelSelector: NOT_OURS, name: 'endpointslices (proxy)', log });
  services.addEventHandler({
    onAdd: (s) => proxier.upsertService(s),
    onUpdate: (_o, s) => proxier.upsertService(s),
    onDelete: (s) => proxier.deleteService(s),
  });
  slices.addEventHandler({ onAdd: (s) => proxier.upsertSlice(s), onUpdate: (_o, s) => proxier.upsertSlice(s), onDelete: (s) => proxier.deleteSlice(s) });
  services.start();
  slices.start();
  // The first full sync must see every Service, or it would drop rules of those not listed yet;
  // until then the table from before (a restart) keeps serving.
  void Promise.all([services.waitForSync(), slices.waitForSync()]).then(
    () => proxier.start(),
    (e) => log(`informers did not sync: ${(e as Error).message}`),
  );
  return {
    table: proxier.table,
    proxier,
    async stop() {
      await Promise.all([services.stop(), slices.stop()]);
      await proxier.stop();
    },
  };
}

/** `berth agent --cleanup` and `berth killall`: removes the proxy's table; true if there was one. */
export function removeProxyTable(table = DEFAULT_TABLE, nft: NftRunner = nftRunner()): Promise<boolean> {
  return deleteProxyTable(nft, table);
}
