/**
 * The `show` faces render the API documents as FRR-like tables: what a network engineer reads
 * (neighbor, state or prefix count, the route in FRR's bracket notation under its RD, next hop, path).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bgpEvpnRoutes, bgpSummary } from '../../src/api/bgp.js';
import { BgpSpeaker } from '../../src/bgp/speaker.js';
import { formatUptime, renderBgpSummary, renderEvpnRoutes } from '../../src/cli/show.js';
import { macIpRoute, routeTargetCommunity } from '../../src/evpn/routes.js';
import type { Ipv4Address, Mac } from '../../src/wire/addr.js';
import { parseRd } from '../../src/wire/evpn.js';
import { MemoryNet } from '../support/bgp-memnet.js';

function pair() {
  const net = new MemoryNet();
  const a = new BgpSpeaker({ localAs: 65001, routerId: '10.0.0.1' as Ipv4Address, hostname: 'leaf1' });
  const b = new BgpSpeaker({ localAs: 65002, routerId: '10.0.0.2' as Ipv4Address, hostname: 'spine1' });
  a.addPeer({ address: '10.0.0.2', remoteAs: 65002 });
  b.addPeer({ address: '10.0.0.1', remoteAs: 65001, description: 'leaf1' });
  b.addPeer({ address: '10.0.0.9', remoteAs: 65009, passive: true });
  net.add('10.0.0.1', a);
  net.add('10.0.0.2', b);
  net.start();
  a.originateEvpn(
    macIpRoute(parseRd('10.0.0.1:100'), '00:00:5e:00:01:0a' as Mac, '10.1.0.10' as Ipv4Address, 100),
    [
      { type: 'origin', origin: 'igp' },
      { type: 'as-path', segments: [] },
      { type: 'extended-communities', communities: [routeTargetCommunity('65001:100')] },
    ],
    '10.255.0.1' as Ipv4Address,
  );
  net.drain();
  return { net, b };
}

describe('show bgp', () => {
  it('summary: one row per neighbor, prefix count when Established, the state otherwise', () => {
    const { b } = pair();
    const text = renderBgpSummary(bgpSummary(b, 0));
    assert.match(text, /BGP router identifier 10\.0\.0\.2, local AS number 65002/);
    const rows = text.split('\n').filter((l) => l.startsWith('10.0.0.'));
    assert.equal(rows.length, 2);
    assert.match(rows[0]!, /^10\.0\.0\.1\s+65001\s+\d+\s+\d+\s+\S+\s+1\s+0\s+leaf1$/);
    assert.match(rows[1]!, /^10\.0\.0\.9\s+65009\s+0\s+0\s+\S+\s+Active/);
    assert.match(text, /Total number of neighbors 2$/);
  });

  it('l2vpn evpn route: FRR bracket notation under its RD, best marker, next hop and AS path', () => {
    const { b } = pair();
    const text = renderEvpnRoutes(bgpEvpnRoutes(b));
    const lines = text.split('\n');
    const rd = lines.indexOf('Route Distinguisher: 10.0.0.1:100');
    assert.ok(rd > 0, text);
    assert.match(
      lines[rd + 1]!,
      /^\*> \[2\]:\[0\]:\[48\]:\[00:00:5e:00:01:0a\]:\[32\]:\[10\.1\.0\.10\]\s+10\.255\.0\.1\s+100 65001 i$/,
    );
  });

  it('formats uptimes like FRR', () => {
    assert.equal(formatUptime(59), '00:00:59');
    assert.equal(formatUptime(3 * 3600 + 4 * 60 + 5), '03:04:05');
  });
});
