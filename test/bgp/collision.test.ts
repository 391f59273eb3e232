/**
 * Connection collision (RFC 4271 §6.8): both speakers dial each other at once, over in-memory
 * connections whose connects, accepts and bytes are held back by chosen amounts so every
 * interleaving can be played. Exactly one connection must survive, both ends Established on it,
 * and stay there; the connection given up gets NOTIFICATION Cease/Connection Collision Resolution
 * (RFC 4486 subcode 7).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BgpSpeaker } from '../../src/bgp/speaker.js';
import type { Ipv4Address } from '../../src/wire/addr.js';
import {
  BGP_ERR_CEASE,
  CEASE_CONNECTION_COLLISION_RESOLUTION,
  decodeBgpMessage,
  encodeBgpMessage,
} from '../../src/wire/bgp-message.js';
import { MemoryNet, type DelayQuery } from '../support/bgp-memnet.js';

/** LOW has the lower BGP Identifier, so HIGH's connection is the one kept in a collision. */
const LOW = '10.0.0.1' as Ipv4Address;
const HIGH = '10.0.0.2' as Ipv4Address;

/** Milliseconds each event is held back, keyed as `delayKey` names them. */
type Delays = Readonly<Record<string, number>>;

function delayKey(q: DelayQuery): string {
  return q.kind === 'bytes' ? `bytes ${q.from}→${q.to} on ${q.dialler}'s` : `${q.kind} ${q.dialler}'s`;
}

const KEYS = [LOW, HIGH].flatMap((dialler) => [
  `connected ${dialler}'s`,
  `accepted ${dialler}'s`,
  `bytes ${LOW}→${HIGH} on ${dialler}'s`,
  `bytes ${HIGH}→${LOW} on ${dialler}'s`,
]);

function collide(delays: Delays, ibgp = false) {
  const net = new MemoryNet();
  net.trace = [];
  net.delay = (q) => delays[delayKey(q)] ?? 0;
  const asLow = 65001;
  const asHigh = ibgp ? 65001 : 65002;
  const low = new BgpSpeaker({ localAs: asLow, routerId: LOW });
  const high = new BgpSpeaker({ localAs: asHigh, routerId: HIGH });
  low.addPeer({ address: HIGH, remoteAs: asHigh, families: ['l2vpn-evpn'] });
  high.addPeer({ address: LOW, remoteAs: asLow, families: ['l2vpn-evpn'] });
  net.add(LOW, low);
  net.add(HIGH, high);
  net.start();
  net.advance(30_000);
  return { net, low, high };
}

/** Every NOTIFICATION on the wire, as code/subcode with the dialler of its connection. */
function notifications(net: MemoryNet): { code: number; subcode: number; dialler: string }[] {
  const out: { code: number; subcode: number; dialler: string }[] = [];
  for (const s of net.trace!) {
    const m = decodeBgpMessage(s.data, { fourOctetAs: true, extendedMessage: false });
    if (m.type === 'notification') {
      out.push({ code: m.code, subcode: m.subcode, dialler: net.diallerOf(s.connection)! });
    }
  }
  return out;
}

/** One session on one connection, Established at both ends since the first time, and staying so. */
function assertOneSession(
  net: MemoryNet,
  low: BgpSpeaker,
  high: BgpSpeaker,
  label: string,
): { dialler: string } {
  for (let round = 0; round < 2; round++) {
    const lowConns = net.openConnections(LOW);
    const highConns = net.openConnections(HIGH);
    assert.equal(lowConns.length, 1, `${label}: connections open at ${LOW}: ${lowConns.join(' ')}`);
    assert.equal(highConns.length, 1, `${label}: connections open at ${HIGH}: ${highConns.join(' ')}`);
    assert.equal(net.peerConnection(lowConns[0]!), highConns[0], `${label}: not the same connection`);
    for (const [s, peer] of [
      [low, HIGH],
      [high, LOW],
    ] as const) {
      const p = s.peer(peer)!;
      assert.equal(p.session.state, 'Established', `${label}: ${peer}'s peer`);
      assert.deepEqual([...p.connections], s === low ? lowConns : highConns, label);
      assert.equal(p.session.counters.establishedTransitions, 1, `${label}: ${peer}'s peer came up again`);
      assert.equal(p.session.counters.droppedTransitions, 0, `${label}: ${peer}'s peer went down`);
    }
    // RFC 4486: a collision is the only reason for a NOTIFICATION here.
    for (const n of notifications(net)) {
      assert.deepEqual(
        [n.code, n.subcode],
        [BGP_ERR_CEASE, CEASE_CONNECTION_COLLISION_RESOLUTION],
        `${label}: NOTIFICATION ${n.code}/${n.subcode}`,
      );
    }
    net.advance(120_000);
  }
  return { dialler: net.diallerOf(net.openConnections(LOW)[0]!)! };
}

describe('connection collision (RFC 4271 §6.8)', () => {
  it('both dial in the same instant: the connection the higher Identifier opened is kept, the other gets Cease/7', () => {
    for (const ibgp of [false, true]) {
      const { net, low, high } = collide({}, ibgp);
      const { dialler } = assertOneSession(net, low, high, ibgp ? 'iBGP' : 'eBGP');
      assert.equal(dialler, HIGH);
      const sent = notifications(net);
      assert.ok(sent.length >= 1 && sent.every((n) => n.dialler === LOW), JSON.stringify(sent));
    }
  });

  it('the peer’s OPEN arrives before our own connection attempt completes: the attempt is given up', () => {
    // `late` has answered the peer's OPEN on the peer's connection (the peer will be Established on
    // it when the answer arrives) before its own dial completes; the dial is closed with Cease/7
    // when it does, not kept for its OPEN.
    for (const late of [HIGH, LOW]) {
      const early = late === HIGH ? LOW : HIGH;
      const { net, low, high } = collide({
        [`accepted ${early}'s`]: 1,
        [`connected ${late}'s`]: 2,
        [`bytes ${late}→${early} on ${early}'s`]: 2,
        [`bytes ${late}→${early} on ${late}'s`]: 2,
      });
      const { dialler } = assertOneSession(net, low, high, `${late} late`);
      assert.equal(dialler, early, `${late} late: the connection already answered is kept`);
      const sent = notifications(net);
      assert.ok(sent.length >= 1 && sent.every((n) => n.dialler === late), JSON.stringify(sent));
    }
  });

  it('the lower Identifier’s OPEN arrives while the higher’s own connection is in OpenSent: closed at once', () => {
    // HIGH already sent its OPEN on its own connection, which it will keep: it must not answer
    // LOW's connection with a KEEPALIVE (LOW would go Established on it) and close it later.
    const { net, low, high } = collide({ [`connected ${LOW}'s`]: 1, [`accepted ${HIGH}'s`]: 1 });
    const { dialler } = assertOneSession(net, low, high, 'OpenSent');
    assert.equal(dialler, HIGH);
    const sent = notifications(net);
    assert.ok(sent.length >= 1 && sent.every((n) => n.dialler === LOW), JSON.stringify(sent));
  });

  it('every interleaving of connects, accepts and bytes up to 2 ms apart: one connection, Established once', () => {
    const values = [0, 1, 2];
    const combos = values.length ** KEYS.length;
    const kept = new Map<string, number>();
    for (let i = 0; i < combos; i++) {
      const delays: Record<string, number> = {};
      let rest = i;
      for (const key of KEYS) {
        delays[key] = values[rest % values.length]!;
        rest = Math.floor(rest / values.length);
      }
      const { net, low, high } = collide(delays);
      const label = JSON.stringify(Object.fromEntries(Object.entries(delays).filter(([, v]) => v > 0)));
      const { dialler } = assertOneSession(net, low, high, label);
      kept.set(dialler, (kept.get(dialler) ?? 0) + 1);
    }
    assert.ok((kept.get(HIGH) ?? 0) > 0 && (kept.get(LOW) ?? 0) > 0, JSON.stringify([...kept]));
  });

  it('a collision with an Established connection closes the new one (no collision detection in Established)', () => {
    const { net, low, high } = collide({});
    const raw = net.connectRaw(LOW, HIGH);
    const open = encodeBgpMessage(
      {
        type: 'open',
        version: 4,
        myAs: 65001,
        holdTime: 9,
        bgpId: LOW,
        optionalParameters: [],
      },
      { fourOctetAs: true },
    );
    net.sendRaw(raw, open);
    assert.ok(raw.closed);
    const last = decodeBgpMessage(raw.received.at(-1)!, { fourOctetAs: true, extendedMessage: false });
    assert.deepEqual(last.type === 'notification' ? [last.code, last.subcode] : last.type, [
      BGP_ERR_CEASE,
      CEASE_CONNECTION_COLLISION_RESOLUTION,
    ]);
    assertOneSession(net, low, high, 'after a third connection');
  });
});
