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
});
