/**
 * An in-memory network of BGP speakers for tests: TCP connections are pairs of numbered endpoints
 * that deliver bytes in order, time is virtual milliseconds, and a "raw" endpoint lets a test play a
 * scripted (misbehaving) peer byte by byte.
 */
import type { BgpSpeaker, SpeakerAction } from '../../src/bgp/speaker.js';

interface Endpoint {
  readonly owner: string;
  readonly peerAddress: string;
  other: number;
  open: boolean;
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
    this.endpoints.set(conn, { owner: to, peerAddress: from, other: rawEnd, open: true });
    const peer: RawPeer = { connection: rawEnd, received: [], closed: false };
    this.raw.set(rawEnd, peer);
    this.endpoints.set(rawEnd, { owner: `raw:${from}`, peerAddress: to, other: conn, open: true });
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

  /** Delivers everything in flight and flushes pending UPDATEs until the network is quiet. */
  drain(): void {
    for (let rounds = 0; rounds < 1_000_000; rounds++) {
      const next = this.queue.shift();
      if (next) {
        this.perform(next.owner, next.actions);
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
          this.endpoints.set(mine, { owner, peerAddress: a.peer, other: theirs, open: true });
          this.endpoints.set(theirs, { owner: a.peer, peerAddress: owner, other: mine, open: true });
          this.queue.push({ owner, actions: self.connectionOpened(a.peer, mine, 'outbound', this.now) });
          this.queue.push({
            owner: a.peer,
            actions: target.connectionOpened(owner, theirs, 'inbound', this.now),
          });
          break;
        }
        case 'send': {
          const ep = this.endpoints.get(a.connection);
          if (!ep || !ep.open) break;
          const other = this.endpoints.get(ep.other)!;
          if (!other.open) break;
          const raw = this.raw.get(ep.other);
          if (raw) {
            raw.received.push(a.data);
            break;
          }
          const target = this.speakers.get(other.owner)!;
          this.queue.push({ owner: other.owner, actions: target.received(ep.other, a.data, this.now) });
          break;
        }
        case 'close': {
          const ep = this.endpoints.get(a.connection);
          if (!ep || !ep.open) break;
          ep.open = false;
          const other = this.endpoints.get(ep.other)!;
          if (!other.open) break;
          other.open = false;
          const raw = this.raw.get(ep.other);
          if (raw) {
            raw.closed = true;
            break;
          }
          const target = this.speakers.get(other.owner)!;
          this.queue.push({
            owner: other.owner,
            actions: target.connectionClosed(ep.other, this.now, 'closed by peer'),
          });
          break;
        }
      }
    }
  }
}
