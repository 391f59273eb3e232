/**
 * The lab's discrete-event simulator: a virtual clock in nanoseconds, an event queue and a seeded
 * random number generator.
 *
 * Guarantees determinism: events at the same instant run in the order they were scheduled, and all
 * randomness comes from one seeded generator, so the same inputs give the same frames to the bit on
 * every run.
 */

export type EventHandler = () => void;

export interface EventHandle {
  readonly at: number;
  cancel(): void;
}

/**
 * An object that is its own event (`Simulator.fire`): a link direction's next arrival. The queue
 * holds the object itself, so running the event reads one object, not a closure, its context and
 * then the object (at data-center size each is a likely cache miss).
 */
export interface Firing {
  /** False once cancelled: the event is skipped and not counted. */
  readonly live: boolean;
  fire(): void;
}

/** A scheduled event; it is its own handle (no closure per event). */
class QueuedEvent implements EventHandle, Firing {
  live = true;

  constructor(
    readonly at: number,
    readonly seq: number,
    private handler: EventHandler | undefined,
  ) {}

  cancel(): void {
    this.live = false;
    this.handler = undefined;
  }

  fire(): void {
    this.handler!();
  }
}

export const NS_PER_MS = 1_000_000;
export const NS_PER_SECOND = 1_000_000_000;

/**
 * The first whole nanosecond at which an engine deadline given in (fractional) milliseconds has
 * passed: `ns / NS_PER_MS >= ms`. Rounding any other way can wake an engine just before its
 * deadline, where it does nothing and asks for the same instant again, forever (about 7% of BGP
 * keepalive deadlines `now / 1e6 + 3000` round 1 ns early).
 */
export function nsAtOrAfterMs(ms: number): number {
  let ns = Math.ceil(ms * NS_PER_MS);
  while (ns / NS_PER_MS < ms) ns++;
  return ns;
}

/** sfc32: a small, fast generator with a 128-bit state; seeded deterministically. */
export class SeededRandom {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.nextU32();
  }

  nextU32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A new generator whose sequence depends only on this one's seed and `label` (per-device streams). */
  fork(label: string): SeededRandom {
    let h = this.d ^ 0x811c9dc5;
    for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
    return new SeededRandom(h >>> 0);
  }
}

export class Simulator {
  /**
   * A binary heap of events by (time, sequence). The keys sit beside it in typed arrays, so sifting
   * compares numbers in two contiguous arrays instead of reading each event object (at data-center
   * size the events are spread over a large heap, and every such read was a cache miss). An entry
   * is a cancellable `QueuedEvent`, an object that is its own event (`fire`: a frame's arrival), or
   * the bare handler of an event scheduled without a handle (`schedule`: a flow's next packet); the
   * last two cost no allocation.
   */
  private heap: (Firing | EventHandler)[] = [];
  private ats = new Float64Array(1024);
  private seqs = new Float64Array(1024);
  private seq = 0;
  private current = 0;
  private executed = 0;
  /** Diagnostics (`countEventsByKind`): events scheduled per handler. */
  private kinds: Map<string, number> | undefined;
  readonly random: SeededRandom;

  constructor(seed = 1) {
    this.random = new SeededRandom(seed);
  }

  /** Virtual time in nanoseconds. */
  get now(): number {
    return this.current;
  }

  get nowMs(): number {
    return this.current / NS_PER_MS;
  }

  get eventsExecuted(): number {
    return this.executed;
  }

  get pending(): number {
    return this.heap.length;
  }

  /**
   * Diagnostics: from now on, counts every event scheduled, by its handler (the function's name, else
   * the start of its source text). Slow; for finding what a run spends its events on.
   */
  countEventsByKind(): ReadonlyMap<string, number> {
    this.kinds ??= new Map();
    return this.kinds;
  }

  /** Runs `handler` at absolute time `at` (ns); times in the past run at the current time. */
  at(at: number, handler: EventHandler): EventHandle {
    if (this.kinds) {
      const kind = handler.name || handler.toString().slice(0, 72).replace(/\s+/g, ' ');
      this.kinds.set(kind, (this.kinds.get(kind) ?? 0) + 1);
    }
    const event = new QueuedEvent(at > this.current ? at : this.current, this.seq++, handler);
    this.push(event.at, event.seq, event);
    return event;
  }

  /** Runs `handler` after `delay` ns. */
  after(delay: number, handler: EventHandler): EventHandle {
    return this.at(this.current + Math.max(0, delay), handler);
  }

  /** `at` for an event that is never cancelled: no handle is made (the per-frame events). */
  schedule(at: number, handler: EventHandler): void {
    if (this.kinds) {
      this.at(at, handler);
      return;
    }
    this.push(at > this.current ? at : this.current, this.seq++, handler);
  }

  /** Calls `event.fire()` at `at`: `schedule` for an object that is its own event (no closure). */
  fire(at: number, event: Firing): void {
    if (this.kinds) {
      const kind = `${event.constructor.name}.fire`;
      this.kinds.set(kind, (this.kinds.get(kind) ?? 0) + 1);
    }
    this.push(at > this.current ? at : this.current, this.seq++, event);
  }

  /** Time of the next event, or undefined if the queue is empty. */
  nextEventAt(): number | undefined {
    const h = this.heap;
    while (h.length > 0 && typeof h[0] !== 'function' && !h[0]!.live) this.pop();
    return h.length > 0 ? this.ats[0] : undefined;
  }

  /** Runs one event; false when there is none. */
  step(): boolean {
    while (this.heap.length > 0) {
      const at = this.ats[0]!;
      const e = this.pop();
      if (typeof e !== 'function' && !e.live) continue;
      this.current = at;
      this.executed++;
      if (typeof e === 'function') e();
      else e.fire();
      return true;
    }
    return false;
  }

  /** Runs every event up to and including time `until`, then sets the clock to `until`. */
  runUntil(until: number): void {
    this.run(until, Number.POSITIVE_INFINITY);
  }

  /**
   * Runs events up to and including time `until`, at most `maxEvents` of them (so a driver can look
   * at the wall clock between slices). True when it got to `until`: the clock is then `until`.
   */
  run(until: number, maxEvents: number): boolean {
    const h = this.heap;
    for (let n = 0; n < maxEvents;) {
      if (h.length === 0 || this.ats[0]! > until) {
        if (until > this.current) this.current = until;
        return true;
      }
      const at = this.ats[0]!;
      const e = this.pop();
      if (typeof e !== 'function' && !e.live) continue;
      this.current = at;
      this.executed++;
      n++;
      if (typeof e === 'function') e();
      else e.fire();
    }
    return false;
  }

  /** Sifts up from the end, moving parents down into the hole rather than swapping. */
  private push(at: number, seq: number, e: Firing | EventHandler): void {
    const h = this.heap;
    let i = h.length;
    if (i === this.ats.length) this.grow();
    const { ats, seqs } = this;
    h.push(e);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pAt = ats[parent]!;
      // Ties in time run in the order they were scheduled.
      if (at > pAt || (at === pAt && seq > seqs[parent]!)) break;
      h[i] = h[parent]!;
      ats[i] = pAt;
      seqs[i] = seqs[parent]!;
      i = parent;
    }
    h[i] = e;
    ats[i] = at;
    seqs[i] = seq;
  }

  private grow(): void {
    const ats = new Float64Array(this.ats.length * 2);
    const seqs = new Float64Array(this.seqs.length * 2);
    ats.set(this.ats);
    seqs.set(this.seqs);
    this.ats = ats;
    this.seqs = seqs;
  }

  private pop(): Firing | EventHandler {
    const h = this.heap;
    const { ats, seqs } = this;
    const top = h[0]!;
    const last = h.pop()!;
    const n = h.length;
    if (n > 0) {
      const lastAt = ats[n]!;
      const lastSeq = seqs[n]!;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        let m = l;
        if (r < n && (ats[r]! < ats[l]! || (ats[r] === ats[l] && seqs[r]! < seqs[l]!))) m = r;
        const mAt = ats[m]!;
        if (mAt > lastAt || (mAt === lastAt && seqs[m]! > lastSeq)) break;
        h[i] = h[m]!;
        ats[i] = mAt;
        seqs[i] = seqs[m]!;
        i = m;
      }
      h[i] = last;
      ats[i] = lastAt;
      seqs[i] = lastSeq;
    }
    return top;
  }
}
