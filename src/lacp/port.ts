/**
 * One aggregation port's LACP state machines (IEEE 802.1AX-2014 §6.4), sans-IO.
 *
 * Owns the per-port variables of §6.4.7 (actor and partner operational information, Selected, NTT,
 * Ready_N), the timers of §6.4.10 as deadlines in the driver's milliseconds, and the Receive
 * (§6.4.12), Periodic Transmission (§6.4.13), Mux (§6.4.15, coupled control) and Transmit (§6.4.16)
 * machines. The Selection Logic (§6.4.14) needs every port of the bond, so it lives in `bond.ts`
 * and drives `selected` here.
 *
 * Guarantees: no I/O, no clock reads. Every method takes `now` and appends what happened to an
 * `LacpAction[]`; a malformed input is counted by the caller, never thrown from here.
 */
import { ZERO_MAC, type Mac } from '../wire/addr.js';
import { encodeEthernet, ETHERTYPE_SLOW_PROTOCOLS, padEthernetFrame } from '../wire/ethernet.js';
import {
  encodeLacpdu,
  LACP_DST_MAC,
  LACP_STATE_ACTIVITY,
  LACP_STATE_AGGREGATION,
  LACP_STATE_COLLECTING,
  LACP_STATE_DEFAULTED,
  LACP_STATE_DISTRIBUTING,
  LACP_STATE_EXPIRED,
  LACP_STATE_SYNCHRONIZATION,
  LACP_STATE_TIMEOUT,
  type LacpPortInfo,
  type Lacpdu,
} from '../wire/lacp.js';

// §6.4.4 Constants.
export const FAST_PERIODIC_MS = 1_000;
export const SLOW_PERIODIC_MS = 30_000;
export const SHORT_TIMEOUT_MS = 3 * FAST_PERIODIC_MS;
export const LONG_TIMEOUT_MS = 3 * SLOW_PERIODIC_MS;
export const AGGREGATE_WAIT_MS = 2_000;
/** §6.4.16: no more than three LACPDUs in any Fast_Periodic_Time interval. */
export const MAX_LACPDUS_PER_FAST_PERIOD = 3;

/** §6.4.12, Figure 6-18 (LACP_DISABLED is never entered: every port here is full duplex). */
export type ReceiveState = 'INITIALIZE' | 'PORT_DISABLED' | 'EXPIRED' | 'DEFAULTED' | 'CURRENT';
/** §6.4.13, Figure 6-19 (PERIODIC_TX is transient: it sets NTT and moves on at once). */
export type PeriodicState = 'NO_PERIODIC' | 'FAST_PERIODIC' | 'SLOW_PERIODIC';
/** §6.4.15, Figure 6-22: the Mux machine with coupled control of collection and distribution. */
export type MuxState = 'DETACHED' | 'WAITING' | 'ATTACHED' | 'COLLECTING_DISTRIBUTING';
/** §6.4.8 Selected. */
export type Selection = 'SELECTED' | 'UNSELECTED' | 'STANDBY';

export type LacpAction =
  /** A full Ethernet frame (to 01:80:c2:00:00:02, ethertype 0x8809, padded) to put on the port. */
  | { readonly kind: 'send'; readonly portId: string; readonly frame: Uint8Array }
  /** The port's collecting/distributing changed: the data plane must follow it. */
  | {
      readonly kind: 'port-state';
      readonly portId: string;
      readonly collecting: boolean;
      readonly distributing: boolean;
    }
  /** A machine changed state (for logs and traces), named as 802.1AX names it. */
  | {
      readonly kind: 'transition';
      readonly portId: string;
      readonly machine: 'receive' | 'mux' | 'selection';
      readonly from: string;
      readonly to: string;
      readonly reason: string;
    };

/** What the ports of one bond share: the actor's System and Key (§6.4.5) and its operating mode. */
export interface ActorSystem {
  readonly systemPriority: number;
  readonly system: Mac;
  readonly key: number;
  readonly active: boolean;
  readonly shortTimeout: boolean;
  /** CollectorMaxDelay in tens of microseconds (§6.4.2.3 item m). */
  readonly collectorMaxDelay: number;
}

export interface LacpPortCounters {
  lacpdusIn: number;
  lacpdusOut: number;
  markersIn: number;
  markerResponsesOut: number;
  /** Frames that failed to decode (Ethernet or Slow Protocols): dropped. */
  malformed: number;
  /** Slow Protocols subtypes other than LACP and Marker (OAM, OSSP, ...): dropped. */
  unknownSubtype: number;
  /** Frames that are not untagged Slow Protocols frames to 01:80:c2:00:00:02: not ours, dropped. */
  notSlowProtocols: number;
  /** Frames received while the port is disabled (link down). */
  receivedWhileDisabled: number;
  /** Times the port went to COLLECTING_DISTRIBUTING. */
  attachedTransitions: number;
  /** Transmissions postponed by the three-per-second limit (§6.4.16). */
  transmitsDelayed: number;
}

/**
 * §6.4.7 Partner_Admin_* defaults, used while the port has no partner information (DEFAULTED):
 * a null partner that is passive, long timeout, Individual and out of sync, so a port whose partner
 * does not speak LACP never collects or distributes.
 */
const PARTNER_ADMIN: LacpPortInfo = {
  systemPriority: 0,
  system: ZERO_MAC,
  key: 0,
  portPriority: 0,
  port: 0,
  state: 0,
};

function bit(state: number, mask: number): boolean {
  return (state & mask) !== 0;
}

function withBit(state: number, mask: number, on: boolean): number {
  return on ? state | mask : state & ~mask;
}

/** The parameters update_Selected (§6.4.9) compares: a change means a different LAG. */
function sameAggregationIdentity(a: LacpPortInfo, b: LacpPortInfo): boolean {
  return (
    a.port === b.port &&
    a.portPriority === b.portPriority &&
    a.system === b.system &&
    a.systemPriority === b.systemPriority &&
    a.key === b.key &&
    bit(a.state, LACP_STATE_AGGREGATION) === bit(b.state, LACP_STATE_AGGREGATION)
  );
}

/** The state bits update_NTT (§6.4.9) compares. */
const NTT_STATE_BITS =
  LACP_STATE_ACTIVITY | LACP_STATE_TIMEOUT | LACP_STATE_SYNCHRONIZATION | LACP_STATE_AGGREGATION;

export interface LacpPortConfig {
  /** The driver's name for the port (e.g. `eth1`); used in actions. */
  readonly id: string;
  /** Actor_Port (§6.3.4), 1..65535. M-LAG peers presenting one System use non-overlapping numbers. */
  readonly portNumber: number;
  /** Actor_Port_Priority (§6.3.4), lower is better; default 32768. */
  readonly portPriority?: number;
  /** Source MAC of the LACPDUs (the port's own address); default the actor System MAC. */
  readonly mac?: Mac;
}

export interface LacpPortStatus {
  readonly id: string;
  readonly enabled: boolean;
  readonly receive: ReceiveState;
  readonly periodic: PeriodicState;
  readonly mux: MuxState;
  readonly selected: Selection;
  readonly drained: boolean;
  /** Our information as we send it (Actor_Oper_*). */
  readonly actor: LacpPortInfo;
  /** Partner_Oper_* (the admin defaults while DEFAULTED). */
  readonly partner: LacpPortInfo;
  readonly collecting: boolean;
  readonly distributing: boolean;
  readonly counters: Readonly<LacpPortCounters>;
}

/** One port: its variables and machines. The bond feeds it events and runs the Selection Logic. */
export class LacpPort {
  readonly id: string;
  readonly portNumber: number;
  readonly portPriority: number;
  readonly mac: Mac | undefined;

  /** port_enabled (§6.4.7): the MAC is operational (carrier up). */
  enabled = false;
  receive: ReceiveState = 'INITIALIZE';
  periodic: PeriodicState = 'NO_PERIODIC';
  mux: MuxState = 'DETACHED';
  selected: Selection = 'UNSELECTED';
  /** Attached to the bond's Aggregator (Attach_Mux_To_Aggregator, §6.4.9). */
  attached = false;
  /** Admin drain: the Selection Logic keeps the port STANDBY, so it is never in sync. */
  drained = false;
  /** NTT (§6.4.7). Set at BEGIN: the DETACHED state's entry action. */
  ntt = true;
  /** Ready_N (§6.4.8): wait_while has expired since the port entered WAITING. */
  readyN = false;
  /** Actor_Oper_Port_State bits that the machines own (Synchronization, Collecting, Distributing, Defaulted, Expired). */
  private machineState = 0;
  partner: LacpPortInfo = PARTNER_ADMIN;

  // §6.4.10 timers, as absolute deadlines (undefined: not running).
  currentWhileAt: number | undefined;
  periodicAt: number | undefined;
  waitWhileAt: number | undefined;
  /** When the last LACPDUs went out, for the three-per-Fast_Periodic_Time limit. */
  private readonly recentTransmits: number[] = [];

  readonly counters: LacpPortCounters = {
    lacpdusIn: 0,
    lacpdusOut: 0,
    markersIn: 0,
    markerResponsesOut: 0,
    malformed: 0,
    unknownSubtype: 0,
    notSlowProtocols: 0,
    receivedWhileDisabled: 0,
    attachedTransitions: 0,
    transmitsDelayed: 0,
  };

  constructor(config: LacpPortConfig) {
    checkUint16(config.portNumber, `port ${config.id}: port number`, 1);
    this.id = config.id;
    this.portNumber = config.portNumber;
    this.portPriority = checkUint16(config.portPriority ?? 32768, `port ${config.id}: port priority`, 0);
    this.mac = config.mac;
    this.recordDefault();
    this.receive = 'PORT_DISABLED';
  }

  /** Actor_Oper_Port_State (§6.4.2.3 item k). */
  actorState(actor: ActorSystem): number {
    return (
      this.machineState |
      (actor.active ? LACP_STATE_ACTIVITY : 0) |
      (actor.shortTimeout ? LACP_STATE_TIMEOUT : 0) |
      // We can always aggregate (§6.3.5: every port of a bond shares its key).
      LACP_STATE_AGGREGATION
    );
  }

  actorInfo(actor: ActorSystem): LacpPortInfo {
    return {
      systemPriority: actor.systemPriority,
      system: actor.system,
      key: actor.key,
      portPriority: this.portPriority,
      port: this.portNumber,
      state: this.actorState(actor),
    };
  }

  get collecting(): boolean {
    return bit(this.machineState, LACP_STATE_COLLECTING);
  }

  get distributing(): boolean {
    return bit(this.machineState, LACP_STATE_DISTRIBUTING);
  }

  get partnerInSync(): boolean {
    return bit(this.partner.state, LACP_STATE_SYNCHRONIZATION);
  }

  private setMachineBit(mask: number, on: boolean): void {
    this.machineState = withBit(this.machineState, mask, on);
  }

  private setPartnerBit(mask: number, on: boolean): void {
    this.partner = { ...this.partner, state: withBit(this.partner.state, mask, on) };
  }

  private goReceive(to: ReceiveState, reason: string, actions: LacpAction[]): void {
    if (to !== this.receive) {
      actions.push({
        kind: 'transition',
        portId: this.id,
        machine: 'receive',
        from: this.receive,
        to,
        reason,
      });
    }
    this.receive = to;
  }

  // ---- §6.4.9 functions ------------------------------------------------------------------------

  /** recordDefault: the partner is the administrative default; Actor Defaulted is set. */
  private recordDefault(): void {
    this.partner = PARTNER_ADMIN;
    this.setMachineBit(LACP_STATE_DEFAULTED, true);
  }

  /**
   * recordPDU: the LACPDU's Actor becomes our Partner, and the Partner is in Synchronization only
   * if its view of us is current (or it is Individual) and it says it is in sync, and at least one
   * side is active.
   */
  private recordPdu(pdu: Lacpdu, actor: ActorSystem): void {
    const us = this.actorInfo(actor);
    const viewOfUsCurrent =
      pdu.partner.port === us.port &&
      pdu.partner.portPriority === us.portPriority &&
      pdu.partner.system === us.system &&
      pdu.partner.systemPriority === us.systemPriority &&
      pdu.partner.key === us.key &&
      bit(pdu.partner.state, LACP_STATE_AGGREGATION) === bit(us.state, LACP_STATE_AGGREGATION);
    const theySync = bit(pdu.actor.state, LACP_STATE_SYNCHRONIZATION);
    const theyIndividual = !bit(pdu.actor.state, LACP_STATE_AGGREGATION);
    const someoneActive =
      bit(pdu.actor.state, LACP_STATE_ACTIVITY) ||
      (actor.active && bit(pdu.partner.state, LACP_STATE_ACTIVITY));
    const sync = ((viewOfUsCurrent && theySync) || (theyIndividual && theySync)) && someoneActive;
    this.partner = { ...pdu.actor, state: withBit(pdu.actor.state, LACP_STATE_SYNCHRONIZATION, sync) };
    this.setMachineBit(LACP_STATE_DEFAULTED, false);
  }

  /** update_Selected: a Partner with another identity means another LAG, so reselect. */
  private updateSelected(pdu: Lacpdu, actions: LacpAction[]): void {
    if (!sameAggregationIdentity(pdu.actor, this.partner)) this.unselect('partner-changed', actions);
  }

  /** update_Default_Selected: the same test against the administrative default Partner. */
  private updateDefaultSelected(actions: LacpAction[]): void {
    if (!sameAggregationIdentity(PARTNER_ADMIN, this.partner)) this.unselect('partner-defaulted', actions);
  }

  /** update_NTT: the Partner's view of us is out of date, so tell it. */
  private updateNtt(pdu: Lacpdu, actor: ActorSystem): void {
    const us = this.actorInfo(actor);
    const stale =
      pdu.partner.port !== us.port ||
      pdu.partner.portPriority !== us.portPriority ||
      pdu.partner.system !== us.system ||
      pdu.partner.systemPriority !== us.systemPriority ||
      pdu.partner.key !== us.key ||
      (pdu.partner.state & NTT_STATE_BITS) !== (us.state & NTT_STATE_BITS);
    if (stale) this.ntt = true;
  }

  unselect(reason: string, actions: LacpAction[]): void {
    this.setSelected('UNSELECTED', reason, actions);
  }

  setSelected(to: Selection, reason: string, actions: LacpAction[]): void {
    if (to === this.selected) return;
    actions.push({
      kind: 'transition',
      portId: this.id,
      machine: 'selection',
      from: this.selected,
      to,
      reason,
    });
    this.selected = to;
  }

  // ---- Receive machine (§6.4.12) -------------------------------------------------------------

  /** port_enabled became TRUE: PORT_DISABLED → EXPIRED (LACP_Enabled is always TRUE here). */
  linkUp(now: number, actions: LacpAction[]): void {
    if (this.enabled) return;
    this.enabled = true;
    if (this.receive === 'PORT_DISABLED') this.enterExpired(now, 'port-enabled', actions);
  }

  /** port_enabled became FALSE: any state → PORT_DISABLED. */
  linkDown(actions: LacpAction[]): void {
    if (!this.enabled) return;
    this.enabled = false;
    this.currentWhileAt = undefined;
    this.setPartnerBit(LACP_STATE_SYNCHRONIZATION, false);
    this.goReceive('PORT_DISABLED', 'port-disabled', actions);
  }

  /** port_moved (§6.4.12): our Partner now shows up on another port, so forget it here (INITIALIZE). */
  portMoved(actions: LacpAction[]): void {
    this.goReceive('INITIALIZE', 'port-moved', actions);
    this.unselect('port-moved', actions);
    this.recordDefault();
    this.setMachineBit(LACP_STATE_EXPIRED, false);
    this.goReceive('PORT_DISABLED', 'initialized', actions);
  }

  /** CtrlMuxN:M_UNITDATA.indication(LACPDU) in any enabled state → CURRENT. */
  receiveLacpdu(now: number, pdu: Lacpdu, actor: ActorSystem, actions: LacpAction[]): void {
    this.counters.lacpdusIn++;
    this.updateSelected(pdu, actions);
    this.updateNtt(pdu, actor);
    this.recordPdu(pdu, actor);
    this.currentWhileAt = now + (actor.shortTimeout ? SHORT_TIMEOUT_MS : LONG_TIMEOUT_MS);
    this.setMachineBit(LACP_STATE_EXPIRED, false);
    this.goReceive('CURRENT', 'lacpdu', actions);
  }

  private enterExpired(now: number, reason: string, actions: LacpAction[]): void {
    this.setPartnerBit(LACP_STATE_SYNCHRONIZATION, false);
    // The Partner is asked to hurry: it is treated as short-timeout, so we transmit fast.
    this.setPartnerBit(LACP_STATE_TIMEOUT, true);
    this.currentWhileAt = now + SHORT_TIMEOUT_MS;
    this.setMachineBit(LACP_STATE_EXPIRED, true);
    this.goReceive('EXPIRED', reason, actions);
  }

  private enterDefaulted(actions: LacpAction[]): void {
    this.updateDefaultSelected(actions);
    this.recordDefault();
    this.setMachineBit(LACP_STATE_EXPIRED, false);
    this.currentWhileAt = undefined;
    this.goReceive('DEFAULTED', 'current-while-expired', actions);
  }

  /** current_while expired: CURRENT → EXPIRED, EXPIRED → DEFAULTED. */
  private currentWhileExpired(now: number, actions: LacpAction[]): void {
    if (this.receive === 'CURRENT') this.enterExpired(now, 'current-while-expired', actions);
    else if (this.receive === 'EXPIRED') this.enterDefaulted(actions);
    else this.currentWhileAt = undefined;
  }

  // ---- Periodic Transmission machine (§6.4.13) -----------------------------------------------

  private partnerShortTimeout(): boolean {
    return bit(this.partner.state, LACP_STATE_TIMEOUT);
  }

  /** The machine's level-triggered transitions; returns whether anything changed. */
  runPeriodic(now: number, actor: ActorSystem): boolean {
    const partnerActive = bit(this.partner.state, LACP_STATE_ACTIVITY);
    if (!this.enabled || (!actor.active && !partnerActive)) {
      if (this.periodic === 'NO_PERIODIC') return false;
      this.periodic = 'NO_PERIODIC';
      this.periodicAt = undefined;
      return true;
    }
    const fast = this.partnerShortTimeout();
    if (this.periodic === 'NO_PERIODIC') {
      this.periodic = 'FAST_PERIODIC';
      this.periodicAt = now + FAST_PERIODIC_MS;
      return true;
    }
    if (this.periodic === 'FAST_PERIODIC' && !fast) {
      this.periodic = 'SLOW_PERIODIC';
      this.periodicAt = now + SLOW_PERIODIC_MS;
      return true;
    }
    if (this.periodic === 'SLOW_PERIODIC' && fast) {
      this.periodicTransmit(now);
      return true;
    }
    return false;
  }

  /** PERIODIC_TX: NTT, then back to the rate the Partner's timeout asks for. */
  private periodicTransmit(now: number): void {
    this.ntt = true;
    const fast = this.partnerShortTimeout();
    this.periodic = fast ? 'FAST_PERIODIC' : 'SLOW_PERIODIC';
    this.periodicAt = now + (fast ? FAST_PERIODIC_MS : SLOW_PERIODIC_MS);
  }

  // ---- Timers --------------------------------------------------------------------------------

  /** Fires the timers due at `now`. */
  expireTimers(now: number, actions: LacpAction[]): void {
    if (this.currentWhileAt !== undefined && this.currentWhileAt <= now)
      this.currentWhileExpired(now, actions);
    if (this.periodicAt !== undefined && this.periodicAt <= now) this.periodicTransmit(now);
    if (this.waitWhileAt !== undefined && this.waitWhileAt <= now) {
      this.waitWhileAt = undefined;
      this.readyN = true;
    }
  }

  /** The earliest timer or delayed transmission, if any. */
  nextDeadline(): number | undefined {
    let next: number | undefined;
    for (const t of [this.currentWhileAt, this.periodicAt, this.waitWhileAt, this.transmitBlockedUntil()]) {
      if (t !== undefined && (next === undefined || t < next)) next = t;
    }
    return next;
  }

  // ---- Mux machine (§6.4.15, coupled control) ------------------------------------------------

  private goMux(to: MuxState, reason: string, actions: LacpAction[]): void {
    actions.push({ kind: 'transition', portId: this.id, machine: 'mux', from: this.mux, to, reason });
    this.mux = to;
  }

  private enterDetached(reason: string, actions: LacpAction[]): void {
    this.goMux('DETACHED', reason, actions);
    this.attached = false; // Detach_Mux_From_Aggregator
    this.setMachineBit(LACP_STATE_SYNCHRONIZATION, false);
    this.setMachineBit(LACP_STATE_COLLECTING, false); // Disable_Collecting_Distributing
    this.setMachineBit(LACP_STATE_DISTRIBUTING, false);
    this.ntt = true;
  }

  private enterAttached(reason: string, actions: LacpAction[]): void {
    this.goMux('ATTACHED', reason, actions);
    this.attached = true; // Attach_Mux_To_Aggregator
    this.setMachineBit(LACP_STATE_SYNCHRONIZATION, true);
    this.setMachineBit(LACP_STATE_COLLECTING, false);
    this.setMachineBit(LACP_STATE_DISTRIBUTING, false);
    this.ntt = true;
  }

  private enterCollectingDistributing(actions: LacpAction[]): void {
    this.goMux('COLLECTING_DISTRIBUTING', 'partner-in-sync', actions);
    this.setMachineBit(LACP_STATE_DISTRIBUTING, true); // Enable_Collecting_Distributing
    this.setMachineBit(LACP_STATE_COLLECTING, true);
    this.counters.attachedTransitions++;
    this.ntt = true;
  }

  /**
   * One step of the Mux machine. `aggregatorReady` is Ready (§6.4.8): every port waiting for the
   * Aggregator has Ready_N. Returns whether the state changed.
   */
  runMux(now: number, aggregatorReady: boolean, actions: LacpAction[]): boolean {
    const s = this.selected;
    switch (this.mux) {
      case 'DETACHED':
        if (s === 'UNSELECTED') return false;
        this.goMux('WAITING', s === 'STANDBY' ? 'standby' : 'selected', actions);
        this.readyN = false;
        this.waitWhileAt = now + AGGREGATE_WAIT_MS;
        return true;
      case 'WAITING':
        if (s === 'UNSELECTED') {
          this.waitWhileAt = undefined;
          this.enterDetached('unselected', actions);
          return true;
        }
        if (s === 'SELECTED' && aggregatorReady) {
          this.enterAttached('ready', actions);
          return true;
        }
        return false;
      case 'ATTACHED':
        if (s !== 'SELECTED') {
          this.enterDetached(s === 'STANDBY' ? 'standby' : 'unselected', actions);
          return true;
        }
        if (this.partnerInSync) {
          this.enterCollectingDistributing(actions);
          return true;
        }
        return false;
      case 'COLLECTING_DISTRIBUTING':
        if (s !== 'SELECTED' || !this.partnerInSync) {
          const reason =
            s === 'UNSELECTED' ? 'unselected' : s === 'STANDBY' ? 'standby' : 'partner-out-of-sync';
          this.enterAttached(reason, actions);
          return true;
        }
        return false;
    }
  }

  // ---- Transmit machine (§6.4.16) ------------------------------------------------------------

  /** Transmission is possible at all: the port is up and the Periodic machine is running. */
  private mayTransmit(): boolean {
    return this.enabled && this.periodic !== 'NO_PERIODIC';
  }

  /** When a pending NTT may go out if the rate limit holds it back now (undefined: not held). */
  private transmitBlockedUntil(): number | undefined {
    if (!this.ntt || !this.mayTransmit()) return undefined;
    if (this.recentTransmits.length < MAX_LACPDUS_PER_FAST_PERIOD) return undefined;
    return this.recentTransmits[0]! + FAST_PERIODIC_MS;
  }

  /** Sends a LACPDU if NTT is set and the limit allows it; otherwise NTT stays set for later. */
  runTransmit(now: number, actor: ActorSystem, actions: LacpAction[]): void {
    while (this.recentTransmits.length > 0 && this.recentTransmits[0]! + FAST_PERIODIC_MS <= now) {
      this.recentTransmits.shift();
    }
    if (!this.ntt || !this.mayTransmit()) return;
    if (this.recentTransmits.length >= MAX_LACPDUS_PER_FAST_PERIOD) {
      this.counters.transmitsDelayed++;
      return;
    }
    const pdu: Lacpdu = {
      type: 'lacp',
      actor: this.actorInfo(actor),
      partner: this.partner,
      collectorMaxDelay: actor.collectorMaxDelay,
    };
    actions.push({ kind: 'send', portId: this.id, frame: this.frame(actor, encodeLacpdu(pdu)) });
    this.recentTransmits.push(now);
    this.counters.lacpdusOut++;
    this.ntt = false;
  }

  /** A Slow Protocols frame from this port (802.3 Annex 57A addressing, padded as a NIC sends it). */
  frame(actor: ActorSystem, payload: Uint8Array): Uint8Array {
    return padEthernetFrame(
      encodeEthernet({
        dst: LACP_DST_MAC,
        src: this.mac ?? actor.system,
        vlans: [],
        etherType: ETHERTYPE_SLOW_PROTOCOLS,
        payload,
      }),
    );
  }

  status(actor: ActorSystem): LacpPortStatus {
    return {
      id: this.id,
      enabled: this.enabled,
      receive: this.receive,
      periodic: this.periodic,
      mux: this.mux,
      selected: this.selected,
      drained: this.drained,
      actor: this.actorInfo(actor),
      partner: this.partner,
      collecting: this.collecting,
      distributing: this.distributing,
      counters: { ...this.counters },
    };
  }
}

export function checkUint16(v: number, what: string, min: number): number {
  if (!Number.isInteger(v) || v < min || v > 0xffff)
    throw new RangeError(`${what} ${v} is not in ${min}..65535`);
  return v;
}
