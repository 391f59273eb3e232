/**
 * Daemon configuration: the shipped example loads; a wrong file gets every problem with file,
 * line, column and field, so a user can fix it in one pass.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/config/reader.js';
import { loadDeviceConfig } from '../../src/node/device-config.js';

const EXAMPLE = join(dirname(fileURLToPath(import.meta.url)), '../../../examples/daemon-evpn.yaml');

describe('daemon configuration', () => {
  it('loads examples/daemon-evpn.yaml with every option', () => {
    const c = loadDeviceConfig(readFileSync(EXAMPLE, 'utf8'), EXAMPLE);
    assert.equal(c.asn, 65011);
    assert.equal(c.neighbors[0]?.holdTimeSeconds, 9);
    assert.equal(c.neighbors[0]?.gracefulRestartSeconds, 120);
    assert.deepEqual(c.neighbors[0]?.maxPrefix, { limit: 100000, warningPercent: 75, warningOnly: false });
    assert.deepEqual(
      c.vnis.map((v) => v.vni),
      [100, 200],
    );
    assert.deepEqual(c.vnis[1]?.importTargets, ['65000:200']);
    assert.equal(c.vrfs[0]?.l3vni, 5000);
    assert.equal(c.retainAllRoutes, false);
    assert.equal(c.neighbors[0]?.senderAsPathLoopDetection, true);
    assert.equal(
      loadDeviceConfig(
        readFileSync(EXAMPLE, 'utf8').replace('retain-all-routes: false', 'retain-all-routes: true'),
        EXAMPLE,
      ).retainAllRoutes,
      true,
    );
    assert.deepEqual(c.api, { address: '127.0.0.1', port: 7179 });
  });

  it('reports every problem of a wrong file at once', () => {
    const text = [
      'router-id: 10.0.0.300',
      'asn: 0',
      'bgp:',
      '  neighbors:',
      '    - { address: 10.0.0.1, remote-as: 65000, timers: { hold: 2 } }',
      '    - { address: 10.0.0.1, remote-as: 65000, passiv: true }',
      'evpn:',
      '  vnis:',
      '    - { vni: 100, rd: bogus }',
    ].join('\n');
    assert.throws(
      () => loadDeviceConfig(text, 'leaf.yaml'),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.match(e.message, /leaf\.yaml:1:\d+: router-id: .*IPv4 router id/);
        assert.match(e.message, /leaf\.yaml:2:\d+: asn: /);
        assert.match(
          e.message,
          /leaf\.yaml:5:\d+: bgp\.neighbors\[0\]\.timers\.hold: hold time must be 0 or at least 3 seconds/,
        );
        assert.match(
          e.message,
          /leaf\.yaml:6:\d+: bgp\.neighbors\[1\]\.passiv: unknown field "passiv".*passive/,
        );
        assert.match(e.message, /neighbor 10\.0\.0\.1 is configured twice/);
        assert.match(
          e.message,
          /leaf\.yaml:9:\d+: evpn\.vnis\[0\]\.rd: "bogus" is not a route distinguisher/,
        );
        assert.match(e.message, /evpn\.vtep-ip: required when VNIs are configured/);
        return true;
      },
    );
  });

  it('loads examples/daemon-mlag-leaf1.yaml', () => {
    const file = join(dirname(EXAMPLE), 'daemon-mlag-leaf1.yaml');
    const c = loadDeviceConfig(readFileSync(file, 'utf8'), file);
    assert.equal(c.mlag?.virtualVtep, '10.255.1.12');
    assert.deepEqual(
      c.mlag?.members.map((m) => m.id),
      [1, 2],
    );
  });

  it('reads an M-LAG section and names what is wrong in one', () => {
    const base = [
      'router-id: 10.0.0.1',
      'asn: 65001',
      'evpn:',
      '  vtep-ip: 10.255.0.1',
      '  vnis: [{ vni: 100 }]',
    ];
    const good = loadDeviceConfig(
      [
        ...base,
        'mlag:',
        '  priority: 200',
        '  system-mac: 02:4d:00:00:00:01',
        '  virtual-vtep: 10.255.1.12',
        '  peer-link: { local: 10.253.0.0, peer: 10.253.0.1 }',
        '  dad: { local: 10.254.0.0, peer: 10.254.0.1 }',
        '  bfd: { interval: 50ms }',
        '  members: [{ id: 1, port: eth1, vni: 100 }]',
      ].join('\n'),
      'leaf1.yaml',
    );
    assert.deepEqual(good.mlag?.peerLink, { local: '10.253.0.0', peer: '10.253.0.1', port: 8471 });
    assert.equal(good.mlag?.localMac, '02:4d:0a:00:00:01', 'derived from the router id');
    assert.equal(good.mlag?.recoveryDelayMs, 240_000, 'seed 001 default');
    assert.deepEqual(good.mlag?.bfd, { intervalMs: 50, multiplier: 3 });
    assert.throws(
      () =>
        loadDeviceConfig(
          [
            ...base,
            'mlag:',
            '  virtual-vtep: 10.255.0.1',
            '  peer-link: { local: 10.253.0.0, peer: 10.253.0.0 }',
            '  dad: { local: 10.253.0.0, peer: 10.253.0.1 }',
            '  members: [{ id: 1, port: eth1, vni: 100 }, { id: 1, port: eth2, vni: 300 }]',
          ].join('\n'),
          'leaf1.yaml',
        ),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.match(e.message, /leaf1\.yaml:7:\d+: mlag\.system-mac: required field is missing/);
        assert.match(e.message, /mlag\.dad: the DAD path must not be the peer-link/);
        assert.match(e.message, /mlag\.peer-link\.peer: the peer must have an address of its own/);
        assert.match(e.message, /mlag\.members\[1\]\.id: M-LAG id 1 is used twice/);
        assert.match(e.message, /mlag\.members\[1\]\.vni: VNI 300 is not one of evpn\.vnis/);
        return true;
      },
    );
  });
});
