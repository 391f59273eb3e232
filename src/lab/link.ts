/**
 * A point-to-point Ethernet link of the lab: two ends, each with a transmit queue.
 *
 * Models what changes convergence and loss figures: propagation latency, serialization at the
 * link's bandwidth (frames queue behind each other), a queue limit (tail drop), random loss from
 * the simulator's seeded generator, and administrative up/down (frames in flight when it goes down
 * are lost). Every frame put on the wire can be captured to pcap with its virtual timestamp.
 */
import type { Firing, SeededRandom, Simulator } from './sim.js';

/** Preamble + SFD (8) + FCS (4) + inter-frame gap (12): what a frame costs on the wire beyond its bytes. */
const WIRE_OVERHEAD_BYTES = 24;

export interface LinkOptions {
  /** One-way propagation delay (ns); default 1 µs (a short data-center cable plus PHYs). */
  readonly latencyNs?: number;
  /** Bits per second; default 10 Gb/s. */
  readonly bandwidthBps?: number;
  /** Frames waiting per direction before tail drop; default 1000. */
  readonly queueLimit?: number;
  /** Probability a frame is lost, 0..1; default 0. */
  readonly loss?: number;
  /**
   * How long the ends take to notice a carrier change (loss-of-signal detection plus link
   * debounce), ns; default 0. Frames stop at once; only the nodes' reaction is delayed.
   */
  readonly carrierDelayNs?: number;
  /**
   * The two ends are cabled to a switch between them (a management network, say): each end sees
   * only its own cable's carrier, so a peer that dies leaves ours up and just stops answering.
   */
  readonly switched?: boolean;
}

/** What a node plugs into a link end. */
export interface LinkEndpoint {
  readonly node: string;
  readonly port: string;
  /** A frame arrived at this end. */
  deliver(frame: Uint8Array): void;
  /** The link went up or down (carrier). */
  carrier?(up: boolean): void;
}

export interface LinkCounters {
  sent: number;
  delivered: number;
  lostRandom: number;
  lostQueue: number;
  lostDown: number;
}

export type CaptureHook = (timestampNs: number, frame: Uint8Array, from: LinkEndpoint) => void;

/**
 * Room for frames a direction keeps when it goes idle: a burst (a flood reaching every port of a
 * leaf at once) grows its arrays, and at data-center size thousands of links holding a burst's room
 * for good cost tens of megabytes.
 */
const IDLE_CAPACITY = 64;

/**
 * One direction of a link: its transmit queue, the frames on the wire, and what a frame's send
 * and arrival need of the link (its settings, state and counters, kept here as well).
 *
 * At data-center size each object a frame touches is likely a cache miss, and four links carry
 * every frame, so a direction is the one object a hop reads: it is its own arrival event
 * (`Simulator.fire`), a node sends on it directly (`Link.direction`), and a lightly loaded
 * direction holds its one frame in its own fields, touching its arrays only when a second frame
 * comes while the first is still there.
 */
export class Direction implements Firing {
  // Fields in the order a frame reads them (V8 lays an object out in the order its fields are
  // defined): a send and an arrival then touch two or three cache lines of it, not four.
  /** For the simulator: an arrival is never cancelled (a down link drops the frame as it lands). */
  readonly live = true;
  /** The link's state (`Link` writes both directions' copies). */
  up = true;
  /** The link's epoch: incremented on every down, so frames in flight across a flap are dropped. */
  epoch = 0;
  private readonly clocks: TransmitterClocks;
  /** This direction's place in `clocks.busyUntil`. */
  private readonly slot: number;
  private readonly sim: Simulator;
  head = 0;
  tail = 0;
  private readonly queueLimit: number;
  private readonly bandwidthBps: number;
  /** This direction's share of the link's counters. */
  sent = 0;
  capturing = false;
  /** The oldest frame on the wire when it went out on an idle wire, and the link's epoch then. */
  first: Uint8Array | undefined = undefined;
  firstEpoch = 0;
  sentUpTo = 0;
  arrivedUpTo = 0;
  private readonly latencyNs: number;
  /** The epoch of the frame `take` last took off the wire. */
  landedEpoch = 0;
  loss: number;
  delivered = 0;
  readonly to: LinkEndpoint;
  /**
   * With two or more frames accepted and not yet serialized: when each finishes (ns, increasing),
   * in `finishing[head]` to `finishing[tail - 1]`, the transmit queue, emptied as time passes rather
   * than by an event per frame. With one, it is empty (that frame finishes at its `busyUntil`). Typed
   * arrays here and in `inFlightEpoch`: a plain array's element kind changes as its values grow past
   * small integers, at a different moment on every link, and the per-frame stores became megamorphic.
   */
  finishing = new Float64Array(8);
  /**
   * Frames on the wire after `first` (serialized, not yet arrived) in `inFlight[arrivedUpTo]` to
   * `inFlight[sentUpTo - 1]`, with the link's epoch when each was sent. They arrive in the order
   * they were sent (one transmitter, one latency), so one event object per direction takes the
   * oldest, rather than a closure per frame.
   */
  readonly inFlight: (Uint8Array | undefined)[] = [];
  inFlightEpoch = new Int32Array(8);
  lostRandom = 0;
  lostQueue = 0;
  lostDown = 0;
  private readonly link: Link;
  readonly from: LinkEndpoint;

  constructor(
    link: Link,
    sim: Simulator,
    from: LinkEndpoint,
    to: LinkEndpoint,
    options: { latencyNs: number; bandwidthBps: number; queueLimit: number; loss: number },
  ) {
    this.clocks = clocksOf(sim);
    this.slot = this.clocks.take();
    this.link = link;
    this.sim = sim;
    this.from = from;
    this.to = to;
    this.latencyNs = options.latencyNs;
    this.bandwidthBps = options.bandwidthBps;
    this.queueLimit = options.queueLimit;
    this.loss = options.loss;
  }

  /** `from` puts a frame on the link. Returns false if it was dropped at once (down, queue full). */
  send(frame: Uint8Array): boolean {
    if (!this.up) {
      this.lostDown++;
      return false;
    }
    const now = this.sim.now;
    const pending = this.queued(now);
    if (pending >= this.queueLimit) {
      this.lostQueue++;
      return false;
    }
    const serialization = Math.ceil(((frame.length + WIRE_OVERHEAD_BYTES) * 8 * 1e9) / this.bandwidthBps);
    const start = Math.max(now, this.clocks.busyUntil[this.slot]!);
    const done = start + serialization;
    this.accept(done, pending);
    this.sent++;
    const epoch = this.epoch;
    // Captured as it leaves the transmitter, like tcpdump on the sending interface.
    if (this.capturing) this.link.capture(this, start, frame, epoch);
    const newest = this.newestEpoch();
    if (newest !== -1 && newest !== epoch) {
      // Frames sent before the link last went down are still due (to be counted lost), and one that
      // was still serializing may be due after this one: this frame gets an event of its own.
      this.sim.schedule(done + this.latencyNs, () => this.land(frame, epoch));
      return true;
    }
    this.fly(frame, epoch);
    this.sim.fire(done + this.latencyNs, this);
    return true;
  }

  /** The oldest frame in flight reaches the far end (the simulator's event for this direction). */
  fire(): void {
    const frame = this.take();
    this.land(frame, this.landedEpoch);
  }

  /** A frame sent in `epoch` reaches the far end: lost if the link went down since. */
  private land(frame: Uint8Array, epoch: number): void {
    if (epoch !== this.epoch) {
      this.lostDown++;
      return;
    }
    if (this.loss > 0 && this.link.lost()) {
      this.lostRandom++;
      return;
    }
    this.delivered++;
    this.to.deliver(frame);
  }

  /** The link went down: what was queued is gone with it. */
  flush(now: number): void {
    this.head = 0;
    this.tail = 0;
    this.clocks.busyUntil[this.slot] = now;
  }

  /** Frames still in the transmit queue at `now` (the ones whose serialization ends later). */
  queued(now: number): number {
    if (this.clocks.busyUntil[this.slot]! <= now) {
      // Everything has been serialized: the common case on a lightly loaded link.
      this.head = 0;
      this.tail = 0;
      return 0;
    }
    if (this.head === this.tail) return 1;
    const f = this.finishing;
    while (f[this.head]! <= now) this.head++;
    if (this.head > 1024 && this.head * 2 > this.tail) {
      f.copyWithin(0, this.head, this.tail);
      this.tail -= this.head;
      this.head = 0;
    }
    return this.tail - this.head;
  }

  /** Accepts a frame whose serialization ends at `done`, behind the `pending` frames queued. */
  private accept(done: number, pending: number): void {
    if (pending > 0) {
      // The frame being serialized joins the queue's array if it was alone.
      if (this.head === this.tail) this.enqueue(this.clocks.busyUntil[this.slot]!);
      this.enqueue(done);
    }
    this.clocks.busyUntil[this.slot] = done;
  }

  private enqueue(done: number): void {
    if (this.tail === this.finishing.length) this.finishing = grown(this.finishing, this.tail);
    this.finishing[this.tail++] = done;
  }

  /** The epoch of the newest frame on the wire, or -1 when the wire is empty. */
  private newestEpoch(): number {
    if (this.sentUpTo > this.arrivedUpTo) return this.inFlightEpoch[this.sentUpTo - 1]!;
    return this.first !== undefined ? this.firstEpoch : -1;
  }

  /** Puts a frame sent in `epoch` on the wire. */
  private fly(frame: Uint8Array, epoch: number): void {
    if (this.first === undefined && this.sentUpTo === this.arrivedUpTo) {
      this.first = frame;
      this.firstEpoch = epoch;
      return;
    }
    const i = this.sentUpTo;
    if (i === this.inFlightEpoch.length) this.inFlightEpoch = grown(this.inFlightEpoch, i);
    this.inFlight[i] = frame;
    this.inFlightEpoch[i] = epoch;
    this.sentUpTo = i + 1;
  }

  /** Takes the oldest frame off the wire; its epoch is then in `landedEpoch`. */
  private take(): Uint8Array {
    const first = this.first;
    if (first !== undefined) {
      this.first = undefined;
      this.landedEpoch = this.firstEpoch;
      return first;
    }
    const i = this.arrivedUpTo++;
    const frame = this.inFlight[i]!;
    this.landedEpoch = this.inFlightEpoch[i]!;
    this.inFlight[i] = undefined;
    if (this.arrivedUpTo === this.sentUpTo) {
      // Nothing else on the wire: start from the front again, letting go of a burst's room.
      this.arrivedUpTo = 0;
      this.sentUpTo = 0;
      if (this.inFlight.length > IDLE_CAPACITY || this.finishing.length > IDLE_CAPACITY) this.shrink();
    } else if (this.arrivedUpTo > 1024 && this.arrivedUpTo * 2 > this.sentUpTo) {
      // A link that is never idle: move what is still on the wire to the front now and then.
      this.inFlight.copyWithin(0, this.arrivedUpTo, this.sentUpTo);
      this.inFlightEpoch.copyWithin(0, this.arrivedUpTo, this.sentUpTo);
      // The moved-from slots let go of their frames (a frame can hold a whole 64 KiB slab).
      this.inFlight.fill(undefined, this.sentUpTo - this.arrivedUpTo, this.sentUpTo);
      this.sentUpTo -= this.arrivedUpTo;
      this.arrivedUpTo = 0;
    }
    return frame;
  }

  /** Lets go of the room a burst made, once nothing is on the wire (so nothing is queued either). */
  private shrink(): void {
    this.inFlight.length = 0;
    this.inFlightEpoch = new Int32Array(8);
    this.finishing = new Float64Array(8);
    this.head = 0;
    this.tail = 0;
  }
}

/**
 * When each direction of a simulation's links has its transmitter free again (ns): its last
 * accepted frame's serialization end, by `Direction.slot`. In one array rather than a field of each
 * direction: a time past 2^31 ns is not a small integer, and V8 keeps such a field in a number
 * object of its own, one more cache miss per frame (this array, 8 octets a direction, stays in
 * cache).
 */
class TransmitterClocks {
  busyUntil = new Float64Array(1024);
  private taken = 0;

  take(): number {
    if (this.taken === this.busyUntil.length) this.busyUntil = grown(this.busyUntil, this.taken);
    return this.taken++;
  }
}

const clocksBySimulation = new WeakMap<Simulator, TransmitterClocks>();

function clocksOf(sim: Simulator): TransmitterClocks {
  let clocks = clocksBySimulation.get(sim);
  if (!clocks) clocksBySimulation.set(sim, (clocks = new TransmitterClocks()));
  return clocks;
}

/** A typed array twice as long holding the first `used` elements of `a`. */
function grown<T extends Float64Array | Int32Array>(a: T, used: number): T {
  const b = new (a.constructor as new (n: number) => T)(a.length * 2);
  b.set(a.subarray(0, used));
  return b;
}

export class Link {
  // The link's state and epoch are its directions' (`Direction.up`, `Direction.epoch`), kept equal.
  private readonly ab: Direction;
  private readonly ba: Direction;
  private readonly carrierDelayNs: number;
  private readonly switched: boolean;
  private readonly random: SeededRandom;
  private readonly captures: CaptureHook[] = [];

  constructor(
    private readonly sim: Simulator,
    readonly name: string,
    readonly a: LinkEndpoint,
    readonly b: LinkEndpoint,
    options: LinkOptions = {},
  ) {
    const latencyNs = options.latencyNs ?? 1_000;
    const bandwidthBps = options.bandwidthBps ?? 10e9;
    const queueLimit = options.queueLimit ?? 1000;
    const loss = options.loss ?? 0;
    this.carrierDelayNs = options.carrierDelayNs ?? 0;
    this.switched = options.switched ?? false;
    if (this.carrierDelayNs < 0) throw new RangeError(`link ${name}: negative carrier delay`);
    if (latencyNs < 0 || bandwidthBps <= 0 || queueLimit < 1 || loss < 0 || loss > 1) {
      throw new RangeError(`link ${name}: invalid options ${JSON.stringify(options)}`);
    }
    this.random = sim.random.fork(`link:${name}`);
    const settings = { latencyNs, bandwidthBps, queueLimit, loss };
    this.ab = new Direction(this, sim, a, b, settings);
    this.ba = new Direction(this, sim, b, a, settings);
  }

  /** Both directions' counters. */
  get counters(): LinkCounters {
    const { ab, ba } = this;
    return {
      sent: ab.sent + ba.sent,
      delivered: ab.delivered + ba.delivered,
      lostRandom: ab.lostRandom + ba.lostRandom,
      lostQueue: ab.lostQueue + ba.lostQueue,
      lostDown: ab.lostDown + ba.lostDown,
    };
  }

  /** A random loss draw (the caller checked the link has loss): the link's own seeded stream. */
  lost(): boolean {
    return this.random.next() < this.ab.loss;
  }

  get up(): boolean {
    return this.ab.up;
  }

  setLoss(loss: number): void {
    if (loss < 0 || loss > 1) throw new RangeError(`link ${this.name}: loss ${loss} is not in 0..1`);
    this.ab.loss = loss;
    this.ba.loss = loss;
  }

  onCapture(hook: CaptureHook): void {
    this.captures.push(hook);
    this.ab.capturing = true;
    this.ba.capturing = true;
  }

  /** Hands a frame that starts serializing at `start` to the capture hooks then (unless the link went down). */
  capture(dir: Direction, start: number, frame: Uint8Array, epoch: number): void {
    this.sim.schedule(start, () => {
      if (epoch === dir.epoch) for (const c of this.captures) c(this.sim.now, frame, dir.from);
    });
  }

  /**
   * Brings the link down or up (the cable); the ends see the carrier change after `carrierDelayNs`.
   * On a switched link `end` names whose cable it is (default both); only that end loses carrier.
   */
  setUp(up: boolean, end?: LinkEndpoint): void {
    if (end === undefined || end === this.a) this.cableA = up;
    if (end === undefined || end === this.b) this.cableB = up;
    if (end !== undefined && end !== this.a && end !== this.b)
      throw new Error(`link ${this.name}: ${end.node}:${end.port} is not one of its ends`);
    // A point-to-point cable is one cable: either end unplugging it takes both.
    if (!this.switched) this.cableA = this.cableB = up;
    this.apply();
  }

  /**
   * Shuts or re-enables one end's transmitter (an administrative or error-down port): the link
   * carries nothing while either end is shut, and both ends see carrier go, as with a laser off.
   */
  setEndEnabled(end: LinkEndpoint, enabled: boolean): void {
    if (end === this.a) this.aEnabled = enabled;
    else if (end === this.b) this.bEnabled = enabled;
    else throw new Error(`link ${this.name}: ${end.node}:${end.port} is not one of its ends`);
    this.apply();
  }

  private cableA = true;
  private cableB = true;
  private aEnabled = true;
  private bEnabled = true;
  /** The carrier each end was last told. */
  private carrierA = true;
  private carrierB = true;

  private apply(): void {
    const up = this.cableA && this.cableB && this.aEnabled && this.bEnabled;
    if (up !== this.ab.up) {
      for (const dir of [this.ab, this.ba]) {
        dir.up = up;
        if (!up) {
          // Incremented on every down, so frames in flight across a flap are dropped.
          dir.epoch++;
          dir.flush(this.sim.now);
        }
      }
    }
    const a = this.switched ? this.cableA && this.aEnabled : up;
    const b = this.switched ? this.cableB && this.bEnabled : up;
    const tellA = a !== this.carrierA;
    const tellB = b !== this.carrierB;
    if (!tellA && !tellB) return;
    this.carrierA = a;
    this.carrierB = b;
    const notify = () => {
      if (tellA) this.a.carrier?.(a);
      if (tellB) this.b.carrier?.(b);
    };
    if (this.carrierDelayNs === 0) notify();
    else this.sim.after(this.carrierDelayNs, notify);
  }

  /** The other end of `from`. */
  peerOf(from: LinkEndpoint): LinkEndpoint {
    return from === this.a ? this.b : this.a;
  }

  /** The direction `from` sends on: a node that sends often keeps it (`Direction.send`). */
  direction(from: LinkEndpoint): Direction {
    if (from === this.a) return this.ab;
    if (from === this.b) return this.ba;
    throw new Error(`link ${this.name}: ${from.node}:${from.port} is not one of its ends`);
  }

  /** `from` puts a frame on the link. Returns false if it was dropped at once (down, queue full). */
  send(from: LinkEndpoint, frame: Uint8Array): boolean {
    return this.direction(from).send(frame);
  }
}
