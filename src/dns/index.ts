// Berth's cluster DNS: the Kubernetes DNS specification's records from Services and
// EndpointSlices, answered on UDP and TCP, everything else forwarded to the node's resolvers.
export { ClusterDns, DEFAULT_CLUSTER_DNS, DEFAULT_CLUSTER_DOMAIN, type ClusterDnsOptions } from './cluster-dns.js';
export { ClusterRecords, serviceRecords, DNS_SCHEMA_VERSION, type NameRecords, type Lookup } from './records.js';
export { DnsHandler, type DnsHandlerOptions } from './handler.js';
export { DnsServer, type DnsServerOptions } from './server.js';
export { Forwarder, upstreamsFrom, type Upstream } from './forwarder.js';
export { ResponseCache } from './cache.js';
export { parseResolvConf, ResolvConfFile, type ResolvConf } from './resolv-conf.js';
export { kubeDnsSlice, publishKubeDnsSlice, DNS_MANAGED_BY, DNS_SERVICE } from './endpoint-slice.js';
