import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import * as packet from 'dns-packet';
import { ClusterRecords } from './records.js';
import { DnsHandler } from './handler.js';

test('the TTL of cluster records is 5 to 30 s', () => {
  const records = new ClusterRecords();
  assert.throws(() => new DnsHandler({ records, ttl: 4 }), /5 to 30 seconds/);
  assert.throws(() => new DnsHandler({ records, ttl: 31 }), /5 to 30 seconds/);
  const h = new DnsHandler({ records, ttl: 30 });
  const out = h.handle(packet.encode({ type: 'query', id: 1, questions: [{ type: 'TXT', name: 'dns-version.cluster.local' }] }), 'udp') as Buffer;
  assert.equal((packet.decode(out).answers![0] as packet.TxtAnswer).ttl, 30);
});

test('fuzz: 5 000 random and mutated messages never throw, and every answer decodes with the id of its request', async () => {
  const records = new ClusterRecords();
  records.setService({
    metadata: { name: 'web', namespace: 'shop' },
    spec: { clusterIP: '10.43.0.9', clusterIPs: ['10.43.0.9'], ports: [{ name: 'http', port: 80 }] },
  });
  const h = new DnsHandler({ records });
  const seeds = [
    packet.encode({ type: 'query', id: 1, flags: packet.RECURSION_DESIRED, questions: [{ type: 'A', name: 'web.shop.svc.cluster.local' }] }),
    packet.encode({
      type: 'query',
      id: 2,
      questions: [{ type: 'SRV', name: '_http._tcp.web.shop.svc.cluster.local' }],
      additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }],
    }),
  ];
  for (let i = 0; i < 5000; i++) {
    let msg: Buffer;
    if (i % 3 === 0) msg = randomBytes(randomInt(0, 80));
    else {
      msg = Buffer.from(seeds[i % 2]!);
      for (let k = randomInt(1, 6); k > 0; k--) msg[randomInt(msg.length)] = randomInt(256);
      if (i % 7 === 0) msg = msg.subarray(0, randomInt(msg.length));
    }
    // Names outside the zone would be forwarded: without a forwarder they are REFUSED, synchronously or not.
    const out = await h.handle(msg, i % 2 ? 'udp' : 'tcp');
    if (!out) continue;
    assert.equal(out.readUInt16BE(0), msg.readUInt16BE(0));
    assert.ok(out.readUInt16BE(2) & 0x8000, 'QR set');
    assert.doesNotThrow(() => packet.decode(out));
  }
});
