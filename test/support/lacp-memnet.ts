/**
 * An in-memory network of LACP bonds for tests: point-to-point links between bond ports that
 * deliver frames at once (in order, within the same virtual millisecond), an injected clock, and
 * faults (carrier loss, one direction silently dropping frames).
 */
import type { LacpAction, LacpBond } from '../../src/lacp/bond.js';

interface End {
  readonly bond: LacpBond;
  readonly portId: string;
}

export interface MemLink {
  readonly a: End;
  readonly b: End;
  up: boolean;
  /** Frames from a to b (and b to a) are silently lost, carrier stays up. */
  dropAtoB: boolean;
  dropBtoA: boolean;
}

export interface SentFrame {
  readonly at: number;
  readonly bond: string;
  readonly portId: string;
  readonly frame: Uint8Array;
  readonly delivered: boolean;
}

export interface PortStateChange {
  readonly at: number;
  readonly bond: string;
  readonly portId: string;
  readonly collecting: boolean;
  readonly distributing: boolean;
}

export class LacpMemNet {
  now = 0;
  private readonly bonds: LacpBond[] = [];
  readonly links: MemLink[] = [];
  readonly sent: SentFrame[] = [];
  readonly portStates: PortStateChange[] = [];
  readonly transitions: string[] = [];
  private readonly queue: { to: End; frame: Uint8Array }[] = [];

  add(...bonds: LacpBond[]): void {
    this.bonds.push(...bonds);
  }

  /** A link between two ports, carrier down until `up(link)`. */
  connect(a: LacpBond, aPort: string, b: LacpBond, bPort: string): MemLink {
    const link: MemLink = {
      a: { bond: a, portId: aPort },
      b: { bond: b, portId: bPort },
      up: false,
      dropAtoB: false,
      dropBtoA: false,
    };
    this.links.push(link);
    return link;
  }

  /** Carrier up at both ends at `now`. */
  up(link: MemLink): void {
    link.up = true;
    // Both ends see carrier before either's first LACPDU arrives, as on a real cable.
    const fromA = link.a.bond.linkUp(this.now, link.a.portId);
    const fromB = link.b.bond.linkUp(this.now, link.b.portId);
    this.handle(link.a.bond, fromA);
    this.handle(link.b.bond, fromB);
  }

  /** Carrier lost at both ends at `now`. */
  down(link: MemLink): void {
    link.up = false;
    this.handle(link.a.bond, link.a.bond.linkDown(this.now, link.a.portId));
    this.handle(link.b.bond, link.b.bond.linkDown(this.now, link.b.portId));
  }

  /** Runs every bond's actions (sends are delivered before this returns). */
  handle(bond: LacpBond, actions: LacpAction[]): void {
    this.record(bond, actions);
    while (this.queue.length > 0) {
      const { to, frame } = this.queue.shift()!;
      this.record(to.bond, to.bond.receive(this.now, to.portId, frame));
    }
  }

  private record(bond: LacpBond, actions: LacpAction[]): void {
    for (const a of actions) {
      if (a.kind === 'send') {
        const to = this.peerOf(bond, a.portId);
        const delivered = to !== undefined;
        this.sent.push({ at: this.now, bond: bond.name, portId: a.portId, frame: a.frame, delivered });
        if (to) this.queue.push({ to, frame: a.frame });
      } else if (a.kind === 'port-state') {
        this.portStates.push({ at: this.now, bond: bond.name, ...a });
      } else {
        this.transitions.push(
          `${this.now} ${bond.name}/${a.portId} ${a.machine} ${a.from}→${a.to} ${a.reason}`,
        );
      }
    }
  }

  private peerOf(bond: LacpBond, portId: string): End | undefined {
    for (const l of this.links) {
      if (!l.up) continue;
      if (l.a.bond === bond && l.a.portId === portId) return l.dropAtoB ? undefined : l.b;
      if (l.b.bond === bond && l.b.portId === portId) return l.dropBtoA ? undefined : l.a;
    }
    return undefined;
  }

  /** Advances the clock to `t`, polling each bond exactly at its deadlines. */
  runUntil(t: number): void {
    for (;;) {
      let next: number | undefined;
      for (const b of this.bonds) {
        const d = b.nextDeadline();
        if (d !== undefined && (next === undefined || d < next)) next = d;
      }
      if (next === undefined || next > t) break;
      this.now = Math.max(this.now, next);
      for (const b of this.bonds) {
        const d = b.nextDeadline();
        if (d !== undefined && d <= this.now) this.handle(b, b.poll(this.now));
      }
    }
    this.now = t;
  }

  runFor(ms: number): void {
    this.runUntil(this.now + ms);
  }

  /** Frames a port put on the wire that reached its peer, latest first. */
  lastDelivered(bond: LacpBond, portId: string): SentFrame | undefined {
    for (let i = this.sent.length - 1; i >= 0; i--) {
      const s = this.sent[i]!;
      if (s.bond === bond.name && s.portId === portId && s.delivered) return s;
    }
    return undefined;
  }
}
