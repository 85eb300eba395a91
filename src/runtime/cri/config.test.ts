import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerdConfig, containerdLayout } from './containerd-config.js';
import { cniConflist } from './cni.js';
import { ociArchive, sha256, tar } from './oci-archive.js';
import { cgroupMounts } from './cgroups.js';

test('containerd config: everything under the data dir, CRI with runc, the local pause image, our CNI conf dir', () => {
  const layout = containerdLayout('/var/lib/berth/agent/containerd');
  const toml = containerdConfig({
    layout,
    sandboxImage: 'berth.local/pause:host',
    cniBinDir: '/usr/lib/cni',
    runcPath: '/usr/sbin/runc',
    snapshotter: 'overlayfs',
    restrictOomScoreAdj: true,
  });
  assert.match(toml, /^version = 2$/m);
  assert.match(toml, /^root = "\/var\/lib\/berth\/agent\/containerd\/root"$/m);
  assert.match(toml, /^state = "\/var\/lib\/berth\/agent\/containerd\/state"$/m);
  assert.match(toml, /address = "\/var\/lib\/berth\/agent\/containerd\/containerd.sock"/);
  assert.match(toml, /sandbox_image = "berth.local\/pause:host"/);
  assert.match(toml, /restrict_oom_score_adj = true/);
  assert.match(toml, /runtime_type = "io.containerd.runc.v2"/);
  assert.match(toml, /BinaryName = "\/usr\/sbin\/runc"/);
  assert.match(toml, /bin_dir = "\/usr\/lib\/cni"/);
  assert.match(toml, /conf_dir = "\/var\/lib\/berth\/agent\/containerd\/cni\/net.d"/);
  assert.match(toml, /stream_server_address = "127.0.0.1"/);
});

test('CNI conflist: bridge with host-local for the podCIDR, allocations in our dir, portmap', () => {
  const c = cniConflist({ podCidr: '10.42.0.0/24', bridge: 'berth0', dataDir: '/d/networks', ipMasq: false }) as any;
  assert.equal(c.cniVersion, '1.0.0');
  assert.equal(c.plugins[0].type, 'bridge');
  assert.equal(c.plugins[0].bridge, 'berth0');
  assert.equal(c.plugins[0].isGateway, true);
  assert.equal(c.plugins[0].forceAddress, true);
  assert.equal(c.plugins[0].ipMasq, false);
  assert.deepEqual(c.plugins[0].ipam.ranges, [[{ subnet: '10.42.0.0/24' }]]);
  assert.equal(c.plugins[0].ipam.dataDir, '/d/networks');
  assert.equal(c.plugins[1].type, 'portmap');
  assert.throws(() => cniConflist({ podCidr: '10.42.0.0/24', bridge: 'a-very-long-bridge', dataDir: '/d' }), /longer than 15/);
});

test('OCI archive: a valid tar with oci-layout, index.json naming the image, and content-addressed blobs', () => {
  const layer = tar([
    { name: 'bin/', type: 'dir' },
    { name: 'bin/hello', type: 'file', mode: 0o755, data: Buffer.from('#!/bin/sh\necho hi\n') },
    { name: 'bin/hi', type: 'symlink', linkname: 'hello' },
  ]);
  const archive = ociArchive([{ name: 'berth.local/test:1', layer, cmd: ['hello'] }], 'amd64');
  assert.equal(archive.length % 512, 0);
  const dir = mkdtempSync(join(tmpdir(), 'berth-oci-test-'));
  try {
    writeFileSync(join(dir, 'a.tar'), archive);
    const list = spawnSync('tar', ['-tf', join(dir, 'a.tar')], { encoding: 'utf8' });
    assert.equal(list.status, 0, list.stderr);
    const files = list.stdout.trim().split('\n');
    assert.ok(files.includes('oci-layout'));
    assert.ok(files.includes('index.json'));
    assert.ok(files.includes(`blobs/sha256/${sha256(layer).slice(7)}`));
    const index = JSON.parse(spawnSync('tar', ['-xOf', join(dir, 'a.tar'), 'index.json'], { encoding: 'utf8' }).stdout);
    assert.equal(index.manifests[0].annotations['io.containerd.image.name'], 'berth.local/test:1');
    assert.equal(index.manifests[0].platform.architecture, 'amd64');
    const layerList = spawnSync('tar', ['-tvf', '-'], { input: layer, encoding: 'utf8' });
    assert.match(layerList.stdout, /bin\/hi -> hello/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // Deterministic: the same input gives the same bytes (so re-imports change nothing).
  assert.deepEqual(ociArchive([{ name: 'berth.local/test:1', layer, cmd: ['hello'] }], 'amd64'), archive);
});

test('cgroup mounts are read from mountinfo (v1 hierarchies and the v2 unified one)', () => {
  const info = [
    '25 30 0:22 / /sys/fs/cgroup ro,nosuid shared:9 - tmpfs tmpfs ro,mode=755',
    '26 25 0:23 / /sys/fs/cgroup/unified rw shared:10 - cgroup2 cgroup2 rw',
    '28 25 0:25 / /sys/fs/cgroup/cpu,cpuacct rw shared:12 - cgroup cgroup rw,cpu,cpuacct',
    '29 1 8:1 / / rw - ext4 /dev/vda rw',
  ].join('\n');
  assert.deepEqual(cgroupMounts(info), ['/sys/fs/cgroup/unified', '/sys/fs/cgroup/cpu,cpuacct']);
});
