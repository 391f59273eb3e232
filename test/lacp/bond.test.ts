/**
 * LACP bonds (IEEE 802.1AX-2014 §6.4) against each other in memory, under an injected clock:
 * aggregation, carrier loss, LACPDU loss (exact timeouts), M-LAG (two devices, one System), the
 * Selection Logic with two different partners, drain, active/passive, malformed input, Marker
 * Responder, and the three-per-second transmit limit.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { LacpBond, type LacpBondConfig } from '../../src/lacp/bond.js';
import { AGGREGATE_WAIT_MS, SHORT_TIMEOUT_MS } from '../../src/lacp/port.js';
import { decodeEthernet, encodeEthernet, ETHERTYPE_SLOW_PROTOCOLS } from '../../src/wire/ethernet.js';
import {
  decodeLacpdu,
  decodeSlowProtocols,
  encodeLacpdu,
  encodeMarkerPdu,
  LACP_DST_MAC,
  type Lacpdu,
} from '../../src/wire/lacp.js';
import type { Mac } from '../../src/wire/addr.js';
import { LacpMemNet } from '../support/lacp-memnet.js';

const SERVER_MAC = '02:00:00:00:0a:01';
const LEAF_SYSTEM = '02:00:00:00:0b:01';

function bond(
  name: string,
  systemMac: string,
  ports: [string, number][],
  extra: Partial<LacpBondConfig> = {},
) {
  return new LacpBond({
    name,
    systemMac,
    key: 10,
    ports: ports.map(([id, portNumber]) => ({ id, portNumber })),
    ...extra,
  });
}

/** A server with two ports cabled to one switch with two ports. */
function twoLinks(serverExtra: Partial<LacpBondConfig> = {}, switchExtra: Partial<LacpBondConfig> = {}) {
  const net = new LacpMemNet();
  const server = bond(
    'server',
    SERVER_MAC,
    [
      ['eth1', 1],
      ['eth2', 2],
    ],
    serverExtra,
  );
  const sw = bond(
    'switch',
    LEAF_SYSTEM,
    [
      ['swp1', 1],
      ['swp2', 2],
    ],
    switchExtra,
  );
  net.add(server, sw);
  const l1 = net.connect(server, 'eth1', sw, 'swp1');
  const l2 = net.connect(server, 'eth2', sw, 'swp2');
  net.up(l1);
  net.up(l2);
  return { net, server, sw, l1, l2 };
}

function lacpdusSent(net: LacpMemNet, bondName: string, portId: string): Lacpdu[] {
  return net.sent
    .filter((s) => s.bond === bondName && s.portId === portId)
    .map((s) => decodeSlowProtocols(decodeEthernet(s.frame).payload))
    .filter((p): p is Lacpdu => p.type === 'lacp');
}

describe('LacpBond aggregation', () => {
  test('two active fast bonds aggregate both links after the 2 s aggregate wait, and stay aggregated', () => {
    const { net, server, sw } = twoLinks();
    net.runUntil(AGGREGATE_WAIT_MS - 1);
    assert.deepEqual(server.distributingPorts(), [], 'nothing may distribute before wait_while expires');
    net.runUntil(AGGREGATE_WAIT_MS);
    assert.deepEqual(server.distributingPorts(), ['eth1', 'eth2']);
    assert.deepEqual(sw.distributingPorts(), ['swp1', 'swp2']);
    // Exactly one port-state change per port so far: on, at 2000 ms.
    assert.deepEqual(
      net.portStates
        .map((c) => [c.at, c.bond, c.portId, c.collecting, c.distributing])
        .sort((x, y) => String(x).localeCompare(String(y))),
      [
        [2000, 'server', 'eth1', true, true],
        [2000, 'server', 'eth2', true, true],
        [2000, 'switch', 'swp1', true, true],
        [2000, 'switch', 'swp2', true, true],
      ],
    );
    net.runFor(60_000);
    assert.deepEqual(server.distributingPorts(), ['eth1', 'eth2']);
    assert.equal(net.portStates.length, 4, 'no flaps in a minute of steady state');
    const s = server.portStatus('eth1')!;
    assert.equal(s.partner.system, LEAF_SYSTEM);
    assert.equal(s.partner.port, 1);
    assert.equal(
      s.actor.state,
      0x3f,
      'ATGSCD: active, short timeout, aggregatable, in sync, collecting, distributing',
    );
    assert.match(
      server.status().lagId!,
      /^\[\(8000,02-00-00-00-0a-01,000a,0000,0000\),\(8000,02-00-00-00-0b-01,000a/,
    );
  });

  test('steady state at the fast rate sends one LACPDU per second per port, well-formed, to the Slow Protocols address', () => {
    const { net } = twoLinks();
    net.runUntil(10_000);
    const start = net.sent.length;
    net.runUntil(40_000);
    const window = net.sent.slice(start).filter((s) => s.bond === 'server' && s.portId === 'eth1');
    assert.equal(window.length, 30, '30 s at Fast_Periodic_Time = 1 s');
    for (const s of window) {
      assert.equal(s.frame.length, 124, '14-octet header + 110-octet LACPDU');
      const eth = decodeEthernet(s.frame);
      assert.equal(eth.dst, LACP_DST_MAC);
      assert.equal(eth.src, SERVER_MAC);
      assert.equal(eth.etherType, ETHERTYPE_SLOW_PROTOCOLS);
      const pdu = decodeLacpdu(eth.payload);
      assert.equal(pdu.partner.system, LEAF_SYSTEM);
    }
  });

  test('the slow rate asks the partner for one LACPDU every 30 s, and times out after 90 s', () => {
    const { net, server, sw, l1 } = twoLinks({ rate: 'slow' }, { rate: 'slow' });
    net.runUntil(5_000);
    assert.deepEqual(server.distributingPorts(), ['eth1', 'eth2']);
    const before = net.sent.filter((s) => s.bond === 'switch' && s.portId === 'swp1').length;
    net.runUntil(125_000);
    const sent = net.sent.filter((s) => s.bond === 'switch' && s.portId === 'swp1').length - before;
    assert.equal(sent, 4, '120 s at Slow_Periodic_Time = 30 s');
    l1.dropAtoB = true;
    l1.dropBtoA = true;
    const lastRx = net.lastDelivered(sw, 'swp1')!.at;
    net.runUntil(lastRx + 90_000 - 1);
    assert.ok(server.distributingPorts().includes('eth1'));
    net.runUntil(lastRx + 90_000);
    assert.deepEqual(server.distributingPorts(), ['eth2'], 'Long_Timeout_Time = 90 s');
  });

  test('carrier loss detaches that port at once; the other link keeps distributing', () => {
    const { net, server, sw, l1 } = twoLinks();
    net.runUntil(5_000);
    const before = net.portStates.length;
    net.down(l1);
    assert.deepEqual(
      net.portStates.slice(before).map((c) => [c.at, c.bond, c.portId, c.distributing]),
      [
        [5000, 'server', 'eth1', false],
        [5000, 'switch', 'swp1', false],
      ],
    );
    assert.equal(server.portStatus('eth1')!.mux, 'DETACHED');
    assert.deepEqual(server.distributingPorts(), ['eth2']);
    assert.deepEqual(sw.distributingPorts(), ['swp2']);
    net.runFor(10_000);
    assert.deepEqual(server.distributingPorts(), ['eth2'], 'still one link');
    net.up(l1);
    net.runFor(AGGREGATE_WAIT_MS);
    assert.deepEqual(server.distributingPorts(), ['eth1', 'eth2'], 'rejoins after the aggregate wait');
  });

  test('LACPDUs stopping: distributing stops exactly 3 × 1 s after the last one, the port detaches 3 s later', () => {
    const { net, server, sw, l1 } = twoLinks();
    net.runUntil(10_000);
    net.runUntil(10_400);
    l1.dropAtoB = true;
    l1.dropBtoA = true;
    const lastToServer = net.lastDelivered(sw, 'swp1')!.at;
    const lastToSwitch = net.lastDelivered(server, 'eth1')!.at;
    net.runUntil(lastToServer + SHORT_TIMEOUT_MS - 1);
    assert.deepEqual(server.distributingPorts(), ['eth1', 'eth2'], 'not yet at 2999 ms');
    net.runUntil(lastToServer + SHORT_TIMEOUT_MS);
    assert.deepEqual(server.distributingPorts(), ['eth2'], 'current_while (Short_Timeout_Time) expired');
    assert.equal(server.portStatus('eth1')!.receive, 'EXPIRED');
    const off = net.portStates.find((c) => c.bond === 'server' && c.portId === 'eth1' && !c.distributing)!;
    assert.equal(off.at, lastToServer + 3000);
    const swOff = net.portStates.find((c) => c.bond === 'switch' && c.portId === 'swp1' && !c.distributing)!;
    assert.equal(swOff.at, lastToSwitch + 3000);
    // EXPIRED keeps the Aggregator; DEFAULTED (another Short_Timeout_Time later) gives it up.
    assert.equal(server.portStatus('eth1')!.mux, 'ATTACHED');
    net.runUntil(lastToServer + 2 * SHORT_TIMEOUT_MS - 1);
    assert.equal(server.portStatus('eth1')!.mux, 'ATTACHED');
    net.runUntil(lastToServer + 2 * SHORT_TIMEOUT_MS);
    assert.equal(server.portStatus('eth1')!.receive, 'DEFAULTED');
    assert.equal(server.portStatus('eth1')!.mux, 'DETACHED');
    assert.deepEqual(server.distributingPorts(), ['eth2']);
    // LACPDUs flowing again bring the link back.
    l1.dropAtoB = false;
    l1.dropBtoA = false;
    net.runFor(35_000);
    assert.deepEqual(server.distributingPorts(), ['eth1', 'eth2']);
  });

  test('passive–passive never aggregates and never transmits; active–passive aggregates', () => {
    const pp = twoLinks({ mode: 'passive' }, { mode: 'passive' });
    pp.net.runUntil(120_000);
    assert.equal(pp.net.sent.length, 0);
    assert.deepEqual(pp.server.distributingPorts(), []);
    assert.deepEqual(pp.sw.distributingPorts(), []);

    const ap = twoLinks({ mode: 'active' }, { mode: 'passive' });
    ap.net.runUntil(5_000);
    assert.deepEqual(ap.server.distributingPorts(), ['eth1', 'eth2']);
    assert.deepEqual(ap.sw.distributingPorts(), ['swp1', 'swp2']);
    const passiveSays = lacpdusSent(ap.net, 'switch', 'swp1').at(-1)!;
    assert.equal(passiveSays.actor.state & 0x01, 0, 'the passive side says Passive');
  });

  test('a bond whose partner never speaks LACP never distributes (DEFAULTED, out of sync)', () => {
    const net = new LacpMemNet();
    const server = bond('server', SERVER_MAC, [['eth1', 1]]);
    const silent = bond('silent', LEAF_SYSTEM, [['p', 1]], { mode: 'passive' });
    net.add(server, silent);
    const link = net.connect(server, 'eth1', silent, 'p');
    link.dropAtoB = true;
    net.up(link);
    net.runUntil(100_000);
    assert.equal(server.portStatus('eth1')!.receive, 'DEFAULTED');
    assert.deepEqual(server.distributingPorts(), []);
    assert.equal(net.portStates.length, 0);
  });
});

describe('LacpBond M-LAG and Selection Logic', () => {
  /** Two leaves (one port each) cabled to a two-port server bond. */
  function mlag(leaf1System: string, leaf2System: string, leaf2Port = 1001) {
    const net = new LacpMemNet();
    const server = bond('server', SERVER_MAC, [
      ['eth1', 1],
      ['eth2', 2],
    ]);
    const leaf1 = bond('leaf1', leaf1System, [['swp10', 1]]);
    const leaf2 = bond('leaf2', leaf2System, [['swp10', leaf2Port]]);
    net.add(server, leaf1, leaf2);
    const l1 = net.connect(server, 'eth1', leaf1, 'swp10');
    const l2 = net.connect(server, 'eth2', leaf2, 'swp10');
    net.up(l1);
    net.up(l2);
    return { net, server, leaf1, leaf2, l1, l2 };
  }

  test('two devices presenting the same System and Key with distinct port numbers: the server aggregates both links', () => {
    const { net, server, leaf1, leaf2 } = mlag(LEAF_SYSTEM, LEAF_SYSTEM);
    net.runUntil(5_000);
    assert.deepEqual(server.distributingPorts(), ['eth1', 'eth2']);
    assert.deepEqual(leaf1.distributingPorts(), ['swp10']);
    assert.deepEqual(leaf2.distributingPorts(), ['swp10']);
    assert.equal(server.portStatus('eth1')!.partner.port, 1);
    assert.equal(server.portStatus('eth2')!.partner.port, 1001);
  });

  test('different System ids: only one link aggregates, the one whose partner has the lower LAG ID, whatever the port order', () => {
    for (const [eth1System, eth2System, winner, loser] of [
      ['02:00:00:00:0b:01', '02:00:00:00:0b:02', 'eth1', 'eth2'],
      ['02:00:00:00:0b:02', '02:00:00:00:0b:01', 'eth2', 'eth1'],
    ] as const) {
      const { net, server, leaf1, leaf2 } = mlag(eth1System, eth2System);
      net.runUntil(60_000);
      assert.deepEqual(server.distributingPorts(), [winner]);
      assert.equal(server.portStatus(loser)!.selected, 'UNSELECTED');
      assert.equal(server.portStatus(loser)!.actor.state & 0x08, 0, 'the loser is told we are out of sync');
      const [winLeaf, loseLeaf] = winner === 'eth1' ? [leaf1, leaf2] : [leaf2, leaf1];
      assert.deepEqual(winLeaf.distributingPorts(), ['swp10']);
      assert.deepEqual(loseLeaf.distributingPorts(), [], 'the other partner never distributes to us');
    }
  });

  test('a better partner takes the Aggregator over once the old LAG detached; the old one is dropped', () => {
    // eth2's partner (lower System) arrives late: it wins, and eth1 gives the Aggregator up.
    const { net, server, l2 } = mlag('02:00:00:00:0b:02', '02:00:00:00:0b:01');
    net.down(l2);
    net.runUntil(10_000);
    assert.deepEqual(server.distributingPorts(), ['eth1']);
    net.up(l2);
    net.runFor(5_000);
    assert.deepEqual(server.distributingPorts(), ['eth2']);
    // It is the standard's order, not a flap: a minute later nothing changed.
    const changes = net.portStates.length;
    net.runFor(60_000);
    assert.equal(net.portStates.length, changes);
  });

  test('M-LAG leaf changing its System (peer link lost) leaves the LAG; changing it back rejoins', () => {
    const { net, server, leaf2 } = mlag(LEAF_SYSTEM, LEAF_SYSTEM);
    net.runUntil(5_000);
    net.handle(leaf2, leaf2.setActorSystem(net.now, { systemMac: '02:00:00:00:0c:01' }));
    net.runFor(5_000);
    assert.deepEqual(server.distributingPorts(), ['eth1'], 'leaf2 now has a higher System: a different LAG');
    net.handle(leaf2, leaf2.setActorSystem(net.now, { systemMac: LEAF_SYSTEM }));
    net.runFor(5_000);
    assert.deepEqual(server.distributingPorts(), ['eth1', 'eth2']);
  });
});

describe('LacpBond drain', () => {
  test('setting actor Synchronization off on a port makes the partner stop distributing on it at once', () => {
    const { net, server, sw } = twoLinks();
    net.runUntil(5_300);
    const t = net.now;
    net.handle(sw, sw.setPortDrained(t, 'swp1', true));
    const serverOff = net.portStates.find(
      (c) => c.bond === 'server' && c.portId === 'eth1' && !c.distributing,
    );
    assert.equal(serverOff?.at, t, 'the partner stopped distributing in the same millisecond');
    assert.deepEqual(server.distributingPorts(), ['eth2']);
    assert.deepEqual(sw.distributingPorts(), ['swp2']);
    const status = sw.portStatus('swp1')!;
    assert.equal(status.selected, 'STANDBY');
    assert.equal(status.actor.state & 0x38, 0, 'Synchronization, Collecting, Distributing all clear');
    net.runFor(60_000);
    assert.deepEqual(server.distributingPorts(), ['eth2'], 'stays drained');
    assert.ok(server.portStatus('eth1')!.receive === 'CURRENT', 'LACPDUs keep flowing on the drained link');
    net.handle(sw, sw.setPortDrained(net.now, 'swp1', false));
    net.runFor(100);
    assert.deepEqual(server.distributingPorts(), ['eth1', 'eth2'], 'undrained: back without a new wait');
  });

  test('draining the whole bond (planned upgrade) stops the partner on every link', () => {
    const { net, server, sw } = twoLinks();
    net.runUntil(5_000);
    net.handle(sw, sw.setDrained(net.now, true));
    assert.deepEqual(server.distributingPorts(), []);
    assert.deepEqual(sw.distributingPorts(), []);
  });
});

describe('LacpBond input handling', () => {
  function lacpduFrame(src: Mac, pdu: Lacpdu): Uint8Array {
    return encodeEthernet({
      dst: LACP_DST_MAC,
      src,
      vlans: [],
      etherType: 0x8809,
      payload: encodeLacpdu(pdu),
    });
  }

  test('malformed LACPDUs and foreign frames are counted and dropped, never thrown; aggregation survives', () => {
    const { net, server } = twoLinks();
    net.runUntil(5_000);
    const good = net.sent.find((s) => s.bond === 'switch' && s.portId === 'swp1')!.frame;
    const badLength = good.slice();
    badLength[14 + 3] = 19; // actor TLV length
    const badVersion = good.slice();
    badVersion[14 + 1] = 9;
    const truncated = good.slice(0, 40);
    const ipv4 = good.slice();
    ipv4[12] = 0x08;
    ipv4[13] = 0x00;
    const oam = good.slice();
    oam[14] = 3; // Slow Protocols subtype 3: OAM
    for (const f of [badLength, badVersion, truncated, new Uint8Array(5), new Uint8Array(0)]) {
      assert.doesNotThrow(() => net.handle(server, server.receive(net.now, 'eth1', f)));
    }
    net.handle(server, server.receive(net.now, 'eth1', ipv4));
    net.handle(server, server.receive(net.now, 'eth1', oam));
    net.handle(server, server.receive(net.now, 'nosuchport', good));
    const c = server.portStatus('eth1')!.counters;
    assert.equal(c.malformed, 5);
    assert.equal(c.notSlowProtocols, 1);
    assert.equal(c.unknownSubtype, 1);
    assert.equal(server.status().counters.unknownPort, 1);
    assert.deepEqual(server.distributingPorts(), ['eth1', 'eth2']);
  });

  test('property: arbitrary bytes never throw; bytes that are not a Slow Protocols PDU change nothing', () => {
    const { net, server } = twoLinks();
    net.runUntil(5_000);
    fc.assert(
      fc.property(
        // Short (truncated headers) and frame-sized inputs alike.
        fc.oneof(fc.uint8Array({ maxLength: 20 }), fc.uint8Array({ minLength: 14, maxLength: 200 })),
        fc.boolean(),
        (bytes, asSlowProtocols) => {
          const frame = bytes.slice();
          if (asSlowProtocols && frame.length >= 16) {
            // Addressed and typed as Slow Protocols, subtype LACP or Marker, version 1: the PDU decoder runs.
            frame.set([0x01, 0x80, 0xc2, 0x00, 0x00, 0x02], 0);
            frame[12] = 0x88;
            frame[13] = 0x09;
            frame[14] = 1 + (frame[14]! % 2);
            frame[15] = 1;
          }
          const before = server.distributingPorts();
          const actions = server.receive(net.now, 'eth2', frame);
          if (asSlowProtocols) return true; // a valid PDU from a stranger may legitimately unselect eth2
          return actions.length === 0 && String(server.distributingPorts()) === String(before);
        },
      ),
      { numRuns: 1000 },
    );
    const c = server.portStatus('eth2')!.counters;
    assert.ok(c.malformed > 0 && c.notSlowProtocols > 0, JSON.stringify(c));
  });

  test('Marker Responder: a Marker Information PDU is answered with a Marker Response (§6.5.4.2)', () => {
    const { net, server } = twoLinks();
    net.runUntil(3_000);
    const marker = encodeEthernet({
      dst: LACP_DST_MAC,
      src: '02:00:00:00:0b:99' as Mac,
      vlans: [],
      etherType: 0x8809,
      payload: encodeMarkerPdu({
        type: 'marker',
        markerType: 'information',
        requesterPort: 7,
        requesterSystem: '02:00:00:00:0b:01' as Mac,
        requesterTransactionId: 0xdeadbeef,
      }),
    });
    const actions = server.receive(net.now, 'eth1', marker);
    const sends = actions.filter((a) => a.kind === 'send');
    assert.equal(sends.length, 1);
    const reply = decodeSlowProtocols(decodeEthernet(sends[0]!.frame).payload);
    assert.deepEqual(reply, {
      type: 'marker',
      markerType: 'response',
      requesterPort: 7,
      requesterSystem: '02:00:00:00:0b:01',
      requesterTransactionId: 0xdeadbeef,
    });
  });

  test('a stranger on a port of an aggregated bond makes that port leave the LAG, not the others', () => {
    const { net, server } = twoLinks();
    net.runUntil(5_000);
    const stranger: Lacpdu = {
      type: 'lacp',
      actor: {
        systemPriority: 1,
        system: '02:00:00:00:ee:01' as Mac,
        key: 5,
        portPriority: 1,
        port: 9,
        state: 0x3d,
      },
      partner: {
        systemPriority: 0,
        system: '00:00:00:00:00:00' as Mac,
        key: 0,
        portPriority: 0,
        port: 0,
        state: 0,
      },
      collectorMaxDelay: 0,
    };
    net.handle(server, server.receive(net.now, 'eth1', lacpduFrame('02:00:00:00:ee:01' as Mac, stranger)));
    assert.ok(!server.distributingPorts().includes('eth1'));
  });
});

describe('LacpBond Transmit machine', () => {
  test('property: never more than 3 LACPDUs per port in any 1 s, whatever the admin churn', () => {
    type Op =
      | { op: 'drain'; port: 0 | 1; on: boolean }
      | { op: 'rate'; fast: boolean }
      | { op: 'mode'; active: boolean }
      | { op: 'flap'; link: 0 | 1 }
      | { op: 'system'; low: boolean };
    const arbOp: fc.Arbitrary<Op> = fc.oneof(
      fc.record({
        op: fc.constant('drain' as const),
        port: fc.constantFrom(0 as const, 1 as const),
        on: fc.boolean(),
      }),
      fc.record({ op: fc.constant('rate' as const), fast: fc.boolean() }),
      fc.record({ op: fc.constant('mode' as const), active: fc.boolean() }),
      fc.record({ op: fc.constant('flap' as const), link: fc.constantFrom(0 as const, 1 as const) }),
      fc.record({ op: fc.constant('system' as const), low: fc.boolean() }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 700 }), arbOp), { maxLength: 40 }),
        (script) => {
          const { net, server, sw, l1, l2 } = twoLinks();
          for (const [gap, o] of script) {
            net.runFor(gap);
            const t = net.now;
            if (o.op === 'drain') net.handle(sw, sw.setPortDrained(t, o.port === 0 ? 'swp1' : 'swp2', o.on));
            else if (o.op === 'rate')
              net.handle(server, server.setMode(t, { rate: o.fast ? 'fast' : 'slow' }));
            else if (o.op === 'mode')
              net.handle(sw, sw.setMode(t, { mode: o.active ? 'active' : 'passive' }));
            else if (o.op === 'system') {
              net.handle(sw, sw.setActorSystem(t, { systemMac: o.low ? LEAF_SYSTEM : '02:00:00:00:0b:03' }));
            } else {
              const link = o.link === 0 ? l1 : l2;
              net.down(link);
              net.up(link);
            }
          }
          net.runFor(5_000);
          for (const b of ['server', 'switch']) {
            for (const p of b === 'server' ? ['eth1', 'eth2'] : ['swp1', 'swp2']) {
              const times = net.sent
                .filter((s) => s.bond === b && s.portId === p && decodeEthernet(s.frame).payload[0] === 1)
                .map((s) => s.at);
              for (let i = 3; i < times.length; i++) {
                if (times[i]! - times[i - 3]! < 1000) return false;
              }
            }
          }
          // Whatever happened, undrained active bonds with the same partner converge to both links.
          net.handle(sw, sw.setDrained(net.now, false));
          net.handle(sw, sw.setMode(net.now, { mode: 'active' }));
          net.handle(sw, sw.setActorSystem(net.now, { systemMac: LEAF_SYSTEM }));
          net.handle(server, server.setMode(net.now, { rate: 'fast' }));
          net.runFor(10_000);
          return server.distributingPorts().length === 2 && sw.distributingPorts().length === 2;
        },
      ),
      { numRuns: 150 },
    );
  });

  test('a burst of changes is held to 3 LACPDUs; the held one goes out when the window allows', () => {
    const { net, sw } = twoLinks();
    net.runUntil(5_500);
    const swp1Sends = () =>
      net.sent.filter((s) => s.bond === 'switch' && s.portId === 'swp1').map((s) => s.at);
    const before = swp1Sends().length;
    // Every rate change is news for the partner (NTT); six of them in one millisecond.
    for (let i = 0; i < 6; i++) net.handle(sw, sw.setMode(net.now, { rate: i % 2 === 0 ? 'slow' : 'fast' }));
    // The periodic LACPDU of 5000 ms shares the window, so two go out now and the rest is held.
    assert.deepEqual(swp1Sends().slice(before - 1), [5000, 5500, 5500]);
    assert.ok(sw.portStatus('swp1')!.counters.transmitsDelayed > 0);
    net.runUntil(5_999);
    assert.deepEqual(swp1Sends().slice(before), [5500, 5500], 'held');
    net.runUntil(6_000);
    assert.deepEqual(
      swp1Sends().slice(before),
      [5500, 5500, 6000],
      'out as soon as the 5000 ms one is 1 s old',
    );
    net.runUntil(6_499);
    assert.deepEqual(swp1Sends().slice(before), [5500, 5500, 6000]);
    const last = decodeLacpdu(decodeEthernet(net.sent.findLast((s) => s.bond === 'switch')!.frame).payload);
    assert.equal(last.actor.state & 0x02, 0x02, 'the held LACPDU carries the latest state (fast)');
  });
});
