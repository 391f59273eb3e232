/**
 * A small TCP for the lab (RFC 9293), enough to carry BGP between emulated devices as real segments
 * (so a capture shows BGP over TCP in Wireshark): three-way handshake, cumulative ACKs, a fixed send
 * window, the Nagle algorithm and sender silly-window avoidance (RFC 1122 §4.2.3.4: a short segment
 * only when nothing is in flight), retransmission with exponential back-off (RFC 6298) and fast
 * retransmit on three duplicate ACKs (RFC 5681 §3.2), FIN and RST.
 *
 * Left out on purpose, because the lab's links and receivers do not need them: congestion control,
 * out-of-order reassembly (the receiver drops a segment that is not next and the sender resends),
 * delayed ACKs, TIME-WAIT, urgent data and window scaling. The receiver consumes everything at once,
 * so the advertised window is always full.
 *
 * Time comes from the simulator; initial sequence numbers from a seeded generator, so every run sends
 * the same bytes.
 */
import type { Ipv4Address } from '../wire/addr.js';
import { allocBytes } from '../wire/bytes.js';
import { WireError } from '../wire/errors.js';
import {
  decodeTcp,
  encodeTcp,
  tcpMssFromOptions,
  tcpMssOption,
  TCP_FLAG_ACK,
  TCP_FLAG_FIN,
  TCP_FLAG_PSH,
  TCP_FLAG_RST,
  TCP_FLAG_SYN,
  type TcpSegment,
} from '../wire/tcp.js';
import type { EventHandle, SeededRandom, Simulator } from './sim.js';

export interface TcpEndpoint {
  readonly ip: Ipv4Address;
  readonly port: number;
}

/** What the application hears about a connection. Closes it asked for itself are not reported. */
export interface TcpHandlers {
  onOpen?(connection: TcpConnection): void;
  onData(connection: TcpConnection, bytes: Uint8Array): void;
  /** The connection ended without the application asking: refused, reset, closed by the peer, timed out. */
  onClose(connection: TcpConnection, reason: string): void;
  /** IP TTL of an accepted connection's segments, when it differs from the listener's. */
  readonly ttl?: number;
}

/** Sends one segment inside an IPv4 packet; false when there is no route (network unreachable). */
export type TcpOutput = (src: Ipv4Address, dst: Ipv4Address, segment: Uint8Array, ttl: number) => boolean;

export interface TcpOptions {
  /** Maximum segment size we send and announce (Ethernet: 1460). */
  readonly mss?: number;
  /** Bytes in flight before the sender waits for an ACK. */
  readonly windowBytes?: number;
  /** RFC 6298 §2.1: 1 s before the first RTT sample; used for SYN. */
  readonly initialRtoNs?: number;
  /** Retransmission timeout for data (Linux's minimum RTO, 200 ms, is what data centers see). */
  readonly rtoNs?: number;
  /** Retransmissions before giving up (Linux tcp_syn_retries 6 / tcp_retries2 15; smaller here). */
  readonly synRetries?: number;
  readonly dataRetries?: number;
}

export interface TcpCounters {
  segmentsSent: number;
  segmentsReceived: number;
  retransmissions: number;
  resetsSent: number;
  malformed: number;
}

type State = 'syn-sent' | 'syn-received' | 'established' | 'fin-sent' | 'closed';

const DEFAULTS = {
  mss: 1460,
  windowBytes: 65_535,
  initialRtoNs: 1_000_000_000,
  rtoNs: 200_000_000,
  synRetries: 3,
  dataRetries: 8,
};
/** RFC 9293 §3.7.1: the send MSS when the peer's SYN announced none. */
const DEFAULT_SEND_MSS = 536;
const EPHEMERAL_FIRST = 49152;
const ADVERTISED_WINDOW = 65_535;
const NO_OPTIONS = new Uint8Array(0);
const EMPTY = new Uint8Array(0);

/** Sequence-space arithmetic modulo 2^32 (RFC 9293 §3.4). */
const seqAdd = (s: number, n: number) => (s + n) >>> 0;
const seqDiff = (a: number, b: number) => ((a - b) | 0) as number;

export class TcpConnection {
  state: State;
  /** RFC 9293 §3.3.1 send and receive variables. */
  private sndUna = 0;
  private sndNxt = 0;
  /** The highest sequence number sent so far: after a go-back, ACKs up to it are still valid. */
  private sndMax = 0;
  /** Where our FIN sits in sequence space, once sent. */
  private finSeq: number | undefined;
  private rcvNxt = 0;
  /** Largest segment we send: ours, until the peer's SYN tells us its own (then the smaller). */
  private sendMss: number;
  /** Bytes written and not yet acknowledged, starting at sndUna (after the SYN). */
  private readonly buffered: Uint8Array[] = [];
  private bufferedBytes = 0;
  /** Bytes of buffered[0] already acknowledged. */
  private headOffset = 0;
  private finQueued = false;
  /** The application closed or aborted: nothing more is reported to it. */
  private appClosed = false;
  private finAcked = false;
  private peerFinReceived = false;
  private retries = 0;
  private rtoNs: number;
  /**
   * When the retransmission timer expires (undefined: stopped). Restarting it on every ACK only
   * moves this; the one simulator event looks at it when it fires and sleeps on if it moved.
   */
  private timerDeadline: number | undefined;
  private timer: EventHandle | undefined;
  private duplicateAcks = 0;
  private opened = false;

  constructor(
    private readonly stack: TcpStack,
    readonly local: TcpEndpoint,
    readonly remote: TcpEndpoint,
    private handlers: TcpHandlers,
    readonly ttl: number,
    state: State,
    private readonly iss: number,
  ) {
    this.state = state;
    this.sndUna = iss;
    this.sndNxt = seqAdd(iss, 1);
    this.sndMax = this.sndNxt;
    this.rtoNs = stack.options.initialRtoNs;
    this.sendMss = stack.options.mss;
  }

  /** A method call may close the connection, which TypeScript's narrowing of `state` cannot see. */
  get isClosed(): boolean {
    return this.state === 'closed';
  }

  get key(): string {
    return connectionKey(this.local, this.remote);
  }

  /** Queues bytes for sending (ignored once the connection is closing or closed). */
  write(bytes: Uint8Array): void {
    if (this.finQueued || this.isClosed || bytes.length === 0) return;
    this.buffered.push(bytes);
    this.bufferedBytes += bytes.length;
    if (this.state === 'established') this.transmit();
  }

  /** Orderly close: what was written is still delivered, then FIN. */
  close(): void {
    if (this.isClosed || this.finQueued) return;
    this.finQueued = true;
    this.appClosed = true;
    if (this.state === 'syn-sent') {
      this.abort();
      return;
    }
    if (this.state === 'established') this.transmit();
  }

  /** Abortive close (RFC 9293 §3.10.4): RST, forget the connection. */
  abort(): void {
    this.appClosed = true;
    if (this.isClosed) return;
    if (this.state !== 'syn-sent')
      this.stack.sendSegment(this, {
        seq: this.sndNxt,
        ack: this.rcvNxt,
        flags: TCP_FLAG_RST | TCP_FLAG_ACK,
      });
    this.finish();
  }

  /** Ends the connection without sending anything (the local device lost the interface or died). */
  forget(): void {
    this.appClosed = true;
    this.finish();
  }

  // ---- called by the stack ------------------------------------------------------------------

  startActive(): void {
    this.sendSyn();
  }

  startPassive(peerIss: number, peerOptions: Uint8Array): void {
    this.takePeerMss(peerOptions);
    this.rcvNxt = seqAdd(peerIss, 1);
    this.sendSyn();
  }

  /**
   * RFC 9293 §3.7.1: send segments no larger than the peer's announced MSS, or 536 octets when its
   * SYN announced none.
   */
  private takePeerMss(options: Uint8Array): void {
    this.sendMss = Math.min(this.stack.options.mss, tcpMssFromOptions(options) ?? DEFAULT_SEND_MSS);
  }

  private sendSyn(): void {
    const flags = this.state === 'syn-sent' ? TCP_FLAG_SYN : TCP_FLAG_SYN | TCP_FLAG_ACK;
    const sent = this.stack.sendSegment(this, {
      seq: this.iss,
      ack: this.state === 'syn-sent' ? 0 : this.rcvNxt,
      flags,
      options: tcpMssOption(this.stack.options.mss),
    });
    if (!sent && this.state === 'syn-sent') {
      // connect(2) fails at once with ENETUNREACH when there is no route.
      this.stack.later(() => this.fail('network unreachable'));
      return;
    }
    this.armTimer();
  }

  receive(seg: TcpSegment): void {
    const has = (f: number) => (seg.flags & f) !== 0;
    if (this.state === 'syn-sent') {
      if (has(TCP_FLAG_RST)) {
        if (has(TCP_FLAG_ACK) && seg.ack === this.sndNxt) this.fail('connection refused');
        return;
      }
      if (has(TCP_FLAG_SYN) && has(TCP_FLAG_ACK) && seg.ack === this.sndNxt) {
        this.takePeerMss(seg.options);
        this.rcvNxt = seqAdd(seg.seq, 1);
        this.sndUna = seg.ack;
        this.establish();
        this.sendAck();
        this.transmit();
      }
      return;
    }
    // RFC 9293 §3.10.7.4: a RST is accepted only if its sequence number is in the window (here: exact).
    if (has(TCP_FLAG_RST)) {
      if (seg.seq === this.rcvNxt) this.fail('connection reset by peer');
      return;
    }
    if (has(TCP_FLAG_SYN)) {
      // A retransmitted SYN (our SYN-ACK was lost): answer again.
      if (this.state === 'syn-received') this.sendSyn();
      else this.sendAck();
      return;
    }
    if (!has(TCP_FLAG_ACK)) return;
    if (this.state === 'syn-received') {
      if (seg.ack !== this.sndNxt) return;
      this.sndUna = seg.ack;
      this.establish();
    }
    this.onAck(seg.ack, seg.payload.length === 0 && !has(TCP_FLAG_FIN));
    if (this.isClosed) return;
    const length = seg.payload.length;
    if (length > 0 || has(TCP_FLAG_FIN)) {
      if (seg.seq !== this.rcvNxt) {
        // Not the next byte: drop it; the duplicate ACK tells the sender where we are.
        this.sendAck();
        return;
      }
      if (length > 0) {
        this.rcvNxt = seqAdd(this.rcvNxt, length);
        if (!this.peerFinReceived && !this.isClosed) this.handlers.onData(this, seg.payload);
      }
      if (has(TCP_FLAG_FIN) && !this.peerFinReceived && !this.isClosed) {
        this.peerFinReceived = true;
        this.rcvNxt = seqAdd(this.rcvNxt, 1);
        this.sendAck();
        if (!this.finQueued) {
          // The peer closed; tell the application, and close our half too.
          this.finQueued = true;
          this.handlers.onClose(this, 'closed by peer');
          if (!this.isClosed) this.transmit();
        }
        this.maybeDone();
        return;
      }
      if (!this.isClosed) this.sendAck();
    }
  }

  private establish(): void {
    this.state = 'established';
    this.retries = 0;
    this.rtoNs = this.stack.options.rtoNs;
    this.cancelTimer();
    if (!this.opened) {
      this.opened = true;
      this.handlers.onOpen?.(this);
    }
  }

  private onAck(ack: number, pureAck: boolean): void {
    const acked = seqDiff(ack, this.sndUna);
    if (acked < 0 || seqDiff(ack, this.sndMax) > 0) return;
    if (acked === 0) {
      // RFC 5681 §2, §3.2: a duplicate ACK carries no data; three of them with data outstanding
      // mean the first segment was lost: resend from there.
      if (pureAck && this.sndMax !== this.sndUna && ++this.duplicateAcks === 3) {
        this.stack.counters.retransmissions++;
        this.goBack();
      }
      return;
    }
    this.duplicateAcks = 0;
    this.retries = 0;
    this.rtoNs = this.stack.options.rtoNs;
    if (this.finSeq !== undefined && seqDiff(ack, this.finSeq) > 0) this.finAcked = true;
    this.consume(Math.min(acked, this.bufferedBytes));
    this.sndUna = ack;
    if (seqDiff(this.sndNxt, this.sndUna) < 0) this.sndNxt = this.sndUna;
    if (this.sndUna === this.sndMax) this.cancelTimer();
    else this.armTimer();
    this.transmit();
    this.maybeDone();
  }

  /** Resends everything from the first unacknowledged byte (RFC 6298 §5.4 go-back). */
  private goBack(): void {
    this.sndNxt = this.sndUna;
    this.transmit();
  }

  /** Drops acknowledged bytes from the front of the send buffer. */
  private consume(n: number): void {
    this.bufferedBytes -= n;
    while (n > 0) {
      const head = this.buffered[0]!;
      const left = head.length - this.headOffset;
      if (n < left) {
        this.headOffset += n;
        return;
      }
      n -= left;
      this.buffered.shift();
      this.headOffset = 0;
    }
  }

  /** `length` bytes starting `offset` bytes after sndUna, copied out of the chunk list. */
  private slice(offset: number, length: number): Uint8Array {
    let skip = offset + this.headOffset;
    let i = 0;
    while (skip >= this.buffered[i]!.length) skip -= this.buffered[i++]!.length;
    const first = this.buffered[i]!;
    // A segment inside one written chunk is a view of it (the chunk is never changed once written).
    if (skip + length <= first.length) return first.subarray(skip, skip + length);
    const out = allocBytes(length);
    let written = 0;
    for (; written < length; i++) {
      const chunk = this.buffered[i]!;
      const take = Math.min(chunk.length - skip, length - written);
      out.set(chunk.subarray(skip, skip + take), written);
      written += take;
      skip = 0;
    }
    return out;
  }

  /** Sends what the window allows, then a FIN once everything written has gone out. */
  private transmit(): void {
    if (this.state !== 'established' && this.state !== 'fin-sent') return;
    const { windowBytes } = this.stack.options;
    const mss = this.sendMss;
    for (;;) {
      const offset = seqDiff(this.sndNxt, this.sndUna);
      const unsent = this.bufferedBytes - offset;
      if (unsent <= 0) break;
      const room = windowBytes - offset;
      if (room <= 0) break;
      const length = Math.min(mss, unsent, room);
      // RFC 1122 §4.2.3.4 (Nagle, and sender SWS avoidance): less than a full segment only when
      // nothing is in flight; the rest waits for the ACK, so a burst of writes goes out in full
      // segments rather than one short segment per write or per ACK.
      if (length < mss && offset > 0) break;
      this.stack.sendSegment(this, {
        seq: this.sndNxt,
        ack: this.rcvNxt,
        flags: TCP_FLAG_ACK | (length === unsent ? TCP_FLAG_PSH : 0),
        payload: this.slice(offset, length),
      });
      this.advance(length);
    }
    const allSent = seqDiff(this.sndNxt, this.sndUna) === this.bufferedBytes;
    const finDue = this.finSeq === undefined || this.finSeq === this.sndNxt;
    if (this.finQueued && allSent && finDue) {
      this.state = 'fin-sent';
      this.finSeq = this.sndNxt;
      this.stack.sendSegment(this, {
        seq: this.sndNxt,
        ack: this.rcvNxt,
        flags: TCP_FLAG_FIN | TCP_FLAG_ACK,
      });
      this.advance(1);
    }
  }

  private advance(n: number): void {
    this.sndNxt = seqAdd(this.sndNxt, n);
    if (seqDiff(this.sndNxt, this.sndMax) > 0) this.sndMax = this.sndNxt;
    if (this.timerDeadline === undefined) this.armTimer();
  }

  private sendAck(): void {
    this.stack.sendSegment(this, { seq: this.sndNxt, ack: this.rcvNxt, flags: TCP_FLAG_ACK });
  }

  private maybeDone(): void {
    if (this.state === 'fin-sent' && this.finAcked && this.peerFinReceived) this.finish();
  }

  private armTimer(): void {
    const sim = this.stack.sim;
    const deadline = sim.now + this.rtoNs;
    this.timerDeadline = deadline;
    if (this.timer && this.timer.at <= deadline) return;
    this.timer?.cancel();
    this.timer = sim.at(deadline, this.timerFired);
  }

  private readonly timerFired = (): void => {
    this.timer = undefined;
    const deadline = this.timerDeadline;
    if (deadline === undefined) return;
    if (deadline > this.stack.sim.now) {
      this.timer = this.stack.sim.at(deadline, this.timerFired);
      return;
    }
    this.timerDeadline = undefined;
    this.onTimeout();
  };

  private cancelTimer(): void {
    this.timerDeadline = undefined;
  }

  private onTimeout(): void {
    const { synRetries, dataRetries } = this.stack.options;
    const handshake = this.state === 'syn-sent' || this.state === 'syn-received';
    if (++this.retries > (handshake ? synRetries : dataRetries)) {
      this.fail('connection timed out');
      return;
    }
    this.stack.counters.retransmissions++;
    // RFC 6298 §5.5: back off the timer.
    this.rtoNs *= 2;
    if (handshake) {
      this.sendSyn();
      return;
    }
    this.armTimer();
    this.goBack();
  }

  private fail(reason: string): void {
    if (this.isClosed) return;
    const report = !this.appClosed && !this.peerFinReceived;
    this.finish();
    if (report) this.handlers.onClose(this, reason);
  }

  private finish(): void {
    this.state = 'closed';
    this.cancelTimer();
    this.timer?.cancel();
    this.timer = undefined;
    this.buffered.length = 0;
    this.bufferedBytes = 0;
    this.stack.remove(this);
  }
}

type Accept = (remote: TcpEndpoint, local: TcpEndpoint) => TcpHandlers | undefined;

function connectionKey(local: TcpEndpoint, remote: TcpEndpoint): string {
  return `${local.ip}:${local.port}>${remote.ip}:${remote.port}`;
}

/** One device's TCP: listeners, connections by 4-tuple, ephemeral ports. */
export class TcpStack {
  readonly options: Required<TcpOptions>;
  readonly counters: TcpCounters = {
    segmentsSent: 0,
    segmentsReceived: 0,
    retransmissions: 0,
    resetsSent: 0,
    malformed: 0,
  };
  private readonly listeners = new Map<number, { accept: Accept; ttl: number }>();
  private readonly connections = new Map<string, TcpConnection>();
  private nextPort: number;

  constructor(
    readonly sim: Simulator,
    private readonly random: SeededRandom,
    private readonly output: TcpOutput,
    options: TcpOptions = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
    // RFC 6056: ephemeral ports start at a random point of the dynamic range.
    this.nextPort = EPHEMERAL_FIRST + random.below(65536 - EPHEMERAL_FIRST);
  }

  listen(port: number, accept: Accept, options: { ttl?: number } = {}): void {
    this.listeners.set(port, { accept, ttl: options.ttl ?? 64 });
  }

  connect(
    localIp: Ipv4Address,
    remote: TcpEndpoint,
    handlers: TcpHandlers,
    options: { ttl?: number } = {},
  ): TcpConnection {
    let port = this.nextPort;
    while (this.connections.has(connectionKey({ ip: localIp, port }, remote))) port = this.bumpPort();
    this.bumpPort();
    const c = new TcpConnection(
      this,
      { ip: localIp, port },
      remote,
      handlers,
      options.ttl ?? 64,
      'syn-sent',
      this.random.nextU32(),
    );
    this.connections.set(c.key, c);
    c.startActive();
    return c;
  }

  private bumpPort(): number {
    this.nextPort = this.nextPort >= 65535 ? EPHEMERAL_FIRST : this.nextPort + 1;
    return this.nextPort;
  }

  get openConnections(): number {
    return this.connections.size;
  }

  /** Every connection ends at once without a segment (the device lost power). */
  forgetAll(): void {
    for (const c of [...this.connections.values()]) c.forget();
  }

  /** A TCP segment arrived in an IPv4 packet addressed to this device. */
  receive(src: Ipv4Address, dst: Ipv4Address, bytes: Uint8Array, ttl = 64): void {
    let seg: TcpSegment;
    try {
      seg = decodeTcp(bytes, src, dst);
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      this.counters.malformed++;
      return;
    }
    this.counters.segmentsReceived++;
    const local = { ip: dst, port: seg.dstPort };
    const remote = { ip: src, port: seg.srcPort };
    const existing = this.connections.get(connectionKey(local, remote));
    if (existing) {
      existing.receive(seg);
      return;
    }
    if ((seg.flags & TCP_FLAG_RST) !== 0) return;
    const listener = this.listeners.get(seg.dstPort);
    const isSyn = (seg.flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) === TCP_FLAG_SYN;
    const handlers = isSyn && listener ? listener.accept(remote, local) : undefined;
    if (!handlers) {
      this.reset(local, remote, seg, ttl);
      return;
    }
    const c = new TcpConnection(
      this,
      local,
      remote,
      handlers,
      handlers.ttl ?? listener!.ttl,
      'syn-received',
      this.random.nextU32(),
    );
    this.connections.set(c.key, c);
    c.startPassive(seg.seq, seg.options);
  }

  /** RFC 9293 §3.10.7.1: a segment for no connection gets a RST (none for a RST). */
  private reset(local: TcpEndpoint, remote: TcpEndpoint, seg: TcpSegment, ttl: number): void {
    const hasAck = (seg.flags & TCP_FLAG_ACK) !== 0;
    const length =
      seg.payload.length +
      ((seg.flags & TCP_FLAG_SYN) !== 0 ? 1 : 0) +
      ((seg.flags & TCP_FLAG_FIN) !== 0 ? 1 : 0);
    const rst: TcpSegment = {
      srcPort: local.port,
      dstPort: remote.port,
      seq: hasAck ? seg.ack : 0,
      ack: hasAck ? 0 : seqAdd(seg.seq, length),
      flags: hasAck ? TCP_FLAG_RST : TCP_FLAG_RST | TCP_FLAG_ACK,
      window: 0,
      urgentPointer: 0,
      options: NO_OPTIONS,
      payload: EMPTY,
    };
    this.counters.resetsSent++;
    this.output(local.ip, remote.ip, encodeTcp(rst, local.ip, remote.ip), ttl);
  }

  sendSegment(
    c: TcpConnection,
    s: { seq: number; ack: number; flags: number; options?: Uint8Array; payload?: Uint8Array },
  ): boolean {
    const seg: TcpSegment = {
      srcPort: c.local.port,
      dstPort: c.remote.port,
      seq: s.seq,
      ack: s.ack,
      flags: s.flags,
      window: ADVERTISED_WINDOW,
      urgentPointer: 0,
      options: s.options ?? NO_OPTIONS,
      payload: s.payload ?? EMPTY,
    };
    if ((s.flags & TCP_FLAG_RST) !== 0) this.counters.resetsSent++;
    this.counters.segmentsSent++;
    return this.output(c.local.ip, c.remote.ip, encodeTcp(seg, c.local.ip, c.remote.ip), c.ttl);
  }

  later(fn: () => void): void {
    this.sim.after(0, fn);
  }

  remove(c: TcpConnection): void {
    if (this.connections.get(c.key) === c) this.connections.delete(c.key);
  }
}
