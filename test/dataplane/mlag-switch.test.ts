/**
 * The software VTEP as one leaf of an M-LAG pair (seed 001): the virtual VTEP, the peer-link as
 * VXLAN between the two devices' own addresses, BUM isolation towards dual-homed servers, synced
 * MACs, and split horizon so nothing loops between the overlay and the peer-link.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PEER_LINK_PORT, SimSwitch } from '../../src/dataplane/sim/switch.js';
import type { Ipv4Address, Mac } from '../../src/wire/addr.js';
import {
  decodeEthernet,
  encodeEthernet,
  ETHERTYPE_IPV4,
  ETHERTYPE_SLOW_PROTOCOLS,
} from '../../src/wire/ethernet.js';
import { LACP_DST_MAC } from '../../src/wire/lacp.js';
import { decapsulateVxlan, encapsulateVxlan } from '../../src/wire/vxlan.js';
import type { Vni } from '../../src/wire/addr.js';

const ROUTER_MAC = '0c:00:00:00:ff:ff' as Mac;
const OWN = ['10.255.0.1', '10.255.0.2'] as Ipv4Address[];
const VIRTUAL = '10.255.1.12' as Ipv4Address;
const REMOTE = '10.255.0.3' as Ipv4Address;
const SERVER = '00:00:5e:00:00:01' as Mac;
const SINGLE = '00:00:5e:00:00:02' as Mac;
const FAR = '00:00:5e:00:00:03' as Mac;
const BROADCAST = 'ff:ff:ff:ff:ff:ff' as Mac;

interface Delivery {
  readonly device: number;
  readonly port: string;
  readonly frame: Uint8Array;
}

/** Two leaves of a pair: port m1 is M-LAG 1 (the dual-homed server), s1 a single-homed port. */
function pair() {
  const devices = [0, 1].map((i) => {
    const sw = new SimSwitch({
      vtepIp: OWN[i]!,
      underlayMac: `0c:00:00:00:0${i}:01` as Mac,
      underlayPort: 'uplink',
      resolveNextHop: () => ROUTER_MAC,
    });
    sw.addBridgeDomain({ vni: 100, mode: 'evpn' });
    sw.addPort({ name: 'm1', mode: 'access', vni: 100 });
    sw.addPort({ name: 's1', mode: 'access', vni: 100 });
    sw.setMlag({ virtualVtepIp: VIRTUAL, peerVtepIp: OWN[1 - i]! });
    sw.setPortMlag('m1', 1);
    sw.setPeerLinkUp(true);
    sw.addFloodVtep(100, REMOTE);
    return sw;
  });
  const delivered: Delivery[] = [];
  /** VXLAN frames that left a device, with their outer addresses. */
  const overlay: { device: number; src: string; dst: string; vni: number }[] = [];
  const send = (device: number, port: string, frame: Uint8Array) => {
    const queue = [{ device, port, frame }];
    while (queue.length > 0) {
      const x = queue.shift()!;
      const out = devices[x.device]!.receive(x.port, x.frame, 0);
      for (const t of out.transmit) {
        if (t.port !== 'uplink') {
          delivered.push({ device: x.device, port: t.port, frame: t.frame });
          continue;
        }
        const d = decapsulateVxlan(t.frame);
        overlay.push({ device: x.device, src: d.outerSrcIp, dst: d.outerDstIp, vni: d.vni });
        // The peer-link path: to the other device's own address.
        const to = OWN.indexOf(d.outerDstIp as Ipv4Address);
        if (to >= 0) queue.push({ device: to, port: 'uplink', frame: t.frame });
      }
    }
  };
  return { devices, delivered, overlay, send };
}

function frame(src: Mac, dst: Mac): Uint8Array {
  return encodeEthernet({ dst, src, vlans: [], etherType: ETHERTYPE_IPV4, payload: new Uint8Array(46) });
}

/** What a remote VTEP sends to the pair's virtual address. */
function fromRemote(inner: Uint8Array): Uint8Array {
  return encapsulateVxlan({
    innerFrame: inner,
    vni: 100 as Vni,
    outerSrcMac: '0c:00:00:00:09:01' as Mac,
    outerDstMac: '0c:00:00:00:00:01' as Mac,
    outerSrcIp: REMOTE,
    outerDstIp: VIRTUAL,
  });
}

describe('M-LAG data plane', () => {
  it('BUM from the overlay reaches each server once: isolation drops the peer-link copy towards the dual-homed one', () => {
    const p = pair();
    p.devices[1]!.setIsolation(1, true);
    p.send(0, 'uplink', fromRemote(frame(FAR, BROADCAST)));
    const ports = p.delivered.map((d) => `${d.device}:${d.port}`).sort();
    // Device 0 floods to its member and single-homed port; device 1 only to its single-homed port.
    assert.deepEqual(ports, ['0:m1', '0:s1', '1:s1']);
    assert.equal(p.devices[1]!.counters.isolationDropped, 1);
    assert.equal(p.devices[1]!.counters.peerLinkIn, 1);
    assert.equal(p.devices[0]!.counters.peerLinkOut, 1);
    // The peer-link copy went from own address to own address; nothing went back into the overlay.
    assert.deepEqual(p.overlay, [{ device: 0, src: OWN[0], dst: OWN[1], vni: 100 }]);
  });

  it('isolation lifted (the other member is down): the peer-link copy goes out of the member port', () => {
    const p = pair();
    p.devices[1]!.setIsolation(1, false);
    p.send(0, 'uplink', fromRemote(frame(FAR, BROADCAST)));
    const ports = p.delivered.map((d) => `${d.device}:${d.port}`).sort();
    assert.deepEqual(ports, ['0:m1', '0:s1', '1:m1', '1:s1']);
    assert.equal(p.devices[1]!.counters.isolationDropped, 0);
  });

  it('unknown unicast the peer floods reaches the dual-homed server once, though we already know it', () => {
    const p = pair();
    p.devices[1]!.setIsolation(1, true);
    // Device 1 learnt SERVER on its member port; device 0 has not yet, so it floods.
    p.send(1, 'm1', frame(SERVER, FAR));
    p.delivered.length = 0;
    p.send(0, 'uplink', fromRemote(frame(FAR, SERVER)));
    assert.deepEqual(
      p.delivered.map((d) => `${d.device}:${d.port}`).sort(),
      ['0:m1', '0:s1'],
      'the peer-link copy is known unicast at device 1 but must not reach the server a second time',
    );
    assert.equal(p.devices[1]!.counters.isolationDropped, 1);
  });

  it('unicast the peer redirects on purpose (its member port is down) passes isolation not yet lifted', () => {
    const p = pair();
    p.devices[1]!.setIsolation(1, true);
    p.send(1, 'm1', frame(SERVER, FAR));
    // Device 0's member port went down: it points SERVER at the peer-link before device 1 hears.
    p.devices[0]!.installSyncedMac(100, SERVER, PEER_LINK_PORT);
    p.delivered.length = 0;
    p.send(0, 'uplink', fromRemote(frame(FAR, SERVER)));
    assert.deepEqual(
      p.delivered.map((d) => `${d.device}:${d.port}`),
      ['1:m1'],
    );
    assert.equal(p.devices[1]!.counters.isolationDropped, 0);
  });

  it('BUM from a server goes to the overlay from the virtual VTEP and once over the peer-link', () => {
    const p = pair();
    p.devices[1]!.setIsolation(1, true);
    p.send(0, 'm1', frame(SERVER, BROADCAST));
    assert.deepEqual(
      p.overlay.map((o) => `${o.src}>${o.dst}`).sort(),
      [`${OWN[0]}>${OWN[1]}`, `${VIRTUAL}>${REMOTE}`].sort(),
    );
    // Device 1 gives it to its single-homed server only, never back to the overlay or the server.
    assert.deepEqual(p.delivered.map((d) => `${d.device}:${d.port}`).sort(), ['0:s1', '1:s1']);
  });

  it('frames from the peer-link are not learnt and never re-enter the overlay', () => {
    const p = pair();
    p.devices[1]!.addRemoteMac(100, FAR, REMOTE, 0);
    // Device 0 sends a frame to FAR over the peer-link (as if FAR were synced there).
    p.devices[0]!.installSyncedMac(100, FAR, PEER_LINK_PORT);
    p.send(0, 's1', frame(SINGLE, FAR));
    assert.equal(p.devices[1]!.counters.peerLinkIn, 1);
    assert.equal(p.devices[1]!.domain(100)!.fdb.lookup(SINGLE), undefined, 'not learnt from the peer-link');
    assert.equal(p.overlay.filter((o) => o.device === 1).length, 0, 'not sent into the overlay');
  });

  it('a MAC synced to the peer-link is reached through the peer; a synced member MAC out of our member port', () => {
    const p = pair();
    p.devices[0]!.installSyncedMac(100, SINGLE, PEER_LINK_PORT);
    // Device 1 learns SINGLE on s1 from its own traffic.
    p.send(1, 's1', frame(SINGLE, BROADCAST));
    p.delivered.length = 0;
    p.send(0, 'uplink', fromRemote(frame(FAR, SINGLE)));
    assert.deepEqual(
      p.delivered.map((d) => `${d.device}:${d.port}`),
      ['1:s1'],
    );
    p.delivered.length = 0;
    p.devices[1]!.installSyncedMac(100, SERVER, 'm1');
    p.send(1, 'uplink', fromRemote(frame(FAR, SERVER)));
    assert.deepEqual(
      p.delivered.map((d) => `${d.device}:${d.port}`),
      ['1:m1'],
    );
    // A frame from the MAC on a local port makes the synced entry local.
    p.send(1, 'm1', frame(SERVER, FAR));
    assert.equal(p.devices[1]!.domain(100)!.fdb.lookup(SERVER)?.kind, 'local');
  });

  it('VXLAN to the virtual VTEP is ours; peer-link frames are dropped while the peer-link is down', () => {
    const p = pair();
    p.devices[0]!.setPeerLinkUp(false);
    p.send(0, 'uplink', fromRemote(frame(FAR, BROADCAST)));
    assert.equal(p.devices[0]!.counters.decapsulated, 1);
    assert.equal(p.devices[0]!.counters.peerLinkOut, 0);
  });

  it('LACPDUs (link-local group address) are never bridged', () => {
    const p = pair();
    const lacpdu = encodeEthernet({
      dst: LACP_DST_MAC as Mac,
      src: SERVER,
      vlans: [],
      etherType: ETHERTYPE_SLOW_PROTOCOLS,
      payload: new Uint8Array(110),
    });
    p.send(0, 'm1', lacpdu);
    assert.equal(p.delivered.length, 0);
    assert.equal(p.overlay.length, 0);
    assert.equal(decodeEthernet(lacpdu).etherType, ETHERTYPE_SLOW_PROTOCOLS);
  });
});
