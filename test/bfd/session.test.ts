/**
 * The RFC 5880 session engine as scripted timelines: two sessions over an in-memory link with a
 * fixed delay, driven by a small discrete-event loop that jumps to each engine's `nextDeadline()` and
 * each packet's arrival, so times are exact. Covers the three-way handshake, timer negotiation,
 * Detection Time expiry (to the exact millisecond), Poll/Final on interval changes, AdminDown, a
 * restarting peer, 10 ms intervals, jitter bounds, and hostile input.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  BFD_SLOW_TX_MS,
  BfdSession,
  type BfdSessionAction,
  type BfdSessionConfig,
  type BfdSessionState,
} from '../../src/bfd/session.js';
import { SeededRandom } from '../../src/lab/sim.js';
import {
  BFD_DIAG_ADMINISTRATIVELY_DOWN,
  BFD_DIAG_CONTROL_DETECTION_TIME_EXPIRED,
  BFD_DIAG_NEIGHBOR_SIGNALED_SESSION_DOWN,
  BFD_STATE_ADMIN_DOWN,
  BFD_STATE_DOWN,
  BFD_STATE_UP,
  decodeBfdControl,
  encodeBfdControl,
  type BfdControlPacket,
} from '../../src/wire/bfd.js';
import { arbBfdControlPacket } from '../wire/arb-lacpbfd.js';

type Side = 'a' | 'b';
const other = (s: Side): Side => (s === 'a' ? 'b' : 'a');

interface Timers {
  readonly desiredMinTxMs: number;
  readonly requiredMinRxMs: number;
  readonly detectMultiplier: number;
}

interface Traced {
  readonly at: number;
  readonly who: Side;
  readonly action: BfdSessionAction;
}

interface Delivery {
  readonly at: number;
  readonly to: Side;
  readonly packet: BfdControlPacket;
}

interface InFlight {
  readonly at: number;
  readonly seq: number;
  readonly to: Side;
  readonly bytes: Uint8Array;
}

function session(
  name: string,
  discriminator: number,
  timers: Timers,
  seed: number,
  extra: Partial<BfdSessionConfig> = {},
): BfdSession {
  const rng = new SeededRandom(seed);
  return new BfdSession({
    name,
    localDiscriminator: discriminator,
    random: () => rng.next(),
    ...timers,
    ...extra,
  });
}

/** Two sessions joined by a link with a fixed one-way delay; each direction can be cut. */
class Pair {
  now = 0;
  readonly trace: Traced[] = [];
  readonly delivered: Delivery[] = [];
  readonly sessions: Record<Side, BfdSession>;
  readonly linkUp: Record<Side, boolean> = { a: true, b: true }; // keyed by sender
  private inFlight: InFlight[] = [];
  private seq = 0;

  constructor(
    a: BfdSession,
    b: BfdSession,
    readonly delayMs = 1,
  ) {
    this.sessions = { a, b };
  }

  static of(ta: Timers, tb: Timers, seed = 1, delayMs = 1): Pair {
    return new Pair(session('a', 0x1111, ta, seed), session('b', 0x2222, tb, seed + 1), delayMs);
  }

  get a(): BfdSession {
    return this.sessions.a;
  }
  get b(): BfdSession {
    return this.sessions.b;
  }

  start(): this {
    this.perform('a', this.a.start(this.now));
    this.perform('b', this.b.start(this.now));
    return this;
  }

  perform(who: Side, actions: readonly BfdSessionAction[]): void {
    for (const action of actions) {
      this.trace.push({ at: this.now, who, action });
      if (action.kind === 'send' && this.linkUp[who]) {
        this.inFlight.push({
          at: this.now + this.delayMs,
          seq: this.seq++,
          to: other(who),
          bytes: action.bytes,
        });
      }
    }
  }

  /** Replaces one side with a fresh session (a restarted peer) and starts it. */
  replace(who: Side, s: BfdSession): void {
    this.sessions[who] = s;
    this.perform(who, s.start(this.now));
  }

  runUntil(t: number): this {
    for (let guard = 0; guard < 10_000_000; guard++) {
      let next: number | undefined;
      const consider = (x: number | undefined) => {
        if (x !== undefined && (next === undefined || x < next)) next = x;
      };
      for (const p of this.inFlight) consider(p.at);
      consider(this.a.nextDeadline());
      consider(this.b.nextDeadline());
      if (next === undefined || next > t) {
        this.now = t;
        return this;
      }
      this.now = Math.max(this.now, next);
      const due = this.inFlight.filter((p) => p.at <= this.now).sort((x, y) => x.at - y.at || x.seq - y.seq);
      this.inFlight = this.inFlight.filter((p) => p.at > this.now);
      for (const p of due) {
        this.delivered.push({ at: this.now, to: p.to, packet: decodeBfdControl(p.bytes) });
        this.perform(p.to, this.sessions[p.to].receive(this.now, p.bytes));
      }
      for (const who of ['a', 'b'] as const) {
        const d = this.sessions[who].nextDeadline();
        if (d !== undefined && d <= this.now) this.perform(who, this.sessions[who].poll(this.now));
      }
    }
    throw new Error('simulation did not settle');
  }

  states(who: Side, since = 0): { at: number; from: BfdSessionState; to: BfdSessionState; diag: number }[] {
    const out: { at: number; from: BfdSessionState; to: BfdSessionState; diag: number }[] = [];
    for (const t of this.trace) {
      if (t.who === who && t.at >= since && t.action.kind === 'state') {
        out.push({ at: t.at, from: t.action.from, to: t.action.to, diag: t.action.diag });
      }
    }
    return out;
  }

  sends(who: Side, since = 0, until = Infinity): { at: number; packet: BfdControlPacket; reason: string }[] {
    const out: { at: number; packet: BfdControlPacket; reason: string }[] = [];
    for (const t of this.trace) {
      if (t.who === who && t.at >= since && t.at <= until && t.action.kind === 'send') {
        out.push({ at: t.at, packet: t.action.packet, reason: t.action.reason });
      }
    }
    return out;
  }

  /** Gaps between consecutive periodic packets of `who` in [since, until]. */
  periodicGaps(who: Side, since: number, until = Infinity): number[] {
    const times = this.sends(who, since, until)
      .filter((s) => s.reason === 'periodic')
      .map((s) => s.at);
    return times.slice(1).map((t, i) => t - times[i]!);
  }
}

const FAST: Timers = { desiredMinTxMs: 100, requiredMinRxMs: 100, detectMultiplier: 3 };

function upPair(ta: Timers = FAST, tb: Timers = FAST, seed = 1): Pair {
  const p = Pair.of(ta, tb, seed).start().runUntil(3000);
  assert.equal(p.a.state, 'Up');
  assert.equal(p.b.state, 'Up');
  assert.equal(p.a.pollInProgress, false);
  assert.equal(p.b.pollInProgress, false);
  return p;
}

describe('BFD session: bring-up and timer negotiation', () => {
  it('two sessions come Up through the three-way handshake and negotiate both directions', () => {
    const ta: Timers = { desiredMinTxMs: 50, requiredMinRxMs: 20, detectMultiplier: 3 };
    const tb: Timers = { desiredMinTxMs: 30, requiredMinRxMs: 40, detectMultiplier: 4 };
    const p = Pair.of(ta, tb).start().runUntil(5000);
    for (const who of ['a', 'b'] as const) {
      const states = p.states(who);
      // Both sent Down at 0; each heard Down (→ Init) at 1 ms and Init (→ Up) at 2 ms.
      assert.deepEqual(
        states.map((s) => [s.at, s.from, s.to]),
        [
          [1, 'Down', 'Init'],
          [2, 'Init', 'Up'],
        ],
      );
      assert.equal(p.sessions[who].counters.upTransitions, 1);
    }
    // RFC 5880 §6.8.3: while not Up, Desired Min TX on the wire is at least one second.
    for (const who of ['a', 'b'] as const) {
      for (const s of p.sends(who)) {
        if (s.packet.state !== BFD_STATE_UP)
          assert.ok(s.packet.desiredMinTxInterval >= BFD_SLOW_TX_MS * 1000);
      }
    }
    // §6.8.2: TX = max(own DesiredMinTx, peer's RequiredMinRx); §6.8.4: detection = peer's mult × max(own RequiredMinRx, peer's DesiredMinTx).
    assert.equal(p.a.transmitIntervalMs, 50);
    assert.equal(p.b.transmitIntervalMs, 30);
    assert.equal(p.a.detectionTimeMs, 4 * 30);
    assert.equal(p.b.detectionTimeMs, 3 * 50);
    assert.equal(p.a.remoteDiscriminator, p.b.localDiscriminator);
    assert.equal(p.b.remoteDiscriminator, p.a.localDiscriminator);
    // §6.8.7: periodic packets 75–100% of the interval once settled.
    for (const [who, interval] of [
      ['a', 50],
      ['b', 30],
    ] as const) {
      const gaps = p.periodicGaps(who, 1000);
      assert.ok(gaps.length > 50);
      assert.ok(Math.min(...gaps) >= 0.75 * interval - 1e-9, `${who} min gap ${Math.min(...gaps)}`);
      assert.ok(Math.max(...gaps) <= interval + 1e-9, `${who} max gap ${Math.max(...gaps)}`);
      // Jitter really varies (not a constant 75% or 100%).
      assert.ok(Math.max(...gaps) - Math.min(...gaps) > 0.1 * interval);
    }
  });

  it('going Up starts a Poll Sequence for the faster interval, answered with Final', () => {
    const p = Pair.of(FAST, FAST).start().runUntil(3000);
    const polls = p.sends('a').filter((s) => s.packet.poll);
    assert.ok(polls.length >= 1);
    assert.equal(polls[0]!.packet.desiredMinTxInterval, 100_000);
    const finals = p.sends('b').filter((s) => s.packet.final);
    assert.ok(finals.some((f) => f.at === polls[0]!.at + p.delayMs && f.reason === 'final'));
    assert.ok(p.sends('a').every((s) => !(s.packet.poll && s.packet.final)));
  });

  it('a passive session sends nothing until the peer speaks', () => {
    const rng = new SeededRandom(5);
    const passive = new BfdSession({
      name: 'p',
      localDiscriminator: 7,
      random: () => rng.next(),
      ...FAST,
      passive: true,
    });
    const active = session('a', 8, FAST, 6);
    const pair = new Pair(passive, active);
    pair.perform('a', passive.start(0));
    pair.runUntil(10_000);
    assert.equal(pair.sends('a').length, 0);
    assert.equal(passive.state, 'Down');
    pair.perform('b', active.start(pair.now));
    pair.runUntil(13_000);
    assert.equal(passive.state, 'Up');
    assert.equal(active.state, 'Up');
  });
});

describe('BFD session: detection', () => {
  it('Detection Time expiry takes the session Down with diag 1 after exactly the negotiated time', () => {
    const ta: Timers = { desiredMinTxMs: 10, requiredMinRxMs: 20, detectMultiplier: 3 };
    const tb: Timers = { desiredMinTxMs: 30, requiredMinRxMs: 10, detectMultiplier: 5 };
    const p = upPair(ta, tb);
    // b's detect mult 5 × max(a's RequiredMinRx 20, b's DesiredMinTx 30).
    assert.equal(p.a.detectionTimeMs, 150);
    p.linkUp.b = false; // b → a is cut; a → b still works
    const cutAt = p.now;
    p.runUntil(cutAt + 5000);
    const lastHeard = p.delivered.filter((d) => d.to === 'a').at(-1)!.at;
    assert.ok(lastHeard <= cutAt + p.delayMs);
    const downs = p.states('a', cutAt);
    assert.equal(downs.length, 1);
    assert.equal(downs[0]!.at, lastHeard + 150);
    assert.equal(downs[0]!.to, 'Down');
    assert.equal(downs[0]!.diag, BFD_DIAG_CONTROL_DETECTION_TIME_EXPIRED);
    // a says Down at once; b, still hearing a, goes Down with diag 3 one link delay later.
    const bDowns = p.trace.filter((t) => t.who === 'b' && t.at >= cutAt && t.action.kind === 'state');
    assert.equal(bDowns[0]!.at, downs[0]!.at + p.delayMs);
    const bDown = bDowns[0]!.action;
    assert.ok(bDown.kind === 'state');
    assert.equal(bDown.to, 'Down');
    assert.equal(bDown.diag, BFD_DIAG_NEIGHBOR_SIGNALED_SESSION_DOWN);
    assert.equal(bDown.remoteDiag, BFD_DIAG_CONTROL_DETECTION_TIME_EXPIRED);
    // §6.8.1: bfd.RemoteDiscr is zeroed when the Detection Time passes.
    assert.equal(p.a.remoteDiscriminator, 0);
    // b then hears a's Down packets and waits in Init for a three-way handshake a cannot complete.
    assert.equal(p.b.state, 'Init');
  });

  it('the link coming back brings the session Up again', () => {
    const p = upPair();
    p.linkUp.a = false;
    p.linkUp.b = false;
    p.runUntil(p.now + 2000);
    assert.equal(p.a.state, 'Down');
    assert.equal(p.b.state, 'Down');
    p.linkUp.a = true;
    p.linkUp.b = true;
    p.runUntil(p.now + 3000);
    assert.equal(p.a.state, 'Up');
    assert.equal(p.b.state, 'Up');
    assert.equal(p.a.counters.upTransitions, 2);
  });

  it('10 ms intervals: Up, stable for ten seconds, and down in 30 ms', () => {
    const ten: Timers = { desiredMinTxMs: 10, requiredMinRxMs: 10, detectMultiplier: 3 };
    const p = Pair.of(ten, ten, 42, 0.2).start().runUntil(10_000);
    assert.equal(p.a.state, 'Up');
    assert.equal(p.a.counters.upTransitions, 1);
    assert.equal(p.a.counters.downTransitions, 0);
    assert.equal(p.b.counters.downTransitions, 0);
    const gaps = p.periodicGaps('a', 1000);
    // 9 s at 7.5–10 ms per packet.
    assert.ok(gaps.length >= 900 && gaps.length <= 1200, `${gaps.length} packets`);
    assert.ok(Math.min(...gaps) >= 7.5 - 1e-9 && Math.max(...gaps) <= 10 + 1e-9);
    p.linkUp.b = false;
    const cutAt = p.now;
    p.runUntil(cutAt + 200);
    const lastHeard = p.delivered.filter((d) => d.to === 'a').at(-1)!.at;
    assert.equal(p.states('a', cutAt)[0]!.at, lastHeard + 30);
  });

  it('a Detect Mult of 1 keeps every interval within 75–90% (§6.8.7) and never flaps', () => {
    const one: Timers = { desiredMinTxMs: 20, requiredMinRxMs: 20, detectMultiplier: 1 };
    const p = Pair.of(one, one, 9).start().runUntil(20_000);
    assert.equal(p.a.counters.downTransitions + p.b.counters.downTransitions, 0);
    const gaps = p.periodicGaps('a', 1000);
    assert.ok(Math.min(...gaps) >= 15 - 1e-9);
    assert.ok(Math.max(...gaps) <= 18 + 1e-9, `max gap ${Math.max(...gaps)}`);
  });

  it('Detection Time passing while Down zeroes the remote discriminator (§6.8.1)', () => {
    const a = session('a', 1, FAST, 1);
    a.start(0);
    const down: BfdControlPacket = {
      diagnostic: 0,
      state: BFD_STATE_DOWN,
      poll: false,
      final: false,
      controlPlaneIndependent: false,
      demand: false,
      detectMultiplier: 3,
      myDiscriminator: 99,
      yourDiscriminator: 0,
      desiredMinTxInterval: 1_000_000,
      requiredMinRxInterval: 1_000_000,
      requiredMinEchoRxInterval: 0,
    };
    a.receive(10, { ...down, state: BFD_STATE_UP, yourDiscriminator: 1 }); // Up while we are Down: stay Down
    assert.equal(a.state, 'Down');
    assert.equal(a.remoteDiscriminator, 99);
    assert.deepEqual(
      a.poll(3009.999).filter((x) => x.kind === 'state'),
      [],
    );
    assert.equal(a.remoteDiscriminator, 99);
    const actions = a.poll(3010);
    assert.deepEqual(
      actions.filter((x) => x.kind === 'state'),
      [],
    );
    assert.equal(a.remoteDiscriminator, 0);
    assert.equal(a.counters.detectionTimeExpirations, 1);
  });
});

describe('BFD session: Poll Sequence on timer changes (§6.5, §6.8.3)', () => {
  it('a slower DesiredMinTx waits for the Final before the interval grows', () => {
    const p = upPair();
    const t0 = p.now;
    p.perform('a', p.a.setTimers(t0, { desiredMinTxMs: 300 }));
    assert.equal(p.a.pollInProgress, true);
    assert.equal(p.a.transmitIntervalMs, 100); // held until the Final
    p.runUntil(t0 + 3000);
    const polls = p.sends('a', t0).filter((s) => s.packet.poll);
    assert.ok(polls.length >= 1);
    assert.equal(polls[0]!.packet.desiredMinTxInterval, 300_000);
    assert.equal(polls[0]!.reason, 'periodic'); // the poll rides on periodic packets
    // b answers the Poll at once, Final set and Poll clear.
    const final = p.sends('b', t0).find((s) => s.packet.final)!;
    assert.equal(final.at, polls[0]!.at + p.delayMs);
    assert.equal(final.reason, 'final');
    assert.equal(final.packet.poll, false);
    const finalHeard = final.at + p.delayMs;
    // Before the Final: still 100 ms; after it: 225–300 ms and no more Poll bits.
    const before = p.periodicGaps('a', t0, finalHeard);
    assert.ok(before.every((g) => g <= 100 + 1e-9));
    const after = p.sends('a', finalHeard + 1);
    assert.ok(after.every((s) => !s.packet.poll));
    const gaps = p.periodicGaps('a', finalHeard + 1);
    assert.ok(gaps.length > 5);
    assert.ok(Math.min(...gaps) >= 225 - 1e-9 && Math.max(...gaps) <= 300 + 1e-9, gaps.join(','));
    assert.equal(p.a.transmitIntervalMs, 300);
    // The peer's Detection Time follows the new Desired Min TX: 3 × 300.
    assert.equal(p.b.detectionTimeMs, 900);
    assert.equal(p.a.counters.downTransitions + p.b.counters.downTransitions, 0);
  });

  it('a smaller RequiredMinRx shortens the Detection Time only after the Final', () => {
    const p = upPair(FAST, { desiredMinTxMs: 20, requiredMinRxMs: 100, detectMultiplier: 3 });
    assert.equal(p.a.detectionTimeMs, 300); // 3 × max(100, 20)
    assert.equal(p.b.transmitIntervalMs, 100);
    const t0 = p.now;
    p.perform('a', p.a.setTimers(t0, { requiredMinRxMs: 50 }));
    assert.equal(p.a.detectionTimeMs, 300); // held
    // Run until a's Poll has reached b: b speeds up at once.
    const firstPoll = () => p.sends('a', t0).find((s) => s.packet.poll);
    while (firstPoll() === undefined) p.runUntil(p.now + 1);
    p.runUntil(firstPoll()!.at + p.delayMs);
    assert.equal(p.b.transmitIntervalMs, 50);
    assert.equal(p.a.detectionTimeMs, 300); // the Final is still on its way
    p.runUntil(p.now + p.delayMs);
    assert.equal(p.a.pollInProgress, false);
    assert.equal(p.a.detectionTimeMs, 150); // 3 × max(50, 20)
    p.runUntil(p.now + 2000);
    assert.equal(p.a.counters.downTransitions, 0);
  });

  it('a second change during a Poll Sequence gets its own Poll after the first ends', () => {
    const p = upPair();
    const t0 = p.now;
    p.perform('a', p.a.setTimers(t0, { desiredMinTxMs: 200 }));
    p.perform('a', p.a.setTimers(t0, { desiredMinTxMs: 400 }));
    assert.equal(p.a.counters.pollSequences, 2); // the Up poll, then this one; the second waits
    p.runUntil(t0 + 3000);
    assert.equal(p.a.counters.pollSequences, 3);
    assert.equal(p.a.pollInProgress, false);
    assert.equal(p.a.transmitIntervalMs, 400);
    const polled = p.sends('a', t0).filter((s) => s.packet.poll);
    assert.ok(polled.some((s) => s.packet.desiredMinTxInterval === 400_000));
  });
});

describe('BFD session: AdminDown and restarts', () => {
  it('AdminDown on one side takes the other Down (diag 3, peer diag 7) and keeps it Down', () => {
    const p = upPair();
    const t0 = p.now;
    p.perform('a', p.a.setAdminDown(t0, true));
    assert.deepEqual(p.states('a', t0), [
      { at: t0, from: 'Up', to: 'AdminDown', diag: BFD_DIAG_ADMINISTRATIVELY_DOWN },
    ]);
    p.runUntil(t0 + 5000);
    const bStates = p.trace.filter((t) => t.who === 'b' && t.at >= t0 && t.action.kind === 'state');
    assert.equal(bStates.length, 1, 'b goes Down once and does not start the handshake');
    const change = bStates[0]!.action;
    assert.ok(change.kind === 'state');
    assert.equal(bStates[0]!.at, t0 + p.delayMs);
    assert.equal(change.to, 'Down');
    // RFC 5880 §6.8.6: the receiver's own diag is 3; the peer's AdminDown and diag 7 come with it
    // (RFC 5882 §3.2: not a forwarding failure).
    assert.equal(change.diag, BFD_DIAG_NEIGHBOR_SIGNALED_SESSION_DOWN);
    assert.equal(change.remoteState, 'AdminDown');
    assert.equal(change.remoteDiag, BFD_DIAG_ADMINISTRATIVELY_DOWN);
    // a keeps saying AdminDown at the slow rate, to b's discriminator, and discards b's packets.
    const sent = p.sends('a', t0);
    assert.ok(sent.every((s) => s.packet.state === BFD_STATE_ADMIN_DOWN));
    assert.ok(sent.every((s) => s.packet.yourDiscriminator === p.b.localDiscriminator));
    assert.ok(p.periodicGaps('a', t0).every((g) => g >= 0.75 * BFD_SLOW_TX_MS));
    assert.ok(p.a.counters.discardedAdminDown > 0);
    p.perform('a', p.a.setAdminDown(p.now, false));
    p.runUntil(p.now + 100);
    assert.equal(p.a.state, 'Up');
    assert.equal(p.b.state, 'Up');
  });

  it('a peer that restarts with a new discriminator is followed', () => {
    const p = upPair();
    const t0 = p.now;
    const oldB = p.b.localDiscriminator;
    p.replace('b', session('b2', 0x3333, FAST, 77));
    p.runUntil(t0 + 3000);
    const aStates = p.states('a', t0);
    assert.equal(aStates[0]!.at, t0 + p.delayMs);
    assert.deepEqual(
      aStates.map((s) => [s.from, s.to, s.diag]),
      [
        ['Up', 'Down', BFD_DIAG_NEIGHBOR_SIGNALED_SESSION_DOWN],
        ['Down', 'Up', 0],
      ],
    );
    assert.equal(p.a.state, 'Up');
    assert.equal(p.b.state, 'Up');
    assert.equal(p.a.remoteDiscriminator, 0x3333);
    assert.notEqual(oldB, 0x3333);
    assert.ok(p.sends('a', t0 + 10).every((s) => s.packet.yourDiscriminator === 0x3333));
  });

  it('the same seed gives the same packets at the same times', () => {
    const run = () => {
      const p = Pair.of(FAST, { desiredMinTxMs: 20, requiredMinRxMs: 30, detectMultiplier: 2 }, 3).start();
      p.runUntil(2000);
      return p.trace.map((t) => [
        t.at,
        t.who,
        t.action.kind === 'send' ? Buffer.from(t.action.bytes).toString('hex') : t.action.to,
      ]);
    };
    assert.deepEqual(run(), run());
  });
});

describe('BFD session: a peer in Demand mode (§6.6, §6.8.7)', () => {
  it('stops periodic packets while both are Up, sends a Poll Sequence on change, and resumes when D clears', () => {
    const p = upPair();
    const heard = p.delivered.filter((d) => d.to === 'a').at(-1)!.packet;
    const demand: BfdControlPacket = { ...heard, demand: true, poll: false, final: false };
    const t0 = p.now;
    p.perform('a', p.a.receive(t0, demand));
    const detection = t0 + p.a.detectionTimeMs!;
    // Only the Detection Time is left to wait for: no periodic packet is scheduled.
    assert.equal(p.a.nextDeadline(), detection);
    assert.deepEqual(p.a.poll(t0 + 50), []);
    // A timer change must still be announced: the Poll rides on periodic packets again.
    const actions = p.a.setTimers(t0 + 60, { desiredMinTxMs: 50 });
    assert.ok((p.a.nextDeadline() ?? Infinity) < detection);
    const polled = [...actions, ...p.a.poll(p.a.nextDeadline()!)].filter((x) => x.kind === 'send');
    assert.ok(polled.length >= 1);
    assert.ok(polled.every((x) => x.kind === 'send' && x.packet.poll));
    // The peer's Final ends the Poll Sequence, and with D still set the packets stop again.
    p.a.receive(t0 + 70, { ...demand, final: true });
    assert.equal(p.a.pollInProgress, false);
    assert.equal(p.a.nextDeadline(), t0 + 70 + p.a.detectionTimeMs!);
    // D cleared: periodic transmission resumes.
    p.a.receive(t0 + 80, heard);
    assert.ok((p.a.nextDeadline() ?? Infinity) < t0 + 80 + p.a.detectionTimeMs!);
  });
});

describe('BFD session: hostile input', () => {
  const upAt = (): { p: Pair; packet: BfdControlPacket } => {
    const p = upPair();
    const packet = p.delivered.filter((d) => d.to === 'a').at(-1)!.packet;
    return { p, packet };
  };

  it('drops authenticated packets when no authentication is configured (§6.8.6)', () => {
    const { p, packet } = upAt();
    const withAuth: BfdControlPacket = {
      ...packet,
      state: BFD_STATE_DOWN,
      auth: { type: 'simple-password', keyId: 1, password: new Uint8Array([1, 2, 3]) },
    };
    assert.deepEqual(p.a.receive(p.now, encodeBfdControl(withAuth)), []);
    assert.deepEqual(p.a.receive(p.now, withAuth), []);
    assert.equal(p.a.counters.droppedAuthentication, 2);
    assert.equal(p.a.state, 'Up');
  });

  it('drops packets for another discriminator and malformed bytes', () => {
    const { p, packet } = upAt();
    const before = p.a.counters.packetsIn;
    assert.deepEqual(p.a.receive(p.now, { ...packet, state: BFD_STATE_DOWN, yourDiscriminator: 12345 }), []);
    assert.equal(p.a.counters.droppedWrongDiscriminator, 1);
    const bytes = encodeBfdControl({ ...packet, state: BFD_STATE_DOWN });
    assert.deepEqual(p.a.receive(p.now, bytes.subarray(0, 20)), []); // truncated
    const badVersion = bytes.slice();
    badVersion[0] = (2 << 5) | (badVersion[0]! & 0x1f);
    assert.deepEqual(p.a.receive(p.now, badVersion), []);
    assert.deepEqual(p.a.receive(p.now, { ...packet, detectMultiplier: 0 }), []);
    assert.deepEqual(p.a.receive(p.now, { ...packet, state: BFD_STATE_UP, yourDiscriminator: 0 }), []);
    assert.equal(p.a.counters.droppedMalformed, 4);
    assert.equal(p.a.counters.packetsIn, before);
    assert.equal(p.a.state, 'Up');
  });

  it('never throws on arbitrary bytes or packet values, and every drop is counted', () => {
    const { p } = upAt();
    const a = p.a;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 64 }),
          arbBfdControlPacket.map((v) => encodeBfdControl(v)),
          arbBfdControlPacket,
        ),
        (input) => {
          const c0 = { ...a.counters };
          a.receive(p.now, input);
          const c1 = a.counters;
          const accounted =
            c1.packetsIn -
            c0.packetsIn +
            (c1.droppedMalformed - c0.droppedMalformed) +
            (c1.droppedWrongDiscriminator - c0.droppedWrongDiscriminator) +
            (c1.droppedAuthentication - c0.droppedAuthentication);
          assert.equal(accounted, 1);
          a.poll(p.now);
        },
      ),
      { numRuns: 2000, seed: 5 },
    );
  });

  it('rejects invalid configuration with a RangeError', () => {
    const rnd = () => 0.5;
    assert.throws(
      () => new BfdSession({ name: 'x', localDiscriminator: 0, random: rnd, ...FAST }),
      RangeError,
    );
    assert.throws(
      () => new BfdSession({ name: 'x', localDiscriminator: 1, random: rnd, ...FAST, detectMultiplier: 0 }),
      RangeError,
    );
    assert.throws(
      () => new BfdSession({ name: 'x', localDiscriminator: 1, random: rnd, ...FAST, desiredMinTxMs: 0 }),
      RangeError,
    );
    const s = new BfdSession({ name: 'x', localDiscriminator: 1, random: rnd, ...FAST });
    assert.throws(() => s.setTimers(0, { requiredMinRxMs: -1 }), RangeError);
  });
});

describe('BFD session: properties', () => {
  const arbTimers = fc.record({
    desiredMinTxMs: fc.integer({ min: 1, max: 300 }),
    requiredMinRxMs: fc.integer({ min: 1, max: 300 }),
    detectMultiplier: fc.integer({ min: 1, max: 5 }),
  });

  it('any two configurations come Up, stay Up on a lossless link, and pace within §6.8.7', () => {
    fc.assert(
      fc.property(
        arbTimers,
        arbTimers,
        fc.integer({ min: 1, max: 1000 }),
        fc.double({ min: 0, max: 2, noNaN: true }),
        (ta, tb, seed, delay) => {
          const p = Pair.of(ta, tb, seed, delay).start().runUntil(6000);
          for (const who of ['a', 'b'] as const) {
            const s = p.sessions[who];
            assert.equal(s.state, 'Up');
            assert.equal(s.counters.upTransitions, 1);
            assert.equal(s.counters.downTransitions, 0);
            const mine = who === 'a' ? ta : tb;
            const peer = who === 'a' ? tb : ta;
            const interval = Math.max(mine.desiredMinTxMs, peer.requiredMinRxMs);
            assert.equal(s.transmitIntervalMs, interval);
            assert.equal(
              s.detectionTimeMs,
              peer.detectMultiplier * Math.max(mine.requiredMinRxMs, peer.desiredMinTxMs),
            );
            const gaps = p.periodicGaps(who, 2000);
            const high = mine.detectMultiplier === 1 ? 0.9 : 1;
            assert.ok(Math.min(...gaps) >= 0.75 * interval - 1e-9);
            assert.ok(Math.max(...gaps) <= high * interval + 1e-9);
          }
        },
      ),
      { numRuns: 40, seed: 11 },
    );
  });
});
