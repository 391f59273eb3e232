/**
 * A lab fabric: nodes (hosts, VTEP leaves, underlay routers) joined by emulated links, all driven
 * by one simulator, so the same inputs give the same frames every run.
 *
 * Each node has named ports; a port is one end of a link. A node's output frames go onto its links
 * and arrive at the peer node after the link's serialization and latency.
 */
import { SimRouter, type RouterOutput, type RouterTransmit } from '../dataplane/sim/router.js';
import {
  SimSwitch,
  type SwitchEvent,
  type SwitchTransmit,
  type VtepConfig,
} from '../dataplane/sim/switch.js';
import { Host, type HostConfig } from './host.js';
import { Link, type Direction, type LinkEndpoint, type LinkOptions } from './link.js';
import { PcapWriter } from '../wire/pcap.js';
import { Simulator } from './sim.js';

export type LabNode =
  | { readonly kind: 'host'; readonly name: string; readonly host: Host }
  | {
      readonly kind: 'leaf';
      readonly name: string;
      readonly dataplane: SimSwitch;
      /** The leaf's own underlay router when it has several uplinks (ECMP towards the spines). */
      readonly underlay?: SimRouter;
    }
  | { readonly kind: 'router'; readonly name: string; readonly router: SimRouter }
  | { readonly kind: 'device'; readonly name: string; readonly device: LabDevice };

/**
 * A node its owner models itself (a test's LACP partner, say): it hears frames and carrier per
 * port and sends with `Fabric.transmit`.
 */
export interface LabDevice {
  receive(port: string, frame: Uint8Array): void;
  linkState(port: string, up: boolean): void;
}

/** Inside a routed leaf: the port between its VTEP and its underlay router. */
const INTERNAL_PORT = 'vtep0';

/** What a node's control plane hears from the fabric (see `LabControlPlane`). */
export interface NodeControl {
  /** A frame the node's router addressed to the node itself (BGP). */
  deliver(frame: Uint8Array): void;
  /** A routed port gained or lost carrier. */
  portState(port: string, up: boolean): void;
}

export type SwitchEventHandler = (events: readonly SwitchEvent[]) => void;

/** What a leaf's M-LAG agent takes over from the fabric: carrier of its switch ports, and LACPDUs. */
export interface AccessPortControl {
  /** An access (switch) port gained or lost carrier; the handler decides what the switch does. */
  carrier(port: string, up: boolean): void;
  /** A Slow Protocols frame (LACP, EtherType 0x8809) arrived on an access port. */
  slowProtocols(port: string, frame: Uint8Array): void;
}

/** A node's port: the link end it owns, and the direction it sends on. */
interface PortEnd {
  readonly link: Link;
  readonly end: LinkEndpoint;
  readonly out: Direction;
}

/** One node's ports → the link end it owns on each. */
type PortEnds = Map<string, PortEnd>;

/**
 * A server's end of a link: hands frames straight to the server. A class, not a closure: a frame's
 * arrival reads this object and the host, not a closure, its context and the node as well.
 */
class HostPort implements LinkEndpoint {
  readonly node: string;
  private readonly host: Host;

  constructor(
    private readonly fabric: Fabric,
    private readonly labNode: LabNode & { kind: 'host' },
    readonly port: string,
  ) {
    this.node = labNode.name;
    this.host = labNode.host;
  }

  deliver(frame: Uint8Array): void {
    this.host.receive(this.port, frame);
  }

  carrier(up: boolean): void {
    this.fabric.carrier(this.labNode, this.port, up);
  }
}

/**
 * How a node's frames go out: its ports by name, and by the numbers its router and its switch give
 * them (`SimRouter.portIndex`, `SimSwitch.portIndex`) as found for the fabric's cabling `cabling`.
 */
class Wiring {
  cabling = -1;
  readonly byRouterPort: (PortEnd | undefined)[] = [];
  readonly bySwitchPort: (PortEnd | undefined)[] = [];
  /** On a routed leaf: the number of the router's port to the VTEP, once it has one. */
  internalIndex: number | undefined = undefined;

  constructor(readonly ports: PortEnds) {}

  /**
   * The end of `port`, numbered `index` in `byNumber` (`byRouterPort` or `bySwitchPort`), looked up
   * by name once for the fabric's `cabling`.
   */
  end(byNumber: (PortEnd | undefined)[], index: number, port: string, cabling: number): PortEnd | undefined {
    if (this.cabling !== cabling) {
      this.cabling = cabling;
      this.byRouterPort.length = 0;
      this.bySwitchPort.length = 0;
    }
    let e = byNumber[index];
    if (e === undefined) {
      e = this.ports.get(port);
      if (e !== undefined) byNumber[index] = e;
    }
    return e;
  }
}

/** A leaf's, router's or device's end of a link, and what was found out about the port once. */
class NodePort implements LinkEndpoint {
  readonly node: string;
  /** Named as a routed leaf's port inside the box (compared once, not per frame). */
  readonly internal: boolean;
  /** The port's number at the node's router (undefined: not a router port), as of `SimRouter.interfacesAdded`. */
  routerInterfaces = -1;
  routerIndex: number | undefined = undefined;
  /** The port's number at the node's switch (undefined: not a switch port), as of `SimSwitch.portsAdded`. */
  switchPorts = -1;
  switchIndex: number | undefined = undefined;

  constructor(
    private readonly fabric: Fabric,
    private readonly labNode: Exclude<LabNode, { kind: 'host' }>,
    /** Where what the node sends in turn goes out. */
    readonly wiring: Wiring,
    readonly port: string,
  ) {
    this.node = labNode.name;
    this.internal = port === INTERNAL_PORT;
  }

  deliver(frame: Uint8Array): void {
    this.fabric.deliver(this.labNode, this, frame);
  }

  carrier(up: boolean): void {
    this.fabric.carrier(this.labNode, this.port, up);
  }
}

export class Fabric {
  readonly sim: Simulator;
  readonly nodes = new Map<string, LabNode>();
  readonly links: Link[] = [];
  /** node → its wiring: port → the link end the node owns, and the same by number. */
  private readonly wirings = new Map<string, Wiring>();

  /** Port → the link end `node` owns on it. */
  private portsOf(node: string): PortEnds | undefined {
    return this.wirings.get(node)?.ports;
  }
  private readonly controls = new Map<string, NodeControl>();
  private readonly switchHandlers = new Map<string, SwitchEventHandler>();
  private readonly accessControls = new Map<string, AccessPortControl>();
  /** Counts cables plugged and unplugged, so a port's link end found once is known to hold. */
  private cabling = 0;

  constructor(seed = 1) {
    this.sim = new Simulator(seed);
  }

  addHost(config: HostConfig): Host {
    // Cabled ports are plugged into the host (`connect`); this sends on the others, which drops.
    const host = new Host(this.sim, config, (port, frame) => this.transmit(config.name, port, frame));
    this.add({ kind: 'host', name: config.name, host });
    return host;
  }

  addLeaf(name: string, config: Omit<VtepConfig, 'underlayPort'> & { underlayPort?: string }): SimSwitch {
    const dataplane = new SimSwitch({ underlayPort: 'uplink', ...config });
    this.add({ kind: 'leaf', name, dataplane });
    return dataplane;
  }

  /**
   * A leaf whose VTEP sits behind its own underlay router (port `vtep0` inside the box), so it can
   * have several uplinks and spread VXLAN flows over them (RFC 7938 §6.3 ECMP). The caller adds the
   * router's uplink interfaces and routes.
   */
  addRoutedLeaf(
    name: string,
    config: {
      vtepIp: VtepConfig['vtepIp'];
      switchMac: VtepConfig['underlayMac'];
      routerMac: VtepConfig['underlayMac'];
      /** An M-LAG pair's virtual VTEP, reached inside the box like the leaf's own. */
      virtualVtepIp?: VtepConfig['vtepIp'];
      /** MAC aging time (ns); the switch's default otherwise. */
      agingNs?: number;
    },
  ): { dataplane: SimSwitch; underlay: SimRouter } {
    const underlay = new SimRouter(`${name}/underlay`, { wake: (at) => this.wakeRouter(name, at) });
    const dataplane = new SimSwitch({
      vtepIp: config.vtepIp,
      underlayMac: config.switchMac,
      underlayPort: INTERNAL_PORT,
      resolveNextHop: () => config.routerMac,
      ...(config.agingNs !== undefined ? { agingNs: config.agingNs } : {}),
    });
    // The internal link: the router reaches the VTEP address through it.
    underlay.addInterface({
      port: INTERNAL_PORT,
      mac: config.routerMac,
      ip: '169.254.0.0' as VtepConfig['vtepIp'],
      prefixLength: 31,
    });
    underlay.setRoute(config.vtepIp, 32, [{ port: INTERNAL_PORT, mac: config.switchMac }]);
    if (config.virtualVtepIp)
      underlay.setRoute(config.virtualVtepIp, 32, [{ port: INTERNAL_PORT, mac: config.switchMac }]);
    this.add({ kind: 'leaf', name, dataplane, underlay });
    return { dataplane, underlay };
  }

  addDevice(name: string, device: LabDevice): void {
    this.add({ kind: 'device', name, device });
  }

  addRouter(name: string): SimRouter {
    const router = new SimRouter(name, { wake: (at) => this.wakeRouter(name, at) });
    this.add({ kind: 'router', name, router });
    return router;
  }

  /** Gives a router or leaf a control plane: local delivery and carrier changes go to it. */
  attachControl(node: string, control: NodeControl): void {
    this.controls.set(node, control);
  }

  /** Data-plane events of a leaf's switch (MACs learnt, aged, flushed) go to `handler`. */
  onSwitchEvents(node: string, handler: SwitchEventHandler): void {
    this.switchHandlers.set(node, handler);
  }

  /** Hands a leaf's access-port carrier and LACPDUs to its M-LAG agent. */
  attachAccessControl(node: string, control: AccessPortControl): void {
    this.accessControls.set(node, control);
  }

  /** Shuts (error-down, admin down) or re-enables `node:port`; the link goes dark while shut. */
  setPortEnabled(node: string, port: string, enabled: boolean): void {
    const e = this.portsOf(node)?.get(port);
    if (e) e.link.setEndEnabled(e.end, enabled);
  }

  private add(node: LabNode): void {
    if (this.nodes.has(node.name)) throw new RangeError(`node ${node.name} exists already`);
    this.nodes.set(node.name, node);
    this.wirings.set(node.name, new Wiring(new Map()));
  }

  /**
   * Cables `a:aPort` to `b:bPort`. Hosts have one port, `eth0`, or their bond's ports. Hosts and
   * devices hear carrier up at once (the cable is plugged in up).
   */
  connect(a: string, aPort: string, b: string, bPort: string, options: LinkOptions = {}): Link {
    const endA = this.endpoint(a, aPort);
    const endB = this.endpoint(b, bPort);
    const link = new Link(this.sim, `${a}:${aPort}--${b}:${bPort}`, endA, endB, options);
    this.cabling++;
    this.portsOf(a)!.set(aPort, { link, end: endA, out: link.direction(endA) });
    this.portsOf(b)!.set(bPort, { link, end: endB, out: link.direction(endB) });
    this.links.push(link);
    for (const end of [endA, endB]) {
      const node = this.nodes.get(end.node)!;
      if (node.kind === 'host') node.host.plug(end.port, link.direction(end));
      if (node.kind === 'host' || node.kind === 'device') end.carrier?.(true);
    }
    return link;
  }

  /** Unplugs the cable at `node:port` (both ends see carrier loss; frames in flight are lost). */
  disconnect(node: string, port: string): void {
    const e = this.portsOf(node)?.get(port);
    if (!e) return;
    e.link.setUp(false);
    this.cabling++;
    const other = e.link.peerOf(e.end);
    this.portsOf(node)!.delete(port);
    this.portsOf(other.node)?.delete(other.port);
    for (const end of [e.end, other]) {
      const n = this.nodes.get(end.node);
      if (n?.kind === 'host') n.host.plug(end.port, undefined);
    }
  }

  private endpoint(nodeName: string, port: string): LinkEndpoint {
    const node = this.nodes.get(nodeName);
    if (!node) throw new RangeError(`no node named ${nodeName}`);
    const ports = this.portsOf(nodeName)!;
    if (ports.has(port)) throw new RangeError(`${nodeName}:${port} is already cabled`);
    // A server's port hands frames straight to it (most of a fabric's ports are servers').
    if (node.kind === 'host') return new HostPort(this, node, port);
    return new NodePort(this, node, this.wirings.get(nodeName)!, port);
  }

  /** Carrier came or went at `node:port`. */
  carrier(node: LabNode, port: string, up: boolean): void {
    const routed =
      node.kind === 'router' || (node.kind === 'leaf' && node.underlay?.hasInterface(port) === true);
    if (node.kind === 'router') node.router.setPortUp(port, up);
    if (node.kind === 'leaf' && node.underlay?.hasInterface(port)) node.underlay.setPortUp(port, up);
    if (node.kind === 'leaf' && !routed && port !== node.dataplane.config.underlayPort) {
      const access = this.accessControls.get(node.name);
      if (access) access.carrier(port, up);
      else this.switchEvents(node.name, node.dataplane.setPortUp(port, up));
    }
    if (routed) this.controls.get(node.name)?.portState(port, up);
    if (node.kind === 'host') node.host.linkState(port, up);
    if (node.kind === 'device') node.device.linkState(port, up);
  }

  /**
   * A frame arrived at `node:port`; what the node sends in turn goes out through its wiring. (A
   * server's port hands its frames to the server itself: see `endpoint`.)
   */
  deliver(node: Exclude<LabNode, { kind: 'host' }>, at: NodePort, frame: Uint8Array): void {
    const { wiring, port } = at;
    switch (node.kind) {
      case 'device':
        node.device.receive(port, frame);
        return;
      case 'leaf': {
        if (node.underlay && !at.internal) {
          const index = this.routerPortIndex(node.underlay, at);
          if (index !== undefined) {
            this.fromUnderlay(node, wiring, node.underlay.receiveAt(index, frame, this.sim.now));
            return;
          }
        }
        // Slow Protocols (EtherType 0x8809 at bytes 12-13): LACP for the leaf's M-LAG agent.
        // The bytes first: the agent is looked up only for the rare LACPDU, not for every frame.
        const slow = frame.length >= 14 && frame[12] === 0x88 && frame[13] === 0x09;
        const access = slow ? this.accessControls.get(node.name) : undefined;
        if (access) {
          access.slowProtocols(port, frame);
          return;
        }
        const index = this.switchPortIndex(node.dataplane, at);
        const now = this.sim.now;
        const out =
          index !== undefined
            ? node.dataplane.receiveAt(index, frame, now)
            : node.dataplane.receive(port, frame, now);
        this.switchEvents(node.name, out.events);
        this.fromSwitch(node, wiring, out.transmit);
        return;
      }
      case 'router': {
        // A port that is not one of the router's interfaces has no number: -1 drops the frame.
        const out = node.router.receiveAt(this.routerPortIndex(node.router, at) ?? -1, frame, this.sim.now);
        // Indexed loops here and below: an output list is often the shared frozen empty one, and
        // `for...of` over two kinds of array went through the generic iterator per frame.
        const transmit = out.transmit;
        for (let i = 0; i < transmit.length; i++) this.sendRouted(wiring, transmit[i]!);
        this.toControl(node.name, out.toHost);
        return;
      }
    }
  }

  /**
   * The port's number at its node's router (`SimRouter.portIndex`), undefined if it is not one of
   * the router's interfaces; asked again only when the router's interfaces change.
   */
  private routerPortIndex(router: SimRouter, at: NodePort): number | undefined {
    if (at.routerInterfaces !== SimRouter.interfacesAdded) {
      at.routerInterfaces = SimRouter.interfacesAdded;
      at.routerIndex = router.portIndex(at.port);
    }
    return at.routerIndex;
  }

  /** The port's number at its leaf's switch (`SimSwitch.portIndex`), asked again only when ports are added. */
  private switchPortIndex(dataplane: SimSwitch, at: NodePort): number | undefined {
    if (at.switchPorts !== SimSwitch.portsAdded) {
      at.switchPorts = SimSwitch.portsAdded;
      at.switchIndex = dataplane.portIndex(at.port);
    }
    return at.switchIndex;
  }

  /** Frames the leaf's switch sends: the internal port goes to its underlay router, others to links. */
  private fromSwitch(
    node: LabNode & { kind: 'leaf' },
    wiring: Wiring,
    transmit: readonly SwitchTransmit[],
  ): void {
    for (let i = 0; i < transmit.length; i++) {
      const t = transmit[i]!;
      if (t.portIndex >= 0) {
        // A switch port, found by its number.
        wiring.end(wiring.bySwitchPort, t.portIndex, t.port, this.cabling)?.out.send(t.frame);
      } else if (node.underlay && t.port === INTERNAL_PORT) {
        const router = node.underlay;
        wiring.internalIndex ??= router.portIndex(INTERNAL_PORT);
        const now = this.sim.now;
        const i = wiring.internalIndex;
        this.fromUnderlay(
          node,
          wiring,
          i !== undefined ? router.receiveAt(i, t.frame, now) : router.receive(INTERNAL_PORT, t.frame, now),
        );
      } else sendOn(wiring.ports, t.port, t.frame);
    }
  }

  /** A router's ARP timer is due at `at` (ns): its retransmissions and probes go out then. */
  private wakeRouter(name: string, at: number): void {
    this.sim.at(Math.max(at, this.sim.now), () => {
      const node = this.nodes.get(name);
      if (node?.kind === 'router') {
        for (const t of node.router.poll(this.sim.now).transmit) this.transmit(name, t.port, t.frame);
      } else if (node?.kind === 'leaf' && node.underlay) {
        const wiring = this.wirings.get(name);
        if (wiring) this.fromUnderlay(node, wiring, node.underlay.poll(this.sim.now));
      }
    });
  }

  private fromUnderlay(node: LabNode & { kind: 'leaf' }, wiring: Wiring, out: RouterOutput): void {
    const transmit = out.transmit;
    // The port to the VTEP by its number once known: comparing an uplink's name with it was a
    // string comparison per frame.
    const internal = (wiring.internalIndex ??= node.underlay?.portIndex(INTERNAL_PORT));
    for (let i = 0; i < transmit.length; i++) {
      const t = transmit[i]!;
      if (internal !== undefined ? t.portIndex === internal : t.port === INTERNAL_PORT) {
        const fromVtep = node.dataplane.receive(INTERNAL_PORT, t.frame, this.sim.now);
        this.switchEvents(node.name, fromVtep.events);
        this.fromSwitch(node, wiring, fromVtep.transmit);
      } else this.sendRouted(wiring, t);
    }
    this.toControl(node.name, out.toHost);
  }

  /** Sends a frame of the node's router out of its port, found by the port's number once per cabling. */
  private sendRouted(wiring: Wiring, t: RouterTransmit): void {
    wiring.end(wiring.byRouterPort, t.portIndex, t.port, this.cabling)?.out.send(t.frame);
  }

  private toControl(node: string, frames: readonly Uint8Array[]): void {
    if (frames.length === 0) return;
    const control = this.controls.get(node);
    if (control) for (const f of frames) control.deliver(f);
  }

  /** Reports data-plane events a control-plane write produced (e.g. a port taken out of forwarding). */
  switchEvents(node: string, events: readonly SwitchEvent[]): void {
    if (events.length > 0) this.switchHandlers.get(node)?.(events);
  }

  /** Sends what a leaf's switch produced outside `receive` (packets released by a control-plane write). */
  flushSwitch(name: string): void {
    const node = this.nodes.get(name);
    if (node?.kind !== 'leaf') return;
    const frames = node.dataplane.takePendingTransmit();
    if (frames.length > 0) this.fromSwitch(node, this.wirings.get(name)!, frames);
  }

  /** `node` sends `frame` out of `port` (dropped if the port is not cabled). */
  transmit(node: string, port: string, frame: Uint8Array): void {
    sendOn(this.portsOf(node), port, frame);
  }

  /**
   * Captures every link from now on: one pcap per link (file-name-safe link name → writer), with
   * the simulated time as timestamps, for Wireshark/tshark.
   */
  captureAll(): Map<string, PcapWriter> {
    const writers = new Map<string, PcapWriter>();
    for (const link of this.links) {
      const w = new PcapWriter();
      link.onCapture((t, frame) => w.add(t, frame));
      writers.set(link.name.replace(/[^A-Za-z0-9_.-]+/g, '_'), w);
    }
    return writers;
  }

  link(node: string, port: string): Link | undefined {
    return this.portsOf(node)?.get(port)?.link;
  }

  host(name: string): Host {
    const n = this.nodes.get(name);
    if (n?.kind !== 'host') throw new RangeError(`${name} is not a host`);
    return n.host;
  }
}

/** Sends `frame` out of `port` of the node whose ports are `ports` (dropped if it is not cabled). */
function sendOn(ports: PortEnds | undefined, port: string, frame: Uint8Array): void {
  const e = ports?.get(port);
  if (e) e.out.send(frame);
}
