/**
 * One BFD session in Asynchronous mode (RFC 5880), sans-IO.
 *
 * Owns: the session state (AdminDown, Down, Init, Up; §6.2), the state variables of §6.8.1, the
 * reception rules of §6.8.6, timer negotiation and Poll Sequences (§6.5, §6.8.2, §6.8.3), the
 * Detection Time (§6.8.4) and jittered periodic transmission (§6.8.7). Picking the session a packet
 * belongs to (by Your Discriminator, or by source address when it is zero) and the UDP encapsulation
 * of RFC 5881 are the driver's job.
 *
 * Guarantees: no I/O, no clock reads, no timers. Time is the driver's `now` in milliseconds and may
 * be fractional, so 10 ms (or shorter) intervals work in the lab simulator; the wire carries
 * microseconds. The driver feeds `receive`/`poll`/configuration calls and performs the returned
 * actions; `nextDeadline()` says when to call `poll(now)` next. Malformed packets never throw: they
 * are counted and dropped. Jitter comes only from the injected random source, so a seeded source
 * gives the same packets on every run.
 *
 * Not implemented: authentication (§6.7): bfd.AuthType is always zero, so packets with the A bit
 * are discarded as §6.8.6 requires. Demand mode of our own (§6.6): we never set D, but honour a
 * remote that does (§6.8.7). The Echo function (§6.4): we advertise Required Min Echo RX Interval 0.
 */
import {
  BFD_DIAG_ADMINISTRATIVELY_DOWN,
  BFD_DIAG_CONTROL_DETECTION_TIME_EXPIRED,
  BFD_DIAG_NEIGHBOR_SIGNALED_SESSION_DOWN,
  BFD_DIAG_NO_DIAGNOSTIC,
  BFD_STATE_ADMIN_DOWN,
  BFD_STATE_DOWN,
  BFD_STATE_INIT,
  BFD_STATE_UP,
  bfdDiagnosticName,
  decodeBfdControl,
  encodeBfdControl,
  type BfdControlPacket,
  type BfdState,
} from '../wire/bfd.js';

/** RFC 5880 §4.1 session states, by their RFC names. */
export type BfdSessionState = 'AdminDown' | 'Down' | 'Init' | 'Up';

/** Uniform in [0, 1); e.g. `() => seeded.next()` in the lab, `Math.random` in the daemon. */
export type BfdRandomSource = () => number;

/** Timer parameters in milliseconds (fractions allowed; the wire carries whole microseconds). */
export interface BfdTimers {
  /** bfd.DesiredMinTxInterval: how often we would like to send. */
  readonly desiredMinTxMs: number;
  /** bfd.RequiredMinRxInterval: the fastest rate at which we accept packets. */
  readonly requiredMinRxMs: number;
  /** bfd.DetectMult: the peer declares us down after this many missed intervals. */
  readonly detectMultiplier: number;
}

export interface BfdSessionConfig extends BfdTimers {
  /** For logs: usually the peer's address. */
  readonly name: string;
  /** bfd.LocalDiscr: nonzero and unique among this system's sessions (the driver allocates it). */
  readonly localDiscriminator: number;
  /** Jitter source (§6.8.7). */
  readonly random: BfdRandomSource;
  /** RFC 5880 §6.1 Passive role: send nothing until the peer has sent us a packet. */
  readonly passive?: boolean;
}

/** Why a packet was sent: on the periodic timer, as the Final of a peer's Poll, or at a state change. */
export type BfdSendReason = 'periodic' | 'final' | 'state-change';

export type BfdSessionAction =
  /** Send this Control packet to the peer (`bytes` is its encoding). */
  | {
      readonly kind: 'send';
      readonly packet: BfdControlPacket;
      readonly bytes: Uint8Array;
      readonly reason: BfdSendReason;
    }
  /**
   * The session changed state. `diag` is our bfd.LocalDiag after the change; `remoteState` and
   * `remoteDiag` are from the peer's last packet. RFC 5882 §3.2: a session that went Down because the
   * peer said AdminDown (`remoteState === 'AdminDown'`) is not a forwarding failure.
   */
  | {
      readonly kind: 'state';
      readonly from: BfdSessionState;
      readonly to: BfdSessionState;
      readonly diag: number;
      readonly remoteState: BfdSessionState;
      readonly remoteDiag: number;
      /** For logs, e.g. `bfd:10.0.0.1 state=Up→Down diag=Control Detection Time Expired`. */
      readonly reason: string;
    };

export interface BfdSessionCounters {
  /** Packets accepted for processing (after the format and discriminator checks). */
  packetsIn: number;
  packetsOut: number;
  /** Failed the §6.8.6 format checks (codec): version, length, detect mult, M bit, discriminators. */
  droppedMalformed: number;
  /** §6.8.6: Your Discriminator nonzero and not ours. */
  droppedWrongDiscriminator: number;
  /** §6.8.6: the A bit is set but we use no authentication. */
  droppedAuthentication: number;
  /** §6.8.6: received while we are AdminDown (the remote's fields were still learnt). */
  discardedAdminDown: number;
  upTransitions: number;
  downTransitions: number;
  pollSequences: number;
  detectionTimeExpirations: number;
}

/** A snapshot for `show bfd peers` and tests. */
export interface BfdSessionStatus {
  readonly name: string;
  readonly state: BfdSessionState;
  readonly localDiscriminator: number;
  readonly remoteDiscriminator: number;
  readonly localDiag: number;
  readonly remoteState: BfdSessionState;
  readonly remoteDiag: number;
  readonly configured: BfdTimers;
  /** The DesiredMinTx / RequiredMinRx our packets carry now (DesiredMinTx ≥ 1 s while not Up). */
  readonly advertised: { readonly desiredMinTxMs: number; readonly requiredMinRxMs: number };
  readonly remote: {
    readonly desiredMinTxMs: number | undefined;
    readonly requiredMinRxMs: number;
    readonly detectMultiplier: number | undefined;
    readonly demand: boolean;
  };
  /** The negotiated interval between our periodic packets before jitter. */
  readonly transmitIntervalMs: number;
  /** How long we wait for the peer's packets; undefined before the first one. */
  readonly detectionTimeMs: number | undefined;
  readonly pollInProgress: boolean;
  readonly counters: Readonly<BfdSessionCounters>;
  /** Why the last packet was dropped, for logs. */
  readonly lastDrop: string | undefined;
}

/** RFC 5880 §6.8.3: DesiredMinTxInterval while the session is not Up is at least one second. */
export const BFD_SLOW_TX_MS = 1000;
/** RFC 5880 §6.8.1: bfd.RemoteMinRxInterval starts at 1 microsecond. */
const INITIAL_REMOTE_MIN_RX_MS = 0.001;
/** The wire fields are 32-bit microsecond counts. */
const MAX_INTERVAL_MS = 0xffffffff / 1000;

const WIRE_STATE: Readonly<Record<BfdSessionState, BfdState>> = {
  AdminDown: BFD_STATE_ADMIN_DOWN,
  Down: BFD_STATE_DOWN,
  Init: BFD_STATE_INIT,
  Up: BFD_STATE_UP,
};
const STATE_FROM_WIRE: readonly BfdSessionState[] = ['AdminDown', 'Down', 'Init', 'Up'];

/** What drives the state machine: the State field of a received packet, or the Detection Time. */
type BfdEvent = BfdSessionState | 'DetectionTimeExpired';

/**
 * RFC 5880 §6.2 state diagram and §6.8.6 reception rules, as a table of the next state for each
 * state (other than AdminDown, which discards packets, §6.8.6) and event.
 */
const TRANSITIONS: Readonly<Record<'Down' | 'Init' | 'Up', Readonly<Record<BfdEvent, BfdSessionState>>>> = {
  // §6.8.6: in Down, a received Down moves to Init and a received Init moves to Up. §6.8.4: the
  // Detection Time only takes Init or Up down.
  Down: { AdminDown: 'Down', Down: 'Init', Init: 'Up', Up: 'Down', DetectionTimeExpired: 'Down' },
  // §6.8.6: in Init, a received Init or Up moves to Up; a received AdminDown moves to Down.
  Init: { AdminDown: 'Down', Down: 'Init', Init: 'Up', Up: 'Up', DetectionTimeExpired: 'Down' },
  // §6.8.6: in Up, a received Down or AdminDown moves to Down.
  Up: { AdminDown: 'Down', Down: 'Down', Init: 'Up', Up: 'Up', DetectionTimeExpired: 'Down' },
};

function msToUs(ms: number): number {
  return Math.round(ms * 1000);
}

function usToMs(us: number): number {
  return us / 1000;
}

function checkTimers(name: string, t: BfdTimers): void {
  // RFC 5880 §4.1: Desired Min TX Interval zero is reserved; both fit 32 bits of microseconds.
  if (!(t.desiredMinTxMs >= 0.001 && t.desiredMinTxMs <= MAX_INTERVAL_MS)) {
    throw new RangeError(
      `bfd ${name}: desired min tx ${t.desiredMinTxMs} ms must be 0.001..${MAX_INTERVAL_MS}`,
    );
  }
  // We always want packets: a zero Required Min RX (§6.8.1, "do not send to me") would leave no
  // Detection Time, which is all this engine is for.
  if (!(t.requiredMinRxMs >= 0.001 && t.requiredMinRxMs <= MAX_INTERVAL_MS)) {
    throw new RangeError(
      `bfd ${name}: required min rx ${t.requiredMinRxMs} ms must be 0.001..${MAX_INTERVAL_MS}`,
    );
  }
  // RFC 5880 §4.1: Detect Mult is a nonzero octet.
  if (!Number.isInteger(t.detectMultiplier) || t.detectMultiplier < 1 || t.detectMultiplier > 255) {
    throw new RangeError(`bfd ${name}: detect multiplier ${t.detectMultiplier} must be 1..255`);
  }
}

export class BfdSession {
  readonly name: string;
  readonly localDiscriminator: number;
  private readonly random: BfdRandomSource;
  private readonly passive: boolean;
  private configured: BfdTimers;
  private started = false;

  // RFC 5880 §6.8.1 state variables.
  private sessionState: BfdSessionState = 'Down';
  private remoteSessionState: BfdSessionState = 'Down';
  private remoteDiscr = 0;
  private localDiag = BFD_DIAG_NO_DIAGNOSTIC;
  private remoteMinRxMs = INITIAL_REMOTE_MIN_RX_MS;
  private remoteDemandMode = false;
  // From the peer's last packet: its diagnostic, and what its Detection Time is made of (§6.8.4).
  private remoteDiag = BFD_DIAG_NO_DIAGNOSTIC;
  private remoteDesiredMinTxMs: number | undefined;
  private remoteDetectMult: number | undefined;

  // RFC 5880 §6.8.3: what our packets carry, and what our transmit interval and Detection Time
  // use; the two differ while a Poll Sequence announcing a change is outstanding.
  private advertisedDesiredMinTxMs: number;
  private advertisedRequiredMinRxMs: number;
  private desiredMinTxInUseMs: number;
  private requiredMinRxInUseMs: number;
  /** The values the Poll Sequence in progress announces (§6.5); undefined when none is. */
  private pollAnnounces: { readonly desiredMinTxMs: number; readonly requiredMinRxMs: number } | undefined;
  /** Values changed again during a Poll Sequence: start another when it ends (§6.5, one at a time). */
  private pollPending = false;

  private lastTxAt: number | undefined;
  /** Fraction of the transmit interval until the next periodic packet (§6.8.7 jitter). */
  private txJitter = 1;
  /** When the last packet that counts for the Detection Time arrived (§6.8.6, last rule). */
  private lastRxAt: number | undefined;

  readonly counters: BfdSessionCounters = {
    packetsIn: 0,
    packetsOut: 0,
    droppedMalformed: 0,
    droppedWrongDiscriminator: 0,
    droppedAuthentication: 0,
    discardedAdminDown: 0,
    upTransitions: 0,
    downTransitions: 0,
    pollSequences: 0,
    detectionTimeExpirations: 0,
  };
  lastDrop: string | undefined;

  constructor(config: BfdSessionConfig) {
    const d = config.localDiscriminator;
    // RFC 5880 §6.8.1: bfd.LocalDiscr MUST be nonzero.
    if (!Number.isInteger(d) || d < 1 || d > 0xffffffff) {
      throw new RangeError(`bfd ${config.name}: local discriminator ${d} must be 1..2^32-1`);
    }
    checkTimers(config.name, config);
    this.name = config.name;
    this.localDiscriminator = d;
    this.random = config.random;
    this.passive = config.passive ?? false;
    this.configured = {
      desiredMinTxMs: config.desiredMinTxMs,
      requiredMinRxMs: config.requiredMinRxMs,
      detectMultiplier: config.detectMultiplier,
    };
    // RFC 5880 §6.8.1/§6.8.3: the session starts Down, so DesiredMinTx starts at one second or more.
    this.advertisedDesiredMinTxMs = Math.max(config.desiredMinTxMs, BFD_SLOW_TX_MS);
    this.advertisedRequiredMinRxMs = config.requiredMinRxMs;
    this.desiredMinTxInUseMs = this.advertisedDesiredMinTxMs;
    this.requiredMinRxInUseMs = this.advertisedRequiredMinRxMs;
  }

  get state(): BfdSessionState {
    return this.sessionState;
  }

  get remoteDiscriminator(): number {
    return this.remoteDiscr;
  }

  /**
   * RFC 5880 §6.8.2/§6.8.7: the greater of the DesiredMinTx in use and the peer's RequiredMinRx;
   * periodic packets go out every 75–100% of it.
   */
  get transmitIntervalMs(): number {
    return Math.max(this.desiredMinTxInUseMs, this.remoteMinRxMs);
  }

  /**
   * RFC 5880 §6.8.4: the peer's Detect Mult times the greater of our RequiredMinRx in use and the
   * peer's last DesiredMinTx. Undefined until the peer has sent a packet.
   */
  get detectionTimeMs(): number | undefined {
    if (this.remoteDetectMult === undefined || this.remoteDesiredMinTxMs === undefined) return undefined;
    return this.remoteDetectMult * Math.max(this.requiredMinRxInUseMs, this.remoteDesiredMinTxMs);
  }

  get pollInProgress(): boolean {
    return this.pollAnnounces !== undefined;
  }

  status(): BfdSessionStatus {
    return {
      name: this.name,
      state: this.sessionState,
      localDiscriminator: this.localDiscriminator,
      remoteDiscriminator: this.remoteDiscr,
      localDiag: this.localDiag,
      remoteState: this.remoteSessionState,
      remoteDiag: this.remoteDiag,
      configured: this.configured,
      advertised: {
        desiredMinTxMs: this.advertisedDesiredMinTxMs,
        requiredMinRxMs: this.advertisedRequiredMinRxMs,
      },
      remote: {
        desiredMinTxMs: this.remoteDesiredMinTxMs,
        requiredMinRxMs: this.remoteMinRxMs,
        detectMultiplier: this.remoteDetectMult,
        demand: this.remoteDemandMode,
      },
      transmitIntervalMs: this.transmitIntervalMs,
      detectionTimeMs: this.detectionTimeMs,
      pollInProgress: this.pollInProgress,
      counters: { ...this.counters },
      lastDrop: this.lastDrop,
    };
  }

  /** When `poll` must next be called (ms), or undefined when nothing is scheduled. */
  nextDeadline(): number | undefined {
    const tx = this.nextPeriodicTxAt();
    const detect = this.detectionDeadline();
    if (tx === undefined) return detect;
    if (detect === undefined) return tx;
    return Math.min(tx, detect);
  }

  // ---- events -------------------------------------------------------------------------------

  /** Begins periodic transmission (the first packet goes out now unless the session is passive). */
  start(now: number): BfdSessionAction[] {
    const actions: BfdSessionAction[] = [];
    if (this.started) return actions;
    this.started = true;
    if (this.periodicTransmissionAllowed()) this.sendPacket(now, 'periodic', actions);
    return actions;
  }

  /** A Control packet from the peer: the UDP payload, or a packet already decoded by the codec. */
  receive(now: number, input: Uint8Array | BfdControlPacket): BfdSessionAction[] {
    const actions: BfdSessionAction[] = [];
    const packet = this.validPacket(input);
    if (packet === undefined) return actions;
    // RFC 5880 §6.8.6: "If the Your Discriminator field is nonzero, it MUST be used to select the
    // session with which this BFD packet is associated. If no session is found, the packet MUST be
    // discarded." The driver selected us; a packet for another discriminator is not ours.
    if (packet.yourDiscriminator !== 0 && packet.yourDiscriminator !== this.localDiscriminator) {
      this.counters.droppedWrongDiscriminator++;
      this.lastDrop = `your discriminator ${packet.yourDiscriminator} is not ours (${this.localDiscriminator})`;
      return actions;
    }
    // RFC 5880 §6.8.6: "If the A bit is set and no authentication is in use (bfd.AuthType is zero),
    // the packet MUST be discarded." We implement no authentication, so bfd.AuthType is always zero
    // and the converse rule (A clear while authentication is in use) cannot apply.
    if (packet.auth !== undefined) {
      this.counters.droppedAuthentication++;
      this.lastDrop = 'the A bit is set but this session uses no authentication';
      return actions;
    }
    this.counters.packetsIn++;
    // RFC 5880 §6.8.6: learn the peer's discriminator, state, Demand bit and Required Min RX.
    this.remoteDiscr = packet.myDiscriminator;
    this.remoteSessionState = STATE_FROM_WIRE[packet.state] ?? 'Down';
    this.remoteDemandMode = packet.demand;
    this.remoteMinRxMs = usToMs(packet.requiredMinRxInterval);
    this.remoteDiag = packet.diagnostic;
    // RFC 5880 §6.8.4: the Detection Time uses the peer's Detect Mult and Desired Min TX.
    this.remoteDetectMult = packet.detectMultiplier;
    this.remoteDesiredMinTxMs = usToMs(packet.desiredMinTxInterval);
    // RFC 5880 §6.8.6: "If the Final (F) bit is set and the local system is sending a Poll
    // Sequence, the Poll Sequence MUST be terminated."
    if (packet.final && this.pollAnnounces !== undefined) this.terminatePoll();
    // RFC 5880 §6.8.6: "If bfd.SessionState is AdminDown, discard the packet" (after learning the
    // fields above, so our AdminDown packets carry the peer's discriminator).
    if (this.sessionState === 'AdminDown') {
      this.counters.discardedAdminDown++;
      return actions;
    }
    // RFC 5880 §6.8.6 (last rule): a packet not discarded counts as received for §6.8.4.
    this.lastRxAt = now;
    const from = this.sessionState;
    const to = TRANSITIONS[from][this.remoteSessionState];
    if (to !== from) {
      // RFC 5880 §6.8.6: going Down because the peer said Down or AdminDown sets bfd.LocalDiag to 3
      // (Neighbor Signaled Session Down).
      const diag = to === 'Down' ? BFD_DIAG_NEIGHBOR_SIGNALED_SESSION_DOWN : this.localDiag;
      this.transition(to, diag, `received ${this.remoteSessionState}`, actions);
    }
    if (packet.poll) {
      // RFC 5880 §6.8.6/§6.8.7: answer a Poll with the Final bit (and Poll clear) as soon as
      // practicable, regardless of the transmit timer, session state or Demand mode. It also
      // carries a state change made by this packet.
      this.sendPacket(now, 'final', actions, to !== from);
    } else if (to !== from) {
      this.sendStateChange(now, actions);
    } else if (this.lastTxAt === undefined && this.periodicTransmissionAllowed()) {
      // RFC 5880 §6.8.7: a passive session starts sending once it knows the peer's discriminator.
      this.sendPacket(now, 'periodic', actions);
    }
    return actions;
  }

  /** Fires the Detection Time and the periodic transmit timer when due. */
  poll(now: number): BfdSessionAction[] {
    const actions: BfdSessionAction[] = [];
    const detect = this.detectionDeadline();
    if (detect !== undefined && now >= detect) this.detectionTimeExpired(now, actions);
    const tx = this.nextPeriodicTxAt();
    if (tx !== undefined && now >= tx) this.sendPacket(now, 'periodic', actions);
    return actions;
  }

  /**
   * RFC 5880 §6.8.16: take the session administratively down (AdminDown, diag 7 Administratively
   * Down) or enable it again (Down, from where the usual three-way handshake brings it Up).
   */
  setAdminDown(now: number, adminDown: boolean): BfdSessionAction[] {
    const actions: BfdSessionAction[] = [];
    if (adminDown === (this.sessionState === 'AdminDown')) return actions;
    if (adminDown) {
      // RFC 5880 §6.8.4: the Detection Time only applies in Init and Up; packets are discarded in
      // AdminDown (§6.8.6), so none count for it.
      this.lastRxAt = undefined;
      this.transition('AdminDown', BFD_DIAG_ADMINISTRATIVELY_DOWN, 'administratively down', actions);
    } else {
      this.transition('Down', BFD_DIAG_NO_DIAGNOSTIC, 'administratively enabled', actions);
    }
    this.sendStateChange(now, actions);
    return actions;
  }

  /**
   * Changes the timer parameters. RFC 5880 §6.8.3: a change of DesiredMinTx or RequiredMinRx starts a
   * Poll Sequence, carried on the next periodic packets. Throws RangeError for invalid values.
   */
  setTimers(now: number, timers: Partial<BfdTimers>): BfdSessionAction[] {
    const next: BfdTimers = { ...this.configured, ...timers };
    checkTimers(this.name, next);
    this.configured = next;
    this.updateAdvertisedTimers();
    // The interval may have shrunk so that a periodic packet is due now.
    return this.poll(now);
  }

  // ---- internals ----------------------------------------------------------------------------

  /** Decodes bytes, or runs a hand-built packet through the codec's §6.8.6 format checks. */
  private validPacket(input: Uint8Array | BfdControlPacket): BfdControlPacket | undefined {
    try {
      if (input instanceof Uint8Array) return decodeBfdControl(input);
      encodeBfdControl(input);
      return input;
    } catch (e) {
      this.counters.droppedMalformed++;
      this.lastDrop = e instanceof Error ? e.message : String(e);
      return undefined;
    }
  }

  private transition(to: BfdSessionState, diag: number, why: string, actions: BfdSessionAction[]): void {
    const from = this.sessionState;
    this.sessionState = to;
    // The Diagnostic is "the local system's reason for the last change in state" (§4.1): a session
    // that comes Up has none.
    this.localDiag = to === 'Up' ? BFD_DIAG_NO_DIAGNOSTIC : diag;
    if (to === 'Up') this.counters.upTransitions++;
    if (from === 'Up') this.counters.downTransitions++;
    this.updateAdvertisedTimers();
    const reason =
      `bfd:${this.name} state=${from}→${to} reason=${why}` +
      (this.localDiag !== BFD_DIAG_NO_DIAGNOSTIC ? ` diag=${bfdDiagnosticName(this.localDiag)}` : '');
    actions.push({
      kind: 'state',
      from,
      to,
      diag: this.localDiag,
      remoteState: this.remoteSessionState,
      remoteDiag: this.remoteDiag,
      reason,
    });
  }

  private detectionDeadline(): number | undefined {
    // RFC 5880 §6.8.6: AdminDown discards packets, so there is nothing to detect.
    if (this.sessionState === 'AdminDown' || this.lastRxAt === undefined) return undefined;
    const detection = this.detectionTimeMs;
    return detection === undefined ? undefined : this.lastRxAt + detection;
  }

  private detectionTimeExpired(now: number, actions: BfdSessionAction[]): void {
    this.counters.detectionTimeExpirations++;
    this.lastRxAt = undefined;
    // RFC 5880 §6.8.1: bfd.RemoteDiscr "MUST be set to zero if Detection Time passes without the
    // receipt of a valid, authenticated BFD packet from the remote system".
    this.remoteDiscr = 0;
    this.remoteSessionState = 'Down';
    // RFC 5880 §6.8.4: in Init or Up, the session goes Down with diag 1 (Control Detection Time
    // Expired).
    if (this.sessionState === 'Init' || this.sessionState === 'Up') {
      const to = TRANSITIONS[this.sessionState].DetectionTimeExpired;
      this.transition(to, BFD_DIAG_CONTROL_DETECTION_TIME_EXPIRED, 'detection time expired', actions);
      this.sendStateChange(now, actions);
    }
  }

  /**
   * RFC 5880 §6.8.3: recomputes the values our packets carry (DesiredMinTx at least one second while
   * not Up) and, when they change, starts a Poll Sequence.
   */
  private updateAdvertisedTimers(): void {
    const up = this.sessionState === 'Up';
    const tx = up ? this.configured.desiredMinTxMs : Math.max(this.configured.desiredMinTxMs, BFD_SLOW_TX_MS);
    const rx = this.configured.requiredMinRxMs;
    if (!up) {
      // The §6.8.3 hold-until-the-poll-ends rules protect an Up session only.
      this.desiredMinTxInUseMs = tx;
      this.requiredMinRxInUseMs = rx;
    }
    if (tx === this.advertisedDesiredMinTxMs && rx === this.advertisedRequiredMinRxMs) return;
    if (up) {
      // RFC 5880 §6.8.3: "If bfd.DesiredMinTxInterval is increased and bfd.SessionState is Up, the
      // actual transmission interval used MUST NOT change until the Poll Sequence ... has
      // terminated." A decrease is safe at once.
      if (tx < this.desiredMinTxInUseMs) this.desiredMinTxInUseMs = tx;
      // RFC 5880 §6.8.3: "If bfd.RequiredMinRxInterval is reduced and bfd.SessionState is Up, the
      // previous value ... MUST be used when calculating the Detection Time ... until the Poll
      // Sequence ... has terminated." An increase is safe at once.
      if (rx > this.requiredMinRxInUseMs) this.requiredMinRxInUseMs = rx;
    }
    this.advertisedDesiredMinTxMs = tx;
    this.advertisedRequiredMinRxMs = rx;
    // RFC 5880 §6.8.3: "If either bfd.DesiredMinTxInterval is changed or bfd.RequiredMinRxInterval
    // is changed, a Poll Sequence MUST be initiated."
    this.beginPoll();
  }

  private beginPoll(): void {
    // RFC 5880 §6.5: one Poll Sequence at a time; a change during one waits for it to end.
    if (this.pollAnnounces !== undefined) {
      this.pollPending = true;
      return;
    }
    this.pollAnnounces = {
      desiredMinTxMs: this.advertisedDesiredMinTxMs,
      requiredMinRxMs: this.advertisedRequiredMinRxMs,
    };
    this.counters.pollSequences++;
  }

  /** RFC 5880 §6.5: the peer's Final acknowledges the values the Poll announced. */
  private terminatePoll(): void {
    const announced = this.pollAnnounces!;
    this.pollAnnounces = undefined;
    // Apply only what the peer has now seen; a value changed again since waits for the next poll.
    if (announced.desiredMinTxMs === this.advertisedDesiredMinTxMs) {
      this.desiredMinTxInUseMs = this.advertisedDesiredMinTxMs;
    }
    if (announced.requiredMinRxMs === this.advertisedRequiredMinRxMs) {
      this.requiredMinRxInUseMs = this.advertisedRequiredMinRxMs;
    }
    if (this.pollPending) {
      this.pollPending = false;
      this.beginPoll();
    }
  }

  private periodicTransmissionAllowed(): boolean {
    if (!this.started) return false;
    // RFC 5880 §6.8.7: "A system MUST NOT transmit BFD Control packets if bfd.RemoteDiscr is zero
    // and the system is taking the Passive role."
    if (this.passive && this.remoteDiscr === 0) return false;
    // RFC 5880 §6.8.7: "A system MUST NOT periodically transmit BFD Control packets if
    // bfd.RemoteMinRxInterval is zero."
    if (this.remoteMinRxMs === 0) return false;
    // RFC 5880 §6.8.7: nor while the peer is in Demand mode (its D bit, both sides Up) and no Poll
    // Sequence is being sent.
    const remoteDemandActive =
      this.remoteDemandMode && this.sessionState === 'Up' && this.remoteSessionState === 'Up';
    return !(remoteDemandActive && this.pollAnnounces === undefined);
  }

  private nextPeriodicTxAt(): number | undefined {
    if (this.lastTxAt === undefined || !this.periodicTransmissionAllowed()) return undefined;
    return this.lastTxAt + this.transmitIntervalMs * this.txJitter;
  }

  /**
   * An extra packet at each state change, so the three-way handshake and a Down do not wait for
   * the (at least one second) periodic timer. RFC 5880 §6.8.7 paces periodic transmission only; FRR's
   * bfdd also sends at once on going Up or Down. It obeys the same limits as periodic packets and restarts their timer.
   */
  private sendStateChange(now: number, actions: BfdSessionAction[]): void {
    if (this.periodicTransmissionAllowed()) this.sendPacket(now, 'state-change', actions);
  }

  private sendPacket(
    now: number,
    reason: BfdSendReason,
    actions: BfdSessionAction[],
    restartPeriodic = reason !== 'final',
  ): void {
    const final = reason === 'final';
    const packet: BfdControlPacket = {
      diagnostic: this.localDiag,
      state: WIRE_STATE[this.sessionState],
      // RFC 5880 §6.5: a packet MUST NOT have both Poll and Final set; a Poll Sequence rides on the
      // periodic packets.
      poll: !final && this.pollAnnounces !== undefined,
      final,
      // RFC 5880 §4.1: the C bit says BFD shares fate with the control plane here (a userspace daemon).
      controlPlaneIndependent: false,
      // RFC 5880 §6.8.7: D only in Demand mode, which we never request.
      demand: false,
      detectMultiplier: this.configured.detectMultiplier,
      myDiscriminator: this.localDiscriminator,
      yourDiscriminator: this.remoteDiscr,
      desiredMinTxInterval: msToUs(this.advertisedDesiredMinTxMs),
      requiredMinRxInterval: msToUs(this.advertisedRequiredMinRxMs),
      // RFC 5880 §4.1: zero means we do not support receiving Echo packets.
      requiredMinEchoRxInterval: 0,
    };
    actions.push({ kind: 'send', packet, bytes: encodeBfdControl(packet), reason });
    this.counters.packetsOut++;
    if (restartPeriodic) {
      this.lastTxAt = now;
      this.txJitter = this.drawJitter();
    }
  }

  /**
   * RFC 5880 §6.8.7: each periodic interval is reduced by a random 0–25% (75–100% of the interval);
   * with a Detect Mult of 1 it MUST be 75–90%, so the peer's Detection Time cannot pass before the
   * next packet arrives.
   */
  private drawJitter(): number {
    const r = Math.min(Math.max(this.random(), 0), 1);
    const spread = this.configured.detectMultiplier === 1 ? 0.15 : 0.25;
    return 0.75 + spread * r;
  }
}
