/**
 * An in-memory network of BGP speakers for tests: TCP connections are pairs of numbered endpoints
 * that deliver bytes in order, time is virtual milliseconds, and a "raw" endpoint lets a test play a
 * scripted (misbehaving) peer byte by byte. By default everything arrives within the same drain;
 * `delay` holds connects, accepts and bytes back so a test can choose how they interleave.
 */
import type { BgpSpeaker, SpeakerAction } from '../../src/bgp/speaker.js';

interface Endpoint {
  readonly owner: string;
  /** Who opened the connection. */
  readonly dialler: string;
  readonly peerAddress: string;
  other: number;
  open: boolean;
  /** The owner has been told of the connection (connectionOpened); nothing reaches it before. */
  ready: boolean;
  /** Virtual ms added to bytes and closes sent from this endpoint. */
  latency: number;
  /** Deliveries that arrived before the owner was told of the connection, in order. */
  readonly waiting: (() => void)[];
}

/**
 * What `MemoryNet.delay` is asked about: when a dial completes at the dialler (`connected`), when the
 * listener accepts it (`accepted`), and how long bytes and closes take from `from` to `to` on a
 * connection `dialler` opened (`bytes`).
 */
export type DelayQuery =
  | { readonly kind: 'connected' | 'accepted'; readonly dialler: string; readonly listener: string }
  | { readonly kind: 'bytes'; readonly from: string; readonly to: string; readonly dialler: string };

/** One message put on the wire, for `MemoryNet.trace`. */
export interface Sent {
  readonly at: number;
  readonly from: string;
  readonly to: string;
  readonly connection: number;
  readonly data: Uint8Array;
}

export interface RawPeer {
  readonly connection: number;
  /** Everything the speaker sent on this connection, in order. */
  readonly received: Uint8Array[];
  closed: boolean;
}

export class MemoryNet {
  now = 0;
  private readonly speakers = new Map<string, BgpSpeaker>();
  private readonly endpoints = new Map<number, Endpoint>();
  private readonly raw = new Map<number, RawPeer>();
  private readonly queue: { owner: string; actions: SpeakerAction[] }[] = [];
  private nextConnection = 1;
  readonly log: string[] = [];
  /** Links that are down: connects fail and no bytes pass. Keyed "a|b" (sorted). */
  private readonly cut = new Set<string>();
  /** Virtual ms before each connect, accept or delivery (see `DelayQuery`); 0 = this drain. */
  delay: (q: DelayQuery) => number = () => 0;
  /** Every message a speaker sent, when set to an array. */
  trace: Sent[] | undefined;
  private readonly timed: { at: number; seq: number; run: () => void }[] = [];
  private seq = 0;

  add(address: string, speaker: BgpSpeaker): void {
    this.speakers.set(address, speaker);
  }

  start(): void {
    for (const [address, s] of this.speakers) this.queue.push({ owner: address, actions: s.start(this.now) });
    this.drain();
  }

  /** Opens a connection from a scripted peer at `from` to the speaker at `to` (as if `from` connected). */
  connectRaw(from: string, to: string): RawPeer {
    const speaker = this.speakers.get(to)!;
    const conn = this.nextConnection++;
    const rawEnd = this.nextConnection++;
    this.endpoints.set(conn, endpoint(to, from, from, rawEnd, true, 0));
    const peer: RawPeer = { connection: rawEnd, received: [], closed: false };
    this.raw.set(rawEnd, peer);
    this.endpoints.set(rawEnd, endpoint(`raw:${from}`, to, from, conn, true, 0));
    this.queue.push({ owner: to, actions: speaker.connectionOpened(from, conn, 'inbound', this.now) });
    this.drain();
    return peer;
  }

  /** Sends bytes from a scripted peer. */
  sendRaw(peer: RawPeer, data: Uint8Array): void {
    const ep = this.endpoints.get(peer.connection)!;
    const target = this.endpoints.get(ep.other)!;
    if (!ep.open || !target.open) return;
    const speaker = this.speakers.get(target.owner)!;
    this.queue.push({ owner: target.owner, actions: speaker.received(ep.other, data, this.now) });
    this.drain();
  }

  /** Closes the connections between a and b and makes new connects fail until `restore`. */
  cutLink(a: string, b: string): void {
    this.cut.add([a, b].sort().join('|'));
    for (const [id, ep] of this.endpoints) {
      if (!ep.open) continue;
      if ((ep.owner === a && ep.peerAddress === b) || (ep.owner === b && ep.peerAddress === a)) {
        ep.open = false;
        const speaker = this.speakers.get(ep.owner);
        if (speaker)
          this.queue.push({ owner: ep.owner, actions: speaker.connectionClosed(id, this.now, 'link down') });
      }
    }
    this.drain();
  }

  restore(a: string, b: string): void {
    this.cut.delete([a, b].sort().join('|'));
  }

  /** The other end of a connection (the peer's number for it), or undefined once it is closed. */
  peerConnection(connection: number): number | undefined {
    const ep = this.endpoints.get(connection);
    return ep?.open ? ep.other : undefined;
  }

  /** Who opened a connection. */
  diallerOf(connection: number): string | undefined {
    return this.endpoints.get(connection)?.dialler;
  }

  /** Connections still open at `owner`. */
  openConnections(owner: string): number[] {
    return [...this.endpoints].filter(([, ep]) => ep.owner === owner && ep.open).map(([id]) => id);
  }

  /** Runs `run` at virtual time `at` (in order of scheduling for equal times). */
  private later(at: number, run: () => void): void {
    this.timed.push({ at, seq: this.seq++, run });
  }

  private takeDue(): (() => void) | undefined {
    let best = -1;
    for (let i = 0; i < this.timed.length; i++) {
      const t = this.timed[i]!;
      const b = this.timed[best];
      if (t.at <= this.now && (!b || t.at < b.at || (t.at === b.at && t.seq < b.seq))) best = i;
    }
    return best < 0 ? undefined : this.timed.splice(best, 1)[0]!.run;
  }

  /** Delivers everything in flight and flushes pending UPDATEs until the network is quiet. */
  drain(): void {
    for (let rounds = 0; rounds < 1_000_000; rounds++) {
      const next = this.queue.shift();
      if (next) {
        this.perform(next.owner, next.actions);
        continue;
      }
      const due = this.takeDue();
      if (due) {
        due();
        continue;
      }
      let flushed = false;
      for (const [address, s] of this.speakers) {
        if (s.hasPendingOutput()) {
          const actions = s.flush(this.now);
          if (actions.length > 0) {
            flushed = true;
            this.queue.push({ owner: address, actions });
          }
        }
      }
      if (!flushed) return;
    }
    throw new Error('MemoryNet did not settle');
  }

  /** Advances virtual time to `until` (ms), firing timers in order. */
  advance(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      let next: number | undefined;
      for (const s of this.speakers.values()) {
        const d = s.nextDeadline();
        if (d !== undefined && (next === undefined || d < next)) next = d;
      }
      for (const t of this.timed) if (next === undefined || t.at < next) next = t.at;
      if (next === undefined || next > until) break;
      this.now = Math.max(this.now, next);
      for (const [address, s] of this.speakers)
        this.queue.push({ owner: address, actions: s.poll(this.now) });
      this.drain();
    }
    this.now = until;
    this.drain();
  }

  private perform(owner: string, actions: readonly SpeakerAction[]): void {
    for (const a of actions) {
      switch (a.type) {
        case 'log':
          this.log.push(`${owner} ${a.peer}: ${a.message}`);
          break;
        case 'connect': {
          const target = this.speakers.get(a.peer);
          const self = this.speakers.get(owner)!;
          if (!target || this.cut.has([owner, a.peer].sort().join('|'))) {
            this.queue.push({ owner, actions: self.connectFailed(a.peer, this.now, 'connection refused') });
            break;
          }
          const mine = this.nextConnection++;
          const theirs = this.nextConnection++;
          const dialler = owner;
          const listener = a.peer;
          const bytes = (from: string, to: string) => this.delay({ kind: 'bytes', from, to, dialler });
          this.endpoints.set(mine, endpoint(owner, a.peer, owner, theirs, false, bytes(owner, a.peer)));
          this.endpoints.set(theirs, endpoint(a.peer, owner, owner, mine, false, bytes(a.peer, owner)));
          const open = (
            id: number,
            speaker: BgpSpeaker,
            at: string,
            peer: string,
            dir: 'outbound' | 'inbound',
          ) =>
            this.at(
              this.delay({ kind: dir === 'outbound' ? 'connected' : 'accepted', dialler, listener }),
              () => {
                const ep = this.endpoints.get(id)!;
                ep.ready = true;
                this.queue.push({ owner: at, actions: speaker.connectionOpened(peer, id, dir, this.now) });
                for (const delivery of ep.waiting.splice(0)) delivery();
              },
            );
          open(mine, self, owner, a.peer, 'outbound');
          open(theirs, target, a.peer, owner, 'inbound');
          break;
        }
        case 'send': {
          const ep = this.endpoints.get(a.connection);
          if (!ep || !ep.open) break;
          this.trace?.push({
            at: this.now,
            from: owner,
            to: ep.peerAddress,
            connection: a.connection,
            data: a.data,
          });
          this.toOther(ep, () => {
            const other = this.endpoints.get(ep.other)!;
            if (!other.open) return;
            const raw = this.raw.get(ep.other);
            if (raw) {
              raw.received.push(a.data);
              return;
            }
            const target = this.speakers.get(other.owner)!;
            this.queue.push({ owner: other.owner, actions: target.received(ep.other, a.data, this.now) });
          });
          break;
        }
        case 'close': {
          const ep = this.endpoints.get(a.connection);
          if (!ep || !ep.open) break;
          ep.open = false;
          this.toOther(ep, () => {
            const other = this.endpoints.get(ep.other)!;
            if (!other.open) return;
            other.open = false;
            const raw = this.raw.get(ep.other);
            if (raw) {
              raw.closed = true;
              return;
            }
            const target = this.speakers.get(other.owner)!;
            this.queue.push({
              owner: other.owner,
              actions: target.connectionClosed(ep.other, this.now, 'closed by peer'),
            });
          });
          break;
        }
      }
    }
  }

  /** Runs `delivery` now, or after the endpoint's latency and once the other end is open. */
  private toOther(ep: Endpoint, delivery: () => void): void {
    const other = this.endpoints.get(ep.other)!;
    if (ep.latency === 0 && other.ready && this.timed.length === 0) delivery();
    else
      this.later(this.now + ep.latency, () => {
        if (other.ready) delivery();
        else other.waiting.push(delivery);
      });
  }

  /** Runs `run` after `ms` (now, in this drain, when 0 and nothing is held back). */
  private at(ms: number, run: () => void): void {
    if (ms === 0 && this.timed.length === 0) run();
    else this.later(this.now + ms, run);
  }
}

function endpoint(
  owner: string,
  peerAddress: string,
  dialler: string,
  other: number,
  ready: boolean,
  latency: number,
): Endpoint {
  return { owner, dialler, peerAddress, other, open: true, ready, latency, waiting: [] };
}
