/**
 * A LACP bond: several aggregation ports and the one Aggregator they can attach to (IEEE
 * 802.1AX-2014 §6.4), sans-IO.
 *
 * Owns the actor's System (priority, MAC), Key and mode, the ports' state machines (`port.ts`),
 * the Selection Logic (§6.4.14), the Marker Responder (§6.5.4.2), and the answer to "which ports
 * are collecting and distributing now". A bond is one Aggregator Client (a server's bond0, a leaf's
 * port-channel), so it has exactly one Aggregator: ports whose partner differs from the Aggregator's
 * LAG get no Aggregator and stay out of sync, as §6.4.14.1 requires when none is available.
 *
 * M-LAG: two devices present one System by configuring the same `systemMac`, `systemPriority` and
 * `key` with non-overlapping port numbers; each runs its own bond for its local ports.
 *
 * Guarantees: no I/O, no clock reads, no timers. The driver feeds events with `now` in
 * milliseconds (monotonic), performs the returned actions, and calls `poll(now)` at
 * `nextDeadline()`. Malformed frames are counted per port and dropped; nothing a peer sends throws.
 */
import { mac as parseMac, ZERO_MAC } from '../wire/addr.js';
import { decodeEthernet, ETHERTYPE_SLOW_PROTOCOLS } from '../wire/ethernet.js';
import {
  decodeSlowProtocols,
  encodeMarkerPdu,
  LACP_DST_MAC,
  LACP_STATE_AGGREGATION,
  type LacpPortInfo,
  type Lacpdu,
  type SlowProtocolsPdu,
} from '../wire/lacp.js';
import {
  checkUint16,
  LacpPort,
  type ActorSystem,
  type LacpAction,
  type LacpPortConfig,
  type LacpPortStatus,
} from './port.js';

export type { ActorSystem, LacpAction, LacpPortConfig, LacpPortStatus } from './port.js';

export interface LacpBondConfig {
  /** For logs, e.g. `bond0` or `po10`. */
  readonly name: string;
  /** Actor System (§6.3.2): a MAC; M-LAG peers configure the same one. */
  readonly systemMac: string;
  /** Actor System_Priority, lower is better; default 32768. */
  readonly systemPriority?: number;
  /** Actor operational Key (§6.3.5), shared by every port of the bond; 1..65535. */
  readonly key: number;
  /** LACP_Activity (§6.4.2.3): default 'active'. Two passive ends never aggregate. */
  readonly mode?: 'active' | 'passive';
  /** LACP_Timeout we ask of the partner (§6.4.2.3): 'fast' (1 s LACPDUs, 3 s timeout) by default. */
  readonly rate?: 'fast' | 'slow';
  /** CollectorMaxDelay in tens of microseconds; default 0. */
  readonly collectorMaxDelay?: number;
  readonly ports: readonly LacpPortConfig[];
}

export interface LacpBondCounters {
  /** Events naming a port the bond does not have. */
  unknownPort: number;
}

export interface LacpBondStatus {
  readonly name: string;
  readonly actor: ActorSystem;
  /** The LAG ID (§6.3.6.2 text form) the Aggregator is bound to, if any. */
  readonly lagId: string | undefined;
  readonly distributingPorts: readonly string[];
  readonly ports: readonly LacpPortStatus[];
  readonly counters: Readonly<LacpBondCounters>;
}

/** Enough rounds for every port to walk the Mux machine from DETACHED to COLLECTING_DISTRIBUTING twice. */
const MAX_SETTLE_ROUNDS = 32;

const hex = (n: number, digits: number) => n.toString(16).padStart(digits, '0');

/**
 * A LAG ID (§6.3.6.1): both Systems, Keys and, for an Individual link, both Ports. `order`
 * compares as the numbers do (fixed-width hex), partner first: within one bond the actor part is
 * the same for every port, so the lower partner identifier is the lower LAG ID (§6.3.6.2).
 */
interface LagId {
  readonly order: string;
  readonly text: string;
}

export class LacpBond {
  readonly name: string;
  private actor: ActorSystem;
  private readonly ports = new Map<string, LacpPort>();
  /** The Aggregator's LAG, while any port is selected for or attached to it. */
  private aggregatorLag: LagId | undefined;
  /** What the last `port-state` actions said, to report changes only. */
  private readonly reported = new Map<string, { collecting: boolean; distributing: boolean }>();
  readonly counters: LacpBondCounters = { unknownPort: 0 };

  constructor(config: LacpBondConfig) {
    this.name = config.name;
    this.actor = {
      systemPriority: checkUint16(config.systemPriority ?? 32768, `bond ${config.name}: system priority`, 0),
      system: parseMac(config.systemMac),
      key: checkUint16(config.key, `bond ${config.name}: key`, 1),
      active: (config.mode ?? 'active') === 'active',
      shortTimeout: (config.rate ?? 'fast') === 'fast',
      collectorMaxDelay: checkUint16(
        config.collectorMaxDelay ?? 0,
        `bond ${config.name}: collector delay`,
        0,
      ),
    };
    const numbers = new Set<number>();
    for (const pc of config.ports) {
      if (this.ports.has(pc.id)) throw new RangeError(`bond ${config.name}: port ${pc.id} configured twice`);
      if (numbers.has(pc.portNumber)) {
        throw new RangeError(`bond ${config.name}: port number ${pc.portNumber} used twice`);
      }
      numbers.add(pc.portNumber);
      const port = new LacpPort(pc.mac === undefined ? pc : { ...pc, mac: parseMac(pc.mac) });
      this.ports.set(pc.id, port);
      this.reported.set(pc.id, { collecting: false, distributing: false });
    }
  }

  // ---- queries -------------------------------------------------------------------------------

  /** Ports that are collecting and distributing now: the members the data plane may use. */
  distributingPorts(): string[] {
    return [...this.ports.values()].filter((p) => p.distributing).map((p) => p.id);
  }

  portStatus(portId: string): LacpPortStatus | undefined {
    return this.ports.get(portId)?.status(this.actor);
  }

  status(): LacpBondStatus {
    return {
      name: this.name,
      actor: this.actor,
      lagId: this.aggregatorLag?.text,
      distributingPorts: this.distributingPorts(),
      ports: [...this.ports.values()].map((p) => p.status(this.actor)),
      counters: { ...this.counters },
    };
  }

  /** When to call `poll` next (ms, the driver's clock), or undefined if nothing is pending. */
  nextDeadline(): number | undefined {
    let next: number | undefined;
    for (const p of this.ports.values()) {
      const t = p.nextDeadline();
      if (t !== undefined && (next === undefined || t < next)) next = t;
    }
    return next;
  }

  // ---- events --------------------------------------------------------------------------------

  /** A frame arrived on a port. Anything but a valid Slow Protocols PDU is counted and dropped. */
  receive(now: number, portId: string, frame: Uint8Array): LacpAction[] {
    const actions: LacpAction[] = [];
    const port = this.port(portId);
    if (!port) return actions;
    this.expireTimers(now, actions);
    const pdu = this.decode(port, frame);
    if (pdu !== undefined) {
      if (!port.enabled) port.counters.receivedWhileDisabled++;
      else if (pdu.type === 'lacp') this.receiveLacpdu(now, port, pdu, actions);
      else if (pdu.type === 'marker') this.receiveMarker(port, pdu, actions);
      else port.counters.unknownSubtype++;
    }
    this.settle(now, actions);
    return actions;
  }

  /** Carrier up (port_enabled, §6.4.7). */
  linkUp(now: number, portId: string): LacpAction[] {
    return this.withPort(now, portId, (port, actions) => port.linkUp(now, actions));
  }

  /** Carrier down: the port stops collecting and distributing and detaches at once. */
  linkDown(now: number, portId: string): LacpAction[] {
    return this.withPort(now, portId, (port, actions) => port.linkDown(actions));
  }

  /** Fires the timers due at `now`. */
  poll(now: number): LacpAction[] {
    const actions: LacpAction[] = [];
    this.expireTimers(now, actions);
    this.settle(now, actions);
    return actions;
  }

  /**
   * Drains a port (or undrains it): the Selection Logic holds it STANDBY, so the Mux machine
   * detaches it and our Actor Synchronization bit goes FALSE; the partner then sees us out of sync
   * and stops distributing to this link (§6.4.15). Used before planned maintenance: "LACP
   * out-of-sync first", then take the link down.
   */
  setPortDrained(now: number, portId: string, drained: boolean): LacpAction[] {
    return this.withPort(now, portId, (port) => {
      port.drained = drained;
    });
  }

  /** Drains (or undrains) every port of the bond. */
  setDrained(now: number, drained: boolean): LacpAction[] {
    const actions: LacpAction[] = [];
    this.expireTimers(now, actions);
    for (const p of this.ports.values()) p.drained = drained;
    this.settle(now, actions);
    return actions;
  }

  /**
   * Changes the actor's System, priority or Key (e.g. an M-LAG member falling back to its own
   * System when the peer link is lost). Every port reselects: its LAG ID changed (§6.4.14.1).
   */
  setActorSystem(
    now: number,
    change: { readonly systemMac?: string; readonly systemPriority?: number; readonly key?: number },
  ): LacpAction[] {
    const actions: LacpAction[] = [];
    this.expireTimers(now, actions);
    this.actor = {
      ...this.actor,
      ...(change.systemMac !== undefined ? { system: parseMac(change.systemMac) } : {}),
      ...(change.systemPriority !== undefined
        ? { systemPriority: checkUint16(change.systemPriority, `bond ${this.name}: system priority`, 0) }
        : {}),
      ...(change.key !== undefined ? { key: checkUint16(change.key, `bond ${this.name}: key`, 1) } : {}),
    };
    for (const p of this.ports.values()) {
      p.unselect('actor-changed', actions);
      p.ntt = true;
    }
    this.settle(now, actions);
    return actions;
  }

  /** Changes LACP_Activity and/or LACP_Timeout; the partner hears it at once (NTT). */
  setMode(
    now: number,
    change: { readonly mode?: 'active' | 'passive'; readonly rate?: 'fast' | 'slow' },
  ): LacpAction[] {
    const actions: LacpAction[] = [];
    this.expireTimers(now, actions);
    this.actor = {
      ...this.actor,
      ...(change.mode !== undefined ? { active: change.mode === 'active' } : {}),
      ...(change.rate !== undefined ? { shortTimeout: change.rate === 'fast' } : {}),
    };
    for (const p of this.ports.values()) p.ntt = true;
    this.settle(now, actions);
    return actions;
  }

  // ---- internals -----------------------------------------------------------------------------

  private port(portId: string): LacpPort | undefined {
    const port = this.ports.get(portId);
    if (!port) this.counters.unknownPort++;
    return port;
  }

  private withPort(
    now: number,
    portId: string,
    change: (port: LacpPort, actions: LacpAction[]) => void,
  ): LacpAction[] {
    const actions: LacpAction[] = [];
    const port = this.port(portId);
    if (!port) return actions;
    this.expireTimers(now, actions);
    change(port, actions);
    this.settle(now, actions);
    return actions;
  }

  /** The frame's Slow Protocols PDU, or undefined (counted) if it is not one or does not decode. */
  private decode(port: LacpPort, frame: Uint8Array): SlowProtocolsPdu | undefined {
    try {
      const eth = decodeEthernet(frame);
      if (eth.etherType !== ETHERTYPE_SLOW_PROTOCOLS || eth.vlans.length > 0 || eth.dst !== LACP_DST_MAC) {
        port.counters.notSlowProtocols++;
        return undefined;
      }
      return decodeSlowProtocols(eth.payload);
    } catch {
      // The wire codecs report bad input only as WireError; whatever it is, it is the peer's input.
      port.counters.malformed++;
      return undefined;
    }
  }

  private receiveLacpdu(now: number, port: LacpPort, pdu: Lacpdu, actions: LacpAction[]): void {
    // §6.4.12 port_moved: our partner's port now talks to us on another port.
    for (const other of this.ports.values()) {
      if (
        other !== port &&
        other.receive === 'PORT_DISABLED' &&
        other.partner.system === pdu.actor.system &&
        other.partner.port === pdu.actor.port &&
        other.partner.system !== ZERO_MAC
      ) {
        other.portMoved(actions);
      }
    }
    port.receiveLacpdu(now, pdu, this.actor, actions);
  }

  /** §6.5.4.2 Marker Responder: answer a Marker Information PDU with a Marker Response. */
  private receiveMarker(
    port: LacpPort,
    pdu: Extract<SlowProtocolsPdu, { type: 'marker' }>,
    actions: LacpAction[],
  ): void {
    port.counters.markersIn++;
    if (pdu.markerType !== 'information') return;
    const response = encodeMarkerPdu({ ...pdu, markerType: 'response' });
    actions.push({ kind: 'send', portId: port.id, frame: port.frame(this.actor, response) });
    port.counters.markerResponsesOut++;
  }

  private expireTimers(now: number, actions: LacpAction[]): void {
    for (const p of this.ports.values()) p.expireTimers(now, actions);
  }

  /** Runs Selection, Mux and Periodic machines until nothing changes, then transmits. */
  private settle(now: number, actions: LacpAction[]): void {
    for (let round = 0; round < MAX_SETTLE_ROUNDS; round++) {
      let changed = this.runSelection(actions);
      const ready = this.aggregatorReady();
      for (const p of this.ports.values()) if (p.runMux(now, ready, actions)) changed = true;
      for (const p of this.ports.values()) if (p.runPeriodic(now, this.actor)) changed = true;
      if (!changed) break;
    }
    for (const p of this.ports.values()) p.runTransmit(now, this.actor, actions);
    this.reportPortStates(actions);
  }

  private reportPortStates(actions: LacpAction[]): void {
    for (const p of this.ports.values()) {
      const last = this.reported.get(p.id)!;
      if (last.collecting === p.collecting && last.distributing === p.distributing) continue;
      this.reported.set(p.id, { collecting: p.collecting, distributing: p.distributing });
      actions.push({
        kind: 'port-state',
        portId: p.id,
        collecting: p.collecting,
        distributing: p.distributing,
      });
    }
  }

  /** Ready (§6.4.8): every port selected for the Aggregator and WAITING has its wait_while done. */
  private aggregatorReady(): boolean {
    for (const p of this.ports.values()) {
      if (p.selected === 'SELECTED' && p.mux === 'WAITING' && !p.readyN) return false;
    }
    return true;
  }

  private lagId(p: LacpPort): LagId {
    const partner = p.partner;
    const individual = (partner.state & LACP_STATE_AGGREGATION) === 0;
    // §6.3.6.1: the port numbers are part of the LAG ID only for an Individual link.
    const actorPort: [number, number] = individual ? [p.portPriority, p.portNumber] : [0, 0];
    const partnerPort: [number, number] = individual ? [partner.portPriority, partner.port] : [0, 0];
    const side = (info: Pick<LacpPortInfo, 'systemPriority' | 'system' | 'key'>, port: [number, number]) =>
      `${hex(info.systemPriority, 4)},${info.system.replaceAll(':', '-')},${hex(info.key, 4)},${hex(port[0], 4)},${hex(port[1], 4)}`;
    const ours = side(this.actor, actorPort);
    const theirs = side(partner, partnerPort);
    return { order: `${theirs}|${ours}`, text: `[(${ours}),(${theirs})]` };
  }

  /** May keep its selection: up, with partner information that has not defaulted, in the Aggregator's LAG. */
  private maySelectionStand(p: LacpPort): boolean {
    return (
      p.enabled &&
      (p.receive === 'CURRENT' || p.receive === 'EXPIRED') &&
      this.aggregatorLag !== undefined &&
      this.lagId(p).order === this.aggregatorLag.order
    );
  }

  /** May be newly selected: up and current (its partner information came from a LACPDU just now). */
  private mayJoin(p: LacpPort): boolean {
    return p.enabled && p.receive === 'CURRENT' && p.partner.system !== ZERO_MAC;
  }

  /**
   * §6.4.14 Selection Logic for a bond with one Aggregator. Ports with the same LAG ID share it;
   * when ports with different LAG IDs compete, the lowest LAG ID wins (§6.3.6.2 ordering, which
   * puts the better partner System first), so the choice does not depend on which LACPDU arrived
   * first. A port may select the Aggregator only once its Mux is DETACHED, and the Aggregator
   * changes LAG only after every port of the old LAG detached (§6.4.14.1).
   */
  private runSelection(actions: LacpAction[]): boolean {
    let changed = false;
    const ports = [...this.ports.values()];
    for (const p of ports) {
      if (p.selected !== 'UNSELECTED' && !this.maySelectionStand(p)) {
        p.unselect(
          !p.enabled ? 'port-disabled' : p.receive === 'DEFAULTED' ? 'defaulted' : 'lag-changed',
          actions,
        );
        changed = true;
      }
    }
    let best: LagId | undefined;
    for (const p of ports) {
      if (!this.mayJoin(p) && !(p.selected !== 'UNSELECTED' && this.maySelectionStand(p))) continue;
      const id = this.lagId(p);
      if (best === undefined || id.order < best.order) best = id;
    }
    if (this.aggregatorLag !== undefined && best !== undefined && best.order < this.aggregatorLag.order) {
      for (const p of ports) {
        if (p.selected !== 'UNSELECTED') {
          p.unselect('better-lag', actions);
          changed = true;
        }
      }
    }
    if (this.aggregatorLag !== undefined && ports.every((p) => p.selected === 'UNSELECTED' && !p.attached)) {
      this.aggregatorLag = undefined;
      changed = true;
    }
    if (this.aggregatorLag === undefined && best !== undefined && ports.every((p) => !p.attached)) {
      this.aggregatorLag = best;
      changed = true;
    }
    const lag = this.aggregatorLag;
    for (const p of ports) {
      if (lag === undefined) break;
      if (
        p.selected === 'UNSELECTED' &&
        p.mux === 'DETACHED' &&
        this.mayJoin(p) &&
        this.lagId(p).order === lag.order
      ) {
        p.setSelected(p.drained ? 'STANDBY' : 'SELECTED', 'lag-matches', actions);
        changed = true;
      } else if (p.selected === 'SELECTED' && p.drained) {
        p.setSelected('STANDBY', 'drained', actions);
        changed = true;
      } else if (p.selected === 'STANDBY' && !p.drained) {
        p.setSelected('SELECTED', 'undrained', actions);
        changed = true;
      }
    }
    return changed;
  }
}
