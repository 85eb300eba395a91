// The DNS benchmark's server process: Berth's DNS server with a zone of SERVICES ClusterIP
// Services (3 named ports each) and 100 headless ones of 10 endpoints, on 127.0.0.1; prints
// its port, then serves until killed. A process of its own, so the client does not share its core.
import { ClusterRecords, DnsHandler, DnsServer } from '../src/dns/index.js';

const services = Number(process.argv[2] ?? 1000);
const records = new ClusterRecords('cluster.local');
for (let i = 0; i < services; i++) {
  const ip = `10.43.${(i >> 8) & 255}.${i & 255}`;
  records.setService({
    metadata: { name: `svc-${i}`, namespace: `ns-${i % 50}` },
    spec: { clusterIP: ip, clusterIPs: [ip], ports: ['http', 'https', 'metrics'].map((name, k) => ({ name, port: 80 + k, protocol: 'TCP' })) },
  });
}
for (let i = 0; i < 100; i++) {
  records.setService({ metadata: { name: `hl-${i}`, namespace: 'ns-0' }, spec: { clusterIP: 'None' } });
  records.setSlice({
    metadata: { name: `hl-${i}-a`, namespace: 'ns-0', labels: { 'kubernetes.io/service-name': `hl-${i}` } },
    addressType: 'IPv4',
    endpoints: Array.from({ length: 10 }, (_, k) => ({ addresses: [`10.42.${i}.${k + 2}`], hostname: `pod-${k}` })),
  });
}
const server = new DnsServer({ host: '127.0.0.1', port: 0, handler: new DnsHandler({ records }) });
await server.start();
process.stdout.write(`port ${server.port}\n`);
