/**
 * Lab topology files (YAML, read like a containerlab file): nodes, links, VNIs, test flows and
 * timed faults. `loadTopology` validates everything and reports every problem with file, line,
 * column and field; `buildLab` turns a topology into a running fabric.
 *
 * What a topology can express: spines (underlay routers), leaves (VTEPs with one or more uplinks)
 * and hosts (single-homed, or with `bond: lacp` an LACP bond over eth0 and eth1); VNIs in flood-and-learn mode (static head-end replication lists, seed 004) or EVPN
 * mode (MACs, MAC/IP bindings and flood lists from BGP EVPN), with optional ARP suppression;
 * gateways; UDP flows; faults.
 *
 * Underlay: `ebgp` (the default when any VNI uses EVPN) runs the real BGP speaker on every spine and
 * leaf over the emulated links, one eBGP session per spine–leaf link carrying IPv4 unicast (VTEP
 * addresses, ECMP) and L2VPN EVPN (spines relay it with the next hop unchanged), the RFC 7938 design
 * FRR and Cumulus use; spines share one AS, each leaf has its own. `static` computes the routes from
 * the links instead (each spine routes every VTEP /32 towards its leaf). Either way neighbours on
 * routed links are found with ARP. `overlay: { type: ibgp }` moves EVPN onto iBGP sessions between
 * loopbacks, the spines route reflectors. `overlay: { rt-constraint: true }` adds RFC 4684 route
 * target constraint to the EVPN sessions, so spines send each leaf only the routes it imports; it
 * pays off with each VNI's and VRF's `route-target` set (auto targets match under any AS, which a membership
 * cannot say, so a leaf with them asks for everything). Leaves age their FDBs (`mac-aging`); VRFs may
 * announce Type-5 prefixes (`advertise-subnets`, `prefixes`).
 */
import { ConfigContext, parseDuration, type ConfigNode } from '../config/reader.js';
import type { Ipv4Address, Mac, Vni } from '../wire/addr.js';
import { parseRouteTarget } from '../wire/bgp-community.js';
import { ipv4, ipv4FromNumber, ipv4ToNumber, mac as parseMac } from '../wire/addr.js';
import { BgpSpeaker, type FamilyName } from '../bgp/speaker.js';
import { EvpnService } from '../evpn/service.js';
import { UnderlayFib } from '../node/underlay.js';
import { VtepDevice } from '../node/device.js';
import { MlagDevice } from '../node/mlag-device.js';
import { MLAG_DAD_PORT, MLAG_PEER_PORT } from '../wire/mlag.js';
import { BFD_CONTROL_PORT } from '../wire/bfd.js';
import { LabControlPlane, DEFAULT_CONTROL_PLANE_COSTS, type ControlPlaneCosts } from './control-plane.js';
import { Fabric } from './fabric.js';
import { nsAtOrAfterMs } from './sim.js';
import { DEFAULT_AGING_NS } from '../dataplane/fdb.js';
import type { SimRouter } from '../dataplane/sim/router.js';
import type { PathAttribute } from '../wire/bgp-update.js';
import type { Host } from './host.js';

export interface TopologyNode {
  readonly name: string;
  readonly kind: 'spine' | 'leaf' | 'host';
  /** leaf: VTEP address. */
  readonly vtep?: Ipv4Address;
  /** host: address/prefix and MAC. */
  readonly ip?: Ipv4Address;
  readonly prefixLength?: number;
  readonly mac?: Mac;
  /** host: default gateway. */
  readonly gateway?: Ipv4Address;
  /** host: dual-homed with an LACP bond over eth0 and eth1 (`bond: lacp`). */
  readonly bond?: 'lacp';
  /** spine/leaf: BGP AS number (RFC 7938 §5.2.1: spines share one, each leaf its own). */
  readonly asn?: number;
}

export interface TopologyLink {
  readonly a: { readonly node: string; readonly port: string };
  readonly b: { readonly node: string; readonly port: string };
  readonly latencyNs: number;
  readonly bandwidthBps: number;
  readonly loss: number;
  readonly carrierDelayNs: number;
  /** `via-switch`: a path through a switch (a management network); each end has its own carrier. */
  readonly switched: boolean;
}

/**
 * Default time for a node to notice that a link went down: loss-of-signal detection plus link
 * debounce. Data-center switches range from ~0 (Arista default) to 100 ms (NX-OS default debounce);
 * 10 ms is a middle value. Override per link with `carrier-delay`.
 */
export const DEFAULT_CARRIER_DELAY_NS = 10_000_000;

export interface TopologyVni {
  readonly vni: number;
  readonly mode: 'flood-and-learn' | 'evpn';
  readonly arpSuppression: boolean;
  /** Leaf access ports in this VNI, "leaf:port". */
  readonly ports: readonly { readonly node: string; readonly port: string }[];
  /**
   * The VNI's routed interface and the leaves that hold it: one leaf is seed 004's centralized
   * gateway; every leaf of the VNI (`at` omitted) is a distributed anycast gateway.
   */
  readonly gateway?: {
    readonly ip: Ipv4Address;
    readonly prefixLength: number;
    readonly mac: Mac;
    readonly at: readonly string[];
    readonly vrf: string;
  };
  /**
   * `route-target`: the VNI's routes carry this route target and every leaf imports it, instead of
   * the auto target AS:VNI (which, matched under any AS, no RFC 4684 membership can express).
   */
  readonly routeTarget?: string;
}

/** A tenant VRF with an L3VNI: its gateways route between leaves with symmetric IRB (RFC 9135). */
export interface TopologyVrf {
  readonly name: string;
  readonly l3vni: number;
  /**
   * `advertise-subnets`: each leaf announces its gateway subnets in this VRF as EVPN Type-5 prefixes
   * (RFC 9136 §4.4.1, interface-less), so remote leaves route to hosts no Type-2 route names yet.
   */
  readonly advertiseSubnets: boolean;
  /** Further Type-5 prefixes (network/length) and the leaves that announce them. */
  readonly prefixes: readonly { readonly prefix: string; readonly at: readonly string[] }[];
  /** `route-target`: as a VNI's (`TopologyVni.routeTarget`), for the VRF's L3VNI routes. */
  readonly routeTarget?: string;
}

export interface TopologyFlow {
  readonly name: string;
  readonly from: string;
  readonly to: string;
  readonly rate: number;
  readonly startNs: number;
  readonly stopNs: number;
  readonly size: number;
}

export interface TopologyFault {
  readonly name: string;
  readonly atNs: number;
  readonly action: 'link-down' | 'link-up' | 'node-down' | 'node-up' | 'move-host' | 'drain' | 'undrain';
  /** link faults: "node:port" of one end of the link (several: ", "-joined); move-host: the host. */
  readonly target: string;
  /** link faults: every "node:port" the fault takes down or up at once (e.g. all of a leaf's uplinks). */
  readonly targets?: readonly string[];
  /** move-host: the leaf port ("leaf:port") the host is re-cabled to (a VM migration). */
  readonly to?: string;
}

/** An M-LAG pair of leaves (seed 001): one DFS group, a peer-link, a DAD link, dual-homed servers. */
export interface TopologyMlagPair {
  readonly name: string;
  readonly leaves: readonly [string, string];
  readonly virtualVtep: Ipv4Address;
  readonly systemMac: Mac;
  /** DFS priority per leaf (higher is master). */
  readonly priorities: readonly [number, number];
  /** The peer-link's port on each leaf, and the DAD link's. */
  readonly peerLink: readonly [string, string];
  readonly dadLink: readonly [string, string];
  readonly recoveryDelayNs: number;
  readonly bfdIntervalNs: number;
  readonly bfdMultiplier: number;
  /** Monitor-link: member ports follow the leaf's uplinks, back this long after one returns. */
  readonly monitorLink?: { readonly recoveryDelayNs: number };
  /** M-LAG id → the member port on each leaf. */
  readonly members: readonly { readonly id: number; readonly ports: readonly [string, string] }[];
}

/** Seed 001: the member ports of a device that rejoins come up this long after pairing (240 s). */
export const DEFAULT_MLAG_RECOVERY_DELAY_NS = 240e9;

/** Monitor-link's wait after an uplink returns before the members rejoin (a common vendor default). */
export const DEFAULT_MONITOR_LINK_RECOVERY_NS = 3e9;

export type UnderlayMode = 'static' | 'ebgp';

/**
 * How EVPN travels between leaves. `ebgp` (the default): on the underlay's eBGP sessions, the spines
 * relaying it with the next hop unchanged. `ibgp`: one iBGP session from each leaf's loopback to each
 * spine's, in one overlay AS, the spines route reflectors and the leaves their clients (RFC 4456),
 * while the underlay stays eBGP IPv4 unicast (the "eBGP underlay + iBGP overlay" design).
 */
/**
 * `rt-constraint`: EVPN sessions also carry RFC 4684 route target membership, so a spine sends each
 * leaf only the routes of the route targets it imports (leaves ask for their VNIs' `route-target`s;
 * spines, which keep everything, ask for all).
 */
export type TopologyOverlay =
  | { readonly type: 'ebgp'; readonly rtConstraint: boolean }
  | {
      readonly type: 'ibgp';
      readonly asn: number;
      readonly clusterId?: Ipv4Address;
      readonly rtConstraint: boolean;
    };

/** The overlay AS of `overlay: { type: ibgp }` when `asn` is not given (RFC 6996 private range). */
export const DEFAULT_OVERLAY_ASN = 65500;

/** A bonded host's ports (`bond: lacp`); other hosts have `eth0` only. */
const HOST_BOND_PORTS: readonly string[] = ['eth0', 'eth1'];

/** RFC 7938 §5.2.1 / RFC 6996 private ASNs: spines share this one, leaf N gets 65000 + N. */
export const DEFAULT_SPINE_ASN = 65000;

export interface Topology {
  readonly name: string;
  readonly description: string;
  readonly seed: number;
  readonly untilNs: number;
  readonly underlay: UnderlayMode;
  readonly overlay: TopologyOverlay;
  /** Modelled control-plane time (see `DEFAULT_CONTROL_PLANE_COSTS`). */
  readonly costs: ControlPlaneCosts;
  /** How long a leaf keeps a MAC it has not heard from (`mac-aging`, default 300 s). */
  readonly macAgingNs: number;
  readonly nodes: readonly TopologyNode[];
  readonly links: readonly TopologyLink[];
  readonly vnis: readonly TopologyVni[];
  readonly vrfs: readonly TopologyVrf[];
  readonly mlag: readonly TopologyMlagPair[];
  readonly flows: readonly TopologyFlow[];
  readonly faults: readonly TopologyFault[];
}

export { parseDuration } from '../config/reader.js';

/** "10G", "1g", "100M", "1e9" → bits per second. */
export function parseBandwidth(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kKmMgG]?)(?:bps|b\/s)?$/.exec(text.trim());
  if (!m) throw new Error('expected a rate like 10G, 100M or 1000000');
  const mult = { '': 1, k: 1e3, m: 1e6, g: 1e9 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(m[1]) * mult;
}

/** "10.1.0.10/24" → address and prefix length. */
function parseCidr(t: string): { ip: Ipv4Address; length: number } {
  const [a, l] = t.split('/');
  const length = Number(l);
  if (l === undefined || !Number.isInteger(length) || length < 0 || length > 32) {
    throw new Error('expected ADDRESS/LENGTH, e.g. 10.1.0.10/24');
  }
  return { ip: ipv4(a!), length };
}

function endpoint(
  n: ConfigNode,
  nodes: ReadonlyMap<string, TopologyNode>,
): { node: string; port: string } | undefined {
  const text = n.string({ required: true });
  const m = /^([^:\s]+):([^:\s]+)$/.exec(text);
  if (!m) {
    n.problem(`"${text}" is not an endpoint: write NODE:PORT, e.g. leaf1:eth1`);
    return undefined;
  }
  if (!nodes.has(m[1]!)) {
    n.problem(`no node named "${m[1]}" (nodes: ${[...nodes.keys()].join(', ')})`);
    return undefined;
  }
  return { node: m[1]!, port: m[2]! };
}

export function loadTopology(text: string, file: string): Topology {
  const ctx = new ConfigContext(file, text);
  const root = ctx.root();
  root.expectMap();
  root.allowOnly([
    'name',
    'description',
    'seed',
    'until',
    'underlay',
    'overlay',
    'control-plane',
    'mac-aging',
    'nodes',
    'links',
    'vrfs',
    'vnis',
    'mlag',
    'flows',
    'faults',
  ]);
  const name = root.field('name').string({ default: file });
  const description = root.field('description').string({ default: '' });
  const seed = root.field('seed').integer({ default: 1, min: 0, max: 0xffffffff });
  const untilNs = root.field('until').present
    ? (root.field('until').parsed(parseDuration, { what: 'duration' }) ?? 1e9)
    : 1e9;

  const nodes = new Map<string, TopologyNode>();
  const nodesField = root.field('nodes');
  if (!nodesField.present) nodesField.problem('required: the nodes of the lab (spines, leaves, hosts)');
  for (const [nodeName, n] of nodesField.entries()) {
    n.expectMap();
    const kind = n.field('kind').oneOf(['spine', 'leaf', 'host'] as const, { required: true });
    const asn = () =>
      n.field('asn').present ? { asn: n.field('asn').integer({ min: 1, max: 0xffffffff }) } : {};
    if (kind === 'spine') {
      n.allowOnly(['kind', 'asn']);
      nodes.set(nodeName, { name: nodeName, kind, ...asn() });
      continue;
    }
    if (kind === 'leaf') {
      n.allowOnly(['kind', 'vtep', 'asn']);
      const vtep = n.field('vtep').parsed(ipv4, { required: true, what: 'IPv4 VTEP address' });
      nodes.set(nodeName, { name: nodeName, kind, ...(vtep ? { vtep } : {}), ...asn() });
      continue;
    }
    if (kind === 'host') {
      n.allowOnly(['kind', 'ip', 'mac', 'gateway', 'bond']);
      const cidr = n.field('ip').parsed(parseCidr, { required: true, what: 'IPv4 address/prefix' });
      const hostMac = n.field('mac').present
        ? n.field('mac').parsed(parseMac, { what: 'MAC address' })
        : undefined;
      const gateway = n.field('gateway').present
        ? n.field('gateway').parsed(ipv4, { what: 'IPv4 gateway address' })
        : undefined;
      const bondField = n.field('bond');
      const bond = bondField.scalar();
      if (bond !== undefined && bond !== 'lacp')
        bondField.problem(
          `"${String(bond)}" is not a bond mode: write bond: lacp (an LACP bond over eth0 and eth1)`,
        );
      nodes.set(nodeName, {
        name: nodeName,
        kind,
        ...(cidr ? { ip: cidr.ip, prefixLength: cidr.length } : {}),
        ...(hostMac ? { mac: hostMac } : {}),
        ...(gateway ? { gateway } : {}),
        ...(bond === 'lacp' ? { bond } : {}),
      });
      continue;
    }
    nodes.set(nodeName, { name: nodeName, kind });
  }

  const links: TopologyLink[] = [];
  const used = new Set<string>();
  for (const l of root.field('links').list()) {
    l.expectMap();
    l.allowOnly(['a', 'b', 'latency', 'bandwidth', 'loss', 'carrier-delay', 'via-switch']);
    const a = endpoint(l.field('a'), nodes);
    const b = endpoint(l.field('b'), nodes);
    const latencyNs = l.field('latency').present
      ? (l.field('latency').parsed(parseDuration, { what: 'duration' }) ?? 1000)
      : 1000;
    const bandwidthBps = l.field('bandwidth').present
      ? (l.field('bandwidth').parsed(parseBandwidth, { what: 'bandwidth' }) ?? 10e9)
      : 10e9;
    const lossText = l.field('loss').scalar();
    const loss = typeof lossText === 'number' ? lossText : 0;
    if (lossText !== undefined && (typeof lossText !== 'number' || lossText < 0 || lossText > 1))
      l.field('loss').problem('expected a probability between 0 and 1');
    for (const [e, f] of [
      [a, 'a'],
      [b, 'b'],
    ] as const) {
      if (!e) continue;
      const k = `${e.node}:${e.port}`;
      if (used.has(k)) l.field(f).problem(`${k} is already cabled`);
      used.add(k);
      const host = nodes.get(e.node);
      if (host?.kind === 'host' && host.bond && !HOST_BOND_PORTS.includes(e.port))
        l.field(f).problem(`bonded hosts have two ports, eth0 and eth1 (got ${e.port})`);
      if (host?.kind === 'host' && !host.bond && e.port !== 'eth0')
        l.field(f).problem(
          `hosts have one port, eth0 (got ${e.port}; bond: lacp gives a host eth0 and eth1)`,
        );
    }
    const carrierDelayNs = l.field('carrier-delay').present
      ? (l.field('carrier-delay').parsed(parseDuration, { what: 'duration' }) ?? DEFAULT_CARRIER_DELAY_NS)
      : DEFAULT_CARRIER_DELAY_NS;
    const switched = l.field('via-switch').boolean({ default: false });
    if (a && b) links.push({ a, b, latencyNs, bandwidthBps, loss, carrierDelayNs, switched });
  }

  const vrfs: TopologyVrf[] = [];
  /** Prefix announcers to check once the VNIs say which leaves hold each VRF. */
  const announcers: { vrf: string; leaf: string; node: ConfigNode }[] = [];
  for (const v of root.field('vrfs').list()) {
    v.expectMap();
    v.allowOnly(['name', 'l3vni', 'advertise-subnets', 'prefixes', 'route-target']);
    const vrfName = v.field('name').string({ required: true });
    const l3vni = v.field('l3vni').integer({ required: true, min: 1, max: 0xffffff });
    if (vrfs.some((x) => x.name === vrfName)) v.field('name').problem(`VRF "${vrfName}" is defined twice`);
    if (vrfs.some((x) => x.l3vni === l3vni)) v.field('l3vni').problem(`L3VNI ${l3vni} is used twice`);
    const prefixes: { prefix: string; at: string[] }[] = [];
    for (const p of v.field('prefixes').list()) {
      p.expectMap();
      p.allowOnly(['prefix', 'at']);
      const cidr = p.field('prefix').parsed(parseCidr, { required: true, what: 'IPv4 prefix' });
      const at: string[] = [];
      for (const x of p.field('at').list({ required: true })) {
        const leaf = x.string({ required: true });
        if (nodes.get(leaf)?.kind !== 'leaf') x.problem(`"${leaf}" is not a leaf`);
        else announcers.push({ vrf: vrfName, leaf, node: x });
        at.push(leaf);
      }
      if (!cidr) continue;
      const network = networkOf(cidr.ip, cidr.length);
      if (network !== cidr.ip)
        p.field('prefix').problem(
          `${cidr.ip}/${cidr.length} has host bits set: write ${network}/${cidr.length}`,
        );
      prefixes.push({ prefix: `${network}/${cidr.length}`, at });
    }
    const routeTarget = readRouteTarget(v.field('route-target'));
    if (vrfName && l3vni)
      vrfs.push({
        name: vrfName,
        l3vni,
        advertiseSubnets: v.field('advertise-subnets').boolean({ default: false }),
        prefixes,
        ...(routeTarget !== undefined ? { routeTarget } : {}),
      });
  }
  const vnis: TopologyVni[] = [];
  for (const v of root.field('vnis').list()) {
    v.expectMap();
    v.allowOnly(['vni', 'mode', 'arp-suppression', 'ports', 'gateway', 'route-target']);
    const vni = v.field('vni').integer({ required: true, min: 1, max: 0xffffff });
    const mode = v.field('mode').oneOf(['flood-and-learn', 'evpn'] as const, { default: 'flood-and-learn' });
    const ports = v
      .field('ports')
      .list({ required: true })
      .map((p) => {
        const e = endpoint(p, nodes);
        if (e && nodes.get(e.node)?.kind !== 'leaf')
          p.problem(`${e.node} is not a leaf: VNI ports are leaf access ports`);
        return e;
      })
      .filter((e): e is { node: string; port: string } => e !== undefined);
    let gateway: TopologyVni['gateway'];
    const gw = v.field('gateway');
    if (gw.present && gw.expectMap()) {
      gw.allowOnly(['ip', 'mac', 'at', 'vrf']);
      const cidr = gw.field('ip').parsed(parseCidr, { required: true, what: 'IPv4 address/prefix' });
      const gwMac = gw.field('mac').present
        ? gw.field('mac').parsed(parseMac, { what: 'MAC address' })
        : undefined;
      // Without `at`, every leaf with a port in the VNI holds the gateway (distributed anycast).
      const at = gw.field('at').present
        ? gw
            .field('at')
            .list({ required: true })
            .map((x) => {
              const leaf = x.string({ required: true });
              if (nodes.get(leaf)?.kind !== 'leaf') x.problem(`"${leaf}" is not a leaf`);
              return leaf;
            })
        : [...new Set(ports.map((p) => p.node))];
      const vrf = gw.field('vrf').string({ default: 'default' });
      if (gw.field('vrf').present && vrfs.length > 0 && !vrfs.some((x) => x.name === vrf))
        gw.field('vrf').problem(`no VRF named "${vrf}" (vrfs: ${vrfs.map((x) => x.name).join(', ')})`);
      if (!gw.field('at').present && mode !== 'evpn')
        gw.problem('a distributed anycast gateway (no `at`) needs mode: evpn to reach remote hosts');
      if (cidr)
        gateway = {
          ip: cidr.ip,
          prefixLength: cidr.length,
          mac: gwMac ?? ('00:00:5e:00:01:01' as Mac),
          at,
          vrf,
        };
    }
    const routeTarget = readRouteTarget(v.field('route-target'));
    vnis.push({
      vni,
      mode,
      arpSuppression: v.field('arp-suppression').boolean(),
      ports,
      ...(gateway ? { gateway } : {}),
      ...(routeTarget !== undefined ? { routeTarget } : {}),
    });
  }

  const mlag = readMlag(root.field('mlag'), nodes, links, vnis);
  const { flows, faults } = readTimeline(root, untilNs, nodes, links, vnis, mlag);
  // A leaf reaches the underlay through its spines.
  for (const n of nodes.values()) {
    if (n.kind !== 'leaf') continue;
    const ups = links.filter(
      (l) =>
        (l.a.node === n.name && nodes.get(l.b.node)?.kind === 'spine') ||
        (l.b.node === n.name && nodes.get(l.a.node)?.kind === 'spine'),
    );
    if (ups.length === 0) nodesField.field(n.name).problem('a leaf needs at least one link to a spine');
  }
  for (const vrf of vrfs) {
    if (vnis.some((v) => v.vni === vrf.l3vni))
      root.field('vrfs').problem(`VRF ${vrf.name}: L3VNI ${vrf.l3vni} is also a VNI of a bridge domain`);
  }
  // A leaf announcing a VRF prefix must route in that VRF: hold one of its gateways.
  for (const a of announcers) {
    if (!vnis.some((v) => v.gateway?.vrf === a.vrf && v.gateway.at.includes(a.leaf)))
      a.node.problem(
        `${a.leaf} holds no gateway in VRF ${a.vrf}, so it could not route what the prefix draws`,
      );
  }
  const anyEvpn = vnis.some((v) => v.mode === 'evpn');
  const underlayField = root.field('underlay');
  const underlay = underlayField.oneOf(['static', 'ebgp'] as const, { default: anyEvpn ? 'ebgp' : 'static' });
  if (underlay === 'static' && anyEvpn)
    underlayField.problem('EVPN VNIs need BGP: use underlay: ebgp (the default when a VNI is in evpn mode)');
  if (mlag.length > 0 && !anyEvpn)
    root.field('mlag').problem('M-LAG pairs advertise their servers with EVPN: put the VNIs in mode: evpn');
  const overlay = readOverlay(root.field('overlay'), underlay, nodes);
  let costs = DEFAULT_CONTROL_PLANE_COSTS;
  const cp = root.field('control-plane');
  if (cp.present && cp.expectMap()) {
    cp.allowOnly(['per-update', 'per-install']);
    const d = (f: string, fallback: number) =>
      cp.field(f).present ? (cp.field(f).parsed(parseDuration, { what: 'duration' }) ?? fallback) : fallback;
    costs = {
      perUpdateNs: d('per-update', costs.perUpdateNs),
      perInstallNs: d('per-install', costs.perInstallNs),
    };
  }
  // IEEE 802.1Q §8.8.3 recommends an ageing time of 300 s; switches ship with it (NX-OS, EOS, Linux).
  const agingField = root.field('mac-aging');
  const macAgingNs = agingField.present
    ? (agingField.parsed(parseDuration, { what: 'duration' }) ?? DEFAULT_AGING_NS)
    : DEFAULT_AGING_NS;
  if (macAgingNs <= 0) agingField.problem('MAC aging needs a time above zero, e.g. 300s');
  ctx.finish();
  return {
    name,
    description,
    seed,
    untilNs,
    underlay,
    overlay,
    costs,
    macAgingNs,
    nodes: [...nodes.values()],
    links,
    vnis,
    vrfs,
    mlag,
    flows,
    faults,
  };
}

/** A `route-target` field: AS:N or IPv4:N as FRR reads them (`parseRouteTarget`); undefined when absent. */
function readRouteTarget(field: ConfigNode): string | undefined {
  if (!field.present) return undefined;
  return field.parsed(
    (text) => {
      parseRouteTarget(text);
      return text;
    },
    { what: 'route target (AS:N or IPv4:N)' },
  );
}

/** `overlay`: `{ type: ebgp }` (the default) or `{ type: ibgp, asn, cluster-id }`. */
function readOverlay(
  field: ConfigNode,
  underlay: UnderlayMode,
  nodes: ReadonlyMap<string, TopologyNode>,
): TopologyOverlay {
  if (!field.present || !field.expectMap()) return { type: 'ebgp', rtConstraint: false };
  field.allowOnly(['type', 'asn', 'cluster-id', 'rt-constraint']);
  const type = field.field('type').oneOf(['ebgp', 'ibgp'] as const, { default: 'ebgp' });
  const rtConstraint = field.field('rt-constraint').boolean({ default: false });
  if (rtConstraint && underlay !== 'ebgp')
    field.field('rt-constraint').problem('route target constraint needs BGP: use underlay: ebgp');
  if (type === 'ebgp') {
    for (const k of ['asn', 'cluster-id'])
      if (field.field(k).present) field.field(k).problem(`${k} applies to type: ibgp only`);
    return { type, rtConstraint };
  }
  if (underlay !== 'ebgp')
    field.field('type').problem('an iBGP overlay runs over the eBGP underlay: use underlay: ebgp');
  const asn = field.field('asn').integer({ default: DEFAULT_OVERLAY_ASN, min: 1, max: 0xffffffff });
  // The overlay AS is its own: a device whose underlay AS it is would see iBGP where eBGP is meant.
  for (const [device, deviceAsn] of underlayAsns(nodes.values()))
    if (deviceAsn === asn)
      field.field('asn').problem(`${asn} is ${device}'s underlay AS; the overlay needs an AS of its own`);
  const clusterId = field.field('cluster-id').present
    ? field.field('cluster-id').parsed(ipv4, { what: 'IPv4 cluster id' })
    : undefined;
  return { type, asn, ...(clusterId ? { clusterId } : {}), rtConstraint };
}

/** RFC 7938 §5.2.1 underlay ASes: spines `asn` or 65000, leaf N (in file order) `asn` or 65000 + N. */
function underlayAsns(nodes: Iterable<TopologyNode>): Map<string, number> {
  const asns = new Map<string, number>();
  let leafOrdinal = 0;
  for (const n of nodes) {
    if (n.kind === 'spine') asns.set(n.name, n.asn ?? DEFAULT_SPINE_ASN);
    if (n.kind === 'leaf') asns.set(n.name, n.asn ?? DEFAULT_SPINE_ASN + ++leafOrdinal);
  }
  return asns;
}

/** The other end of the link cabled at `node:port`. */
function cabledTo(links: readonly TopologyLink[], node: string, port: string) {
  for (const l of links) {
    if (l.a.node === node && l.a.port === port) return l.b;
    if (l.b.node === node && l.b.port === port) return l.a;
  }
  return undefined;
}

function readMlag(
  field: ConfigNode,
  nodes: ReadonlyMap<string, TopologyNode>,
  links: readonly TopologyLink[],
  vnis: readonly TopologyVni[],
): TopologyMlagPair[] {
  const pairs: TopologyMlagPair[] = [];
  const paired = new Set<string>();
  for (const [i, m] of field.list().entries()) {
    m.expectMap();
    m.allowOnly([
      'name',
      'leaves',
      'virtual-vtep',
      'system-mac',
      'priority',
      'peer-link',
      'dad-link',
      'recovery-delay',
      'bfd',
      'monitor-link',
      'members',
    ]);
    const name = m.field('name').string({ default: `mlag${i + 1}` });
    const leaves = m
      .field('leaves')
      .list({ required: true })
      .map((x) => {
        const leaf = x.string({ required: true });
        if (leaf && nodes.get(leaf)?.kind !== 'leaf') x.problem(`"${leaf}" is not a leaf`);
        else if (leaf && paired.has(leaf)) x.problem(`${leaf} is already in an M-LAG pair`);
        if (leaf) paired.add(leaf);
        return leaf;
      });
    if (leaves.length !== 2 || leaves[0] === leaves[1]) {
      m.field('leaves').problem('an M-LAG pair is two different leaves, e.g. [leaf1, leaf2]');
      continue;
    }
    const pair = leaves as unknown as [string, string];
    const virtualVtep = m
      .field('virtual-vtep')
      .parsed(ipv4, { required: true, what: 'IPv4 virtual VTEP address' });
    if (virtualVtep && [...nodes.values()].some((n) => n.vtep === virtualVtep))
      m.field('virtual-vtep').problem(`${virtualVtep} is a leaf's own VTEP address; the pair needs its own`);
    const systemMac = m.field('system-mac').present
      ? m.field('system-mac').parsed(parseMac, { what: 'MAC address' })
      : (autoMac(0x02, 0x4d, i + 1) as Mac);
    // A link between the two leaves, named by its port on either leaf.
    const between = (key: 'peer-link' | 'dad-link'): [string, string] | undefined => {
      const f = m.field(key);
      const e = endpoint(f, nodes);
      if (!e) return undefined;
      const other = cabledTo(links, e.node, e.port);
      const idx = pair.indexOf(e.node);
      if (idx < 0 || !other || other.node !== pair[1 - idx]) {
        f.problem(`${e.node}:${e.port} must be a port of ${pair[0]} or ${pair[1]} cabled to the other leaf`);
        return undefined;
      }
      return idx === 0 ? [e.port, other.port] : [other.port, e.port];
    };
    const peerLink = between('peer-link');
    const dadLink = between('dad-link');
    if (peerLink && dadLink && peerLink[0] === dadLink[0])
      m.field('dad-link').problem('the DAD link must not be the peer-link (seed 001: a separate path)');
    let priorities: [number, number] = [100, 100];
    const pf = m.field('priority');
    if (pf.present) {
      const list = pf.list().map((x) => x.integer({ required: true, min: 0, max: 65535 }) ?? 100);
      if (list.length === 2) priorities = [list[0]!, list[1]!];
      else pf.problem(`one DFS priority per leaf, e.g. [200, 100] for ${pair[0]} and ${pair[1]}`);
    }
    const recoveryDelayNs = m.field('recovery-delay').present
      ? (m.field('recovery-delay').parsed(parseDuration, { what: 'duration' }) ??
        DEFAULT_MLAG_RECOVERY_DELAY_NS)
      : DEFAULT_MLAG_RECOVERY_DELAY_NS;
    let bfdIntervalNs = 10e6;
    let bfdMultiplier = 3;
    const bf = m.field('bfd');
    if (bf.present && bf.expectMap()) {
      bf.allowOnly(['interval', 'multiplier']);
      if (bf.field('interval').present)
        bfdIntervalNs = bf.field('interval').parsed(parseDuration, { what: 'duration' }) ?? bfdIntervalNs;
      bfdMultiplier = bf.field('multiplier').integer({ default: 3, min: 1, max: 255 });
    }
    let monitorLink: { recoveryDelayNs: number } | undefined;
    const ml = m.field('monitor-link');
    if (ml.present) {
      if (ml.isMap) {
        ml.allowOnly(['recovery-delay']);
        const d = ml.field('recovery-delay');
        monitorLink = {
          recoveryDelayNs: d.present
            ? (d.parsed(parseDuration, { what: 'duration' }) ?? DEFAULT_MONITOR_LINK_RECOVERY_NS)
            : DEFAULT_MONITOR_LINK_RECOVERY_NS,
        };
      } else if (ml.boolean()) monitorLink = { recoveryDelayNs: DEFAULT_MONITOR_LINK_RECOVERY_NS };
    }
    const members: { id: number; ports: [string, string] }[] = [];
    for (const mem of m.field('members').list({ required: true })) {
      mem.expectMap();
      mem.allowOnly(['id', 'ports']);
      // LACP port numbers are base + id, the second leaf's base 0x8000, so ids stay below it.
      const id = mem.field('id').integer({ required: true, min: 1, max: 0x7fff });
      if (members.some((x) => x.id === id)) mem.field('id').problem(`M-LAG id ${id} is used twice`);
      const ports = mem
        .field('ports')
        .list({ required: true })
        .map((x) => endpoint(x, nodes));
      const onLeaf = (leaf: string) => ports.find((p) => p?.node === leaf);
      const a = onLeaf(pair[0]);
      const b = onLeaf(pair[1]);
      if (ports.length !== 2 || !a || !b) {
        mem.field('ports').problem(`one member port on each leaf, e.g. [${pair[0]}:eth1, ${pair[1]}:eth1]`);
        continue;
      }
      for (const p of [a, b]) {
        if (!vnis.some((v) => v.ports.some((x) => x.node === p.node && x.port === p.port)))
          mem
            .field('ports')
            .problem(`${p.node}:${p.port} is not a port of any VNI (add it to a VNI's ports)`);
        const host = cabledTo(links, p.node, p.port);
        if (!host || nodes.get(host.node)?.kind !== 'host')
          mem.field('ports').problem(`${p.node}:${p.port} is not cabled to a server`);
      }
      const ha = cabledTo(links, a.node, a.port);
      const hb = cabledTo(links, b.node, b.port);
      if (ha && hb && ha.node !== hb.node)
        mem.field('ports').problem(`the two member ports reach different servers (${ha.node}, ${hb.node})`);
      members.push({ id: id ?? 0, ports: [a.port, b.port] });
    }
    if (!virtualVtep || !peerLink || !dadLink) continue;
    pairs.push({
      name,
      leaves: pair,
      virtualVtep,
      systemMac: systemMac ?? (autoMac(0x02, 0x4d, i + 1) as Mac),
      priorities,
      peerLink,
      dadLink,
      recoveryDelayNs,
      bfdIntervalNs,
      bfdMultiplier,
      ...(monitorLink ? { monitorLink } : {}),
      members,
    });
  }
  return pairs;
}

/**
 * The timeline part of a topology or scenario file: `flows` (UDP flows with sequence numbers) and
 * `faults` (link/node failures and returns, VM moves), checked against the topology's nodes.
 */
function readTimeline(
  root: ConfigNode,
  untilNs: number,
  nodes: ReadonlyMap<string, TopologyNode>,
  links: readonly TopologyLink[],
  vnis: readonly TopologyVni[],
  mlag: readonly TopologyMlagPair[],
): { flows: TopologyFlow[]; faults: TopologyFault[] } {
  const flows: TopologyFlow[] = [];
  for (const f of root.field('flows').list()) {
    f.expectMap();
    f.allowOnly(['name', 'from', 'to', 'rate', 'start', 'stop', 'size', 'streams']);
    const from = f.field('from').string({ required: true });
    const to = f.field('to').string({ required: true });
    for (const [h, key] of [
      [from, 'from'],
      [to, 'to'],
    ] as const) {
      if (h && nodes.get(h)?.kind !== 'host') f.field(key).problem(`"${h}" is not a host`);
    }
    const startNs = f.field('start').present
      ? (f.field('start').parsed(parseDuration, { what: 'duration' }) ?? 0)
      : 0;
    const stopNs = f.field('stop').present
      ? (f.field('stop').parsed(parseDuration, { what: 'duration' }) ?? untilNs)
      : untilNs;
    if (stopNs <= startNs) f.field('stop').problem('a flow must stop after it starts');
    const name = f.field('name').string({ default: `${from}-to-${to}` });
    const flow = {
      from,
      to,
      rate: f.field('rate').integer({ default: 1000, min: 1, max: 10_000_000 }),
      startNs,
      stopNs,
      size: f.field('size').integer({ default: 64, min: 20, max: 1472 }),
    };
    // Parallel streams (iperf -P): flows name.1..name.N, each its own UDP source port, so hashes
    // (bond members, ECMP) spread them as they would spread separate connections.
    const streams = f.field('streams').integer({ default: 1, min: 1, max: 1024 });
    if (streams === 1) flows.push({ name, ...flow });
    else for (let k = 1; k <= streams; k++) flows.push({ name: `${name}.${k}`, ...flow });
  }

  const faults: TopologyFault[] = [];
  for (const f of root.field('faults').list()) {
    f.expectMap();
    f.allowOnly(['name', 'at', 'action', 'target', 'to']);
    const atNs = f.field('at').parsed(parseDuration, { required: true, what: 'duration' }) ?? 0;
    const action = f
      .field('action')
      .oneOf(['link-down', 'link-up', 'node-down', 'node-up', 'move-host', 'drain', 'undrain'] as const, {
        required: true,
      });
    if (action === 'drain' || action === 'undrain') {
      // Planned maintenance of an M-LAG leaf: servers and fabric steered to its peer first.
      const node = f.field('target').string({ required: true });
      if (node && !mlag.some((m) => m.leaves.includes(node)))
        f.field('target').problem(`"${node}" is not a leaf of an M-LAG pair`);
      faults.push({
        name: f.field('name').string({ default: `${action} ${node}` }),
        atNs,
        action,
        target: node,
      });
      continue;
    }
    if (action === 'node-down' || action === 'node-up') {
      // A device failure (or its return): every link of the node goes down (up) at once.
      const node = f.field('target').string({ required: true });
      if (node && !nodes.has(node)) f.field('target').problem(`no node named "${node}"`);
      faults.push({
        name: f.field('name').string({ default: `${action} ${node}` }),
        atNs,
        action,
        target: node,
      });
      continue;
    }
    if (action === 'move-host') {
      // A VM migration: the host is unplugged and re-appears on another leaf port, then sends a
      // gratuitous ARP (as hypervisors do after a live migration).
      const host = f.field('target').string({ required: true });
      if (host && nodes.get(host)?.kind !== 'host') f.field('target').problem(`"${host}" is not a host`);
      if (host && nodes.get(host)?.bond)
        f.field('target').problem(
          `"${host}" is bonded (bond: lacp): move-host moves single-homed hosts only`,
        );
      const to = endpoint(f.field('to'), nodes);
      if (to && nodes.get(to.node)?.kind !== 'leaf') f.field('to').problem(`${to.node} is not a leaf`);
      if (to && !vnis.some((v) => v.ports.some((p) => p.node === to.node && p.port === to.port))) {
        f.field('to').problem(`${to.node}:${to.port} is not a port of any VNI (add it to a VNI's ports)`);
      }
      if (to && cabledTo(links, to.node, to.port)) {
        f.field('to').problem(`${to.node}:${to.port} is already cabled`);
      }
      faults.push({
        name: f.field('name').string({ default: `move ${host}` }),
        atNs,
        action,
        target: host,
        ...(to ? { to: `${to.node}:${to.port}` } : {}),
      });
      continue;
    }
    const tf = f.field('target');
    const targets: string[] = [];
    for (const t of tf.isList ? tf.list({ required: true }) : [tf]) {
      const target = endpoint(t, nodes);
      if (!target) continue;
      if (!cabledTo(links, target.node, target.port))
        t.problem(`${target.node}:${target.port} is not cabled`);
      targets.push(`${target.node}:${target.port}`);
    }
    faults.push({
      name: f.field('name').string({ default: `${action} ${targets.join(', ')}` }),
      atNs,
      action,
      target: targets.join(', '),
      targets,
    });
  }
  return { flows, faults };
}

/**
 * A scenario file: a timeline (flows and faults, optional `until` and `seed`) run against a
 * topology, so one fabric can be put through several scenarios. The scenario's flows and faults
 * replace the ones the topology file carries.
 */
export function loadScenario(text: string, file: string, topology: Topology): Topology {
  const ctx = new ConfigContext(file, text);
  const root = ctx.root();
  root.expectMap();
  root.allowOnly(['name', 'description', 'seed', 'until', 'flows', 'faults']);
  const seed = root.field('seed').present
    ? root.field('seed').integer({ min: 0, max: 0xffffffff })
    : topology.seed;
  const untilNs = root.field('until').present
    ? (root.field('until').parsed(parseDuration, { what: 'duration' }) ?? topology.untilNs)
    : topology.untilNs;
  const nodes = new Map(topology.nodes.map((n) => [n.name, n]));
  const { flows, faults } = readTimeline(root, untilNs, nodes, topology.links, topology.vnis, topology.mlag);
  const name = root.field('name').string({ default: topology.name });
  ctx.finish();
  return { ...topology, name, seed, untilNs, flows, faults };
}

export interface BuiltLab {
  readonly topology: Topology;
  readonly fabric: Fabric;
  /** The control planes of BGP devices (spines and leaves with an eBGP underlay), by node. */
  readonly controls: ReadonlyMap<string, LabControlPlane>;
  /** The M-LAG side of each leaf of a pair, by leaf. */
  readonly mlagDevices: ReadonlyMap<string, MlagDevice>;
  readonly flowIds: ReadonlyMap<string, number>;
  readonly faultLog: {
    readonly name: string;
    readonly atNs: number;
    readonly action: string;
    readonly target: string;
    /** M-LAG labs: whether every pair's MAC and ARP tables agreed just before the next fault. */
    tablesAgree?: boolean;
  }[];
}

const LOCAL_ORIGIN: readonly PathAttribute[] = [{ type: 'origin', origin: 'igp' }];

/** A BGP device's control plane in the fabric, with its underlay FIB fed from BGP. */
function controlPlane(
  fabric: Fabric,
  name: string,
  router: SimRouter,
  speaker: BgpSpeaker,
  t: Topology,
  ownedPrefixes?: ReadonlySet<string>,
): LabControlPlane {
  const control = new LabControlPlane({
    sim: fabric.sim,
    random: fabric.sim.random.fork(name),
    router,
    speaker,
    costs: t.costs,
    transmit: (port, frame) => fabric.transmit(name, port, frame),
  });
  new UnderlayFib(speaker, router, {
    schedule: (write) =>
      control.cpu.install(() => {
        write();
        control.routesChanged();
      }),
    ...(ownedPrefixes ? { ownedPrefixes } : {}),
  });
  fabric.attachControl(name, control);
  return control;
}

/** The address of `ip`'s network of `length` bits. */
function networkOf(ip: Ipv4Address, length: number): Ipv4Address {
  const mask = length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
  return ipv4FromNumber((ipv4ToNumber(ip) & mask) >>> 0);
}

/**
 * The Type-5 prefixes (RFC 9136) `leaf` announces in `vrf`: its gateway subnets there when the VRF
 * says `advertise-subnets` (FRR's `advertise ipv4 unicast` with connected routes), and the VRF's
 * `prefixes` it is named for.
 */
function type5Prefixes(t: Topology, vrf: TopologyVrf, leaf: string): string[] {
  const out = new Set<string>();
  if (vrf.advertiseSubnets) {
    for (const v of t.vnis) {
      const g = v.gateway;
      if (g?.vrf === vrf.name && g.at.includes(leaf))
        out.add(`${networkOf(g.ip, g.prefixLength)}/${g.prefixLength}`);
    }
  }
  for (const p of vrf.prefixes) if (p.at.includes(leaf)) out.add(p.prefix);
  return [...out];
}

/** The shortest time between two aging sweeps of a leaf's FDB (Linux's bridge: HZ/10). */
const AGING_SWEEP_NS = 100_000_000;

/**
 * Ages a leaf's FDB as a switch does: a sweep when the oldest entry is due (not sooner than
 * `AGING_SWEEP_NS` after the last one, nor later than one aging time when the table is empty), its
 * events (MACs aged out) going to the leaf's control plane, which withdraws their EVPN routes.
 */
function ageMacs(fabric: Fabric, name: string, agingNs: number): void {
  const node = fabric.nodes.get(name);
  if (node?.kind !== 'leaf') return;
  const sw = node.dataplane;
  const sweep = (): void => {
    const now = fabric.sim.now;
    fabric.switchEvents(name, sw.poll(now));
    const next = sw.nextDeadline() ?? now + agingNs;
    fabric.sim.at(Math.max(next, now + AGING_SWEEP_NS), sweep);
  };
  fabric.sim.at(agingNs, sweep);
}

/** A device's loopback (iBGP overlay sessions): a /32 the router owns, on no link. */
function addLoopback(router: SimRouter, ip: Ipv4Address, mac: Mac): void {
  router.addInterface({ port: 'lo', mac, ip, prefixLength: 32 });
}

/** A leaf's router MAC for symmetric IRB (RFC 9135 §5.1), one per leaf. */
function routerMacOf(index: number): Mac {
  return autoMac(0x0c, index, 0xfc);
}

/** Deterministic MACs: 0c:<node index>:... for switches, 00:00:5e:... for hosts without one. */
function autoMac(prefix: number, index: number, port: number): Mac {
  const h = (n: number) => n.toString(16).padStart(2, '0');
  return `${h(prefix)}:00:00:${h(index >> 8)}:${h(index & 0xff)}:${h(port)}` as Mac;
}

/**
 * True when both devices of every M-LAG pair run and hold the same MAC table (VNI, MAC, M-LAG or
 * single-homed) and ARP/ND table (VNI, IP, MAC), as seed 001's sync promises.
 */
export function mlagTablesAgree(t: Topology, devices: ReadonlyMap<string, MlagDevice>): boolean {
  for (const pair of t.mlag) {
    const [a, b] = pair.leaves.map((l) => devices.get(l));
    if (!a || !b || !a.running || !b.running) return false;
    if (JSON.stringify(a.tables()) !== JSON.stringify(b.tables())) return false;
  }
  return true;
}

interface PairLink {
  readonly port: string;
  readonly ip: Ipv4Address;
  readonly mac: Mac;
  readonly peerIp: Ipv4Address;
}

/** Addresses of an M-LAG leaf on its peer-link and DAD link; the first leaf takes the even one. */
function mlagAddresses(
  of: { pair: TopologyMlagPair; side: 0 | 1; index: number },
  idx: number,
): { peerLink: PairLink; dadLink: PairLink } {
  const { pair, side } = of;
  const base = ipv4ToNumber('10.253.0.0' as Ipv4Address) + of.index * 256;
  const link = (offset: number, ports: readonly [string, string], macPort: number): PairLink => ({
    port: ports[side],
    ip: ipv4FromNumber(base + offset + side),
    mac: autoMac(0x0c, idx, macPort),
    peerIp: ipv4FromNumber(base + offset + 1 - side),
  });
  return { peerLink: link(0, pair.peerLink, 0xe0), dadLink: link(2, pair.dadLink, 0xe1) };
}

/** An M-LAG leaf's DFS group, LACP and BFD, bound to the lab: UDP over its routed pair links. */
function mlagDevice(
  t: Topology,
  fabric: Fabric,
  name: string,
  of: { pair: TopologyMlagPair; side: 0 | 1; index: number },
  links: { peerLink: PairLink; dadLink: PairLink },
  parts: {
    leaf: import('../dataplane/sim/switch.js').SimSwitch;
    speaker: BgpSpeaker;
    evpn: EvpnService;
    control: LabControlPlane;
    idx: number;
    uplinks: readonly string[];
  },
): MlagDevice {
  const { pair, side } = of;
  const { control, leaf } = parts;
  const memberPorts = pair.members.map((m) => ({ mlagId: m.id, port: m.ports[side] }));
  const leafVnis = t.vnis.filter((v) => v.ports.some((p) => p.node === name));
  const singleHomed = leafVnis
    .flatMap((v) => v.ports.filter((p) => p.node === name).map((p) => p.port))
    .filter((p) => !memberPorts.some((m) => m.port === p));
  const random = fabric.sim.random.fork(`mlag:${name}`);
  const sim = fabric.sim;
  const mlag = new MlagDevice(
    {
      name,
      dfs: {
        name,
        groupId: of.index + 1,
        priority: pair.priorities[side],
        systemMac: pair.systemMac,
        localMac: autoMac(0x0c, parts.idx, 0xfe),
        virtualVtepIp: pair.virtualVtep,
        vnis: leafVnis.map((v) => v.vni as Vni),
        gateways: leafVnis
          .filter((v) => v.gateway?.at.includes(name))
          .map((v) => ({
            vni: v.vni as Vni,
            ip: v.gateway!.ip,
            prefixLength: v.gateway!.prefixLength,
            mac: v.gateway!.mac,
          })),
        recoveryDelayMs: pair.recoveryDelayNs / 1e6,
      },
      ownVtepIp: leaf.config.vtepIp,
      members: memberPorts,
      nonMemberPorts: [...parts.uplinks, ...singleHomed],
      // Non-overlapping LACP port numbers: the second leaf's start at 0x8000.
      lacpPortBase: side === 0 ? 0 : 0x8000,
      bfd: { intervalMs: pair.bfdIntervalNs / 1e6, multiplier: pair.bfdMultiplier },
      ...(pair.monitorLink
        ? { monitorLink: { uplinks: parts.uplinks, recoveryDelayMs: pair.monitorLink.recoveryDelayNs / 1e6 } }
        : {}),
      random: () => random.next(),
    },
    { dataplane: leaf, speaker: parts.speaker, evpn: parts.evpn },
    {
      now: () => sim.now / 1e6,
      at: (ms, fire) => sim.at(nsAtOrAfterMs(ms), fire),
    },
    {
      sendPeer: (bytes) =>
        control.sendUdp(links.peerLink.ip, links.peerLink.peerIp, MLAG_PEER_PORT, MLAG_PEER_PORT, bytes),
      sendDad: (bytes) =>
        control.sendUdp(links.dadLink.ip, links.dadLink.peerIp, MLAG_DAD_PORT, MLAG_DAD_PORT, bytes),
      // RFC 5881 §4: source port 49152-65535, TTL 255.
      sendBfd: (bytes) =>
        control.sendUdp(links.dadLink.ip, links.dadLink.peerIp, 49152, BFD_CONTROL_PORT, bytes, 255),
      sendFrame: (port, frame) => fabric.transmit(name, port, frame),
      setPortEnabled: (port, enabled) => fabric.setPortEnabled(name, port, enabled),
      submit: (work) => control.submit(work),
      schedule: (write) =>
        control.cpu.install(() => {
          write();
          fabric.flushSwitch(name);
        }),
    },
  );
  control.onUdp(MLAG_PEER_PORT, (d) => {
    if (d.src === links.peerLink.peerIp) mlag.receivePeer(d.payload);
  });
  control.onUdp(MLAG_DAD_PORT, (d) => {
    if (d.src === links.dadLink.peerIp) mlag.receiveDad(d.payload);
  });
  control.onUdp(BFD_CONTROL_PORT, (d) => {
    // RFC 5881 §5: single-hop BFD packets must arrive with TTL 255 (GTSM).
    if (d.src === links.dadLink.peerIp && d.ttl === 255) mlag.receiveBfd(d.payload);
  });
  control.onPortState((port, up) => {
    if (port === links.peerLink.port) mlag.peerLinkState(up);
    else if (port === links.dadLink.port) mlag.dadLinkState(up);
    else mlag.uplinkState(port, up);
  });
  fabric.attachAccessControl(name, {
    carrier: (port, up) => mlag.carrier(port, up),
    slowProtocols: (port, frame) => mlag.slowProtocols(port, frame),
  });
  fabric.onSwitchEvents(name, (events) => mlag.switchEvents(events));
  // Every cabled port starts with carrier (links start up).
  mlag.peerLinkState(true);
  mlag.dadLinkState(true);
  for (const m of memberPorts) mlag.carrier(m.port, true);
  return mlag;
}

export function buildLab(t: Topology): BuiltLab {
  const fabric = new Fabric(t.seed);
  const index = new Map(t.nodes.map((n, i) => [n.name, i + 1]));
  const byName = new Map(t.nodes.map((n) => [n.name, n]));
  const bgp = t.underlay === 'ebgp';
  // Underlay addressing: each spine-leaf link gets a /31 from 10.254.0.0/16 (spine .0, leaf .1).
  let linkNet = ipv4ToNumber('10.254.0.0' as Ipv4Address);
  const uplinks = new Map<string, { leafPort: string; spine: string; spinePort: string }[]>();
  const controls = new Map<string, LabControlPlane>();
  const asns = underlayAsns(t.nodes);
  const overlay = t.overlay.type === 'ibgp' ? t.overlay : undefined;
  // iBGP overlay sessions run between loopbacks: a spine's is its router id (10.255.255.N), leaf
  // N's is 10.252.0.N; each device announces its own into the underlay.
  const loopbacks = new Map<string, Ipv4Address>();
  let leafOrdinal = 0;
  let spineOrdinal = 0;
  for (const n of t.nodes) {
    if (n.kind === 'spine') {
      const router = fabric.addRouter(n.name);
      spineOrdinal++;
      const routerId = ipv4FromNumber(ipv4ToNumber('10.255.255.0' as Ipv4Address) + spineOrdinal);
      if (bgp) {
        const speaker = new BgpSpeaker({
          localAs: asns.get(n.name)!,
          routerId,
          hostname: n.name,
          // RFC 4456 §7: CLUSTER_ID, the router id unless the overlay names one for all spines.
          ...(overlay?.clusterId ? { clusterId: overlay.clusterId } : {}),
        });
        controls.set(n.name, controlPlane(fabric, n.name, router, speaker, t));
        if (overlay) {
          loopbacks.set(n.name, routerId);
          addLoopback(router, routerId, autoMac(0x0e, index.get(n.name)!, 0));
          speaker.originateIpv4({ prefix: routerId, length: 32 }, LOCAL_ORIGIN, '0.0.0.0' as Ipv4Address);
        }
      }
    }
    if (n.kind === 'leaf' && overlay)
      loopbacks.set(n.name, ipv4FromNumber(ipv4ToNumber('10.252.0.0' as Ipv4Address) + ++leafOrdinal));
  }
  // Underlay sessions carry EVPN too unless an iBGP overlay does.
  const evpnFamilies: FamilyName[] = t.overlay.rtConstraint
    ? ['l2vpn-evpn', 'rt-constraint']
    : ['l2vpn-evpn'];
  const underlayFamilies: FamilyName[] = overlay ? ['ipv4-unicast'] : ['ipv4-unicast', ...evpnFamilies];
  for (const l of t.links) {
    for (const [x, y] of [
      [l.a, l.b],
      [l.b, l.a],
    ] as const) {
      if (byName.get(x.node)?.kind === 'leaf' && byName.get(y.node)?.kind === 'spine') {
        const list = uplinks.get(x.node) ?? [];
        list.push({ leafPort: x.port, spine: y.node, spinePort: y.port });
        uplinks.set(x.node, list);
      }
    }
  }
  const spinePorts = new Map<string, number>();
  const pairOf = new Map<string, { pair: TopologyMlagPair; side: 0 | 1; index: number }>();
  t.mlag.forEach((pair, index) =>
    pair.leaves.forEach((leaf, side) => pairOf.set(leaf, { pair, side: side as 0 | 1, index })),
  );
  const mlagDevices = new Map<string, MlagDevice>();
  for (const n of t.nodes) {
    if (n.kind !== 'leaf') continue;
    const idx = index.get(n.name)!;
    const mlagOf = pairOf.get(n.name);
    // Symmetric IRB towards an M-LAG pair goes to its virtual VTEP, which either device may
    // receive: both share one router MAC (as they share the VTEP), taken from the pair's number.
    const routerMac = mlagOf ? autoMac(0x0c, 0x4d00 + mlagOf.index, 0xfc) : routerMacOf(idx);
    const { dataplane: leaf, underlay } = fabric.addRoutedLeaf(n.name, {
      ...(mlagOf ? { virtualVtepIp: mlagOf.pair.virtualVtep } : {}),
      agingNs: t.macAgingNs,
      vtepIp: n.vtep!,
      switchMac: autoMac(0x0c, idx, 0xfe),
      routerMac: autoMac(0x0c, idx, 0xfd),
    });
    const leafAsn = asns.get(n.name)!;
    const speaker = bgp
      ? new BgpSpeaker({ localAs: leafAsn, routerId: n.vtep!, hostname: n.name })
      : undefined;
    const loopback = loopbacks.get(n.name);
    if (loopback) addLoopback(underlay, loopback, autoMac(0x0c, idx, 0));
    const hops: { port: string; via: Ipv4Address }[] = [];
    (uplinks.get(n.name) ?? []).forEach((u, i) => {
      const spine = fabric.nodes.get(u.spine);
      if (spine?.kind !== 'router') return;
      const k = (spinePorts.get(u.spine) ?? 0) + 1;
      spinePorts.set(u.spine, k);
      const leafMac = autoMac(0x0c, idx, i + 1);
      const spineMac = autoMac(0x0e, index.get(u.spine)!, k);
      const spineIp = ipv4FromNumber(linkNet);
      const leafIp = ipv4FromNumber(linkNet + 1);
      linkNet += 2;
      underlay.addInterface({ port: u.leafPort, mac: leafMac, ip: leafIp, prefixLength: 31 });
      spine.router.addInterface({ port: u.spinePort, mac: spineMac, ip: spineIp, prefixLength: 31 });
      // Each end finds the other's MAC with ARP (RFC 826) when it first sends to it.
      if (speaker) {
        // One eBGP session per link, both families (RFC 7938 §5.2; FRR's `neighbor X interface`).
        speaker.addPeer({
          address: spineIp,
          remoteAs: asns.get(u.spine)!,
          localAddress: leafIp,
          families: underlayFamilies,
          description: u.spine,
        });
        const spineSpeaker = controls.get(u.spine)!.speaker;
        spineSpeaker.addPeer({
          address: leafIp,
          remoteAs: leafAsn,
          localAddress: spineIp,
          families: underlayFamilies,
          description: n.name,
        });
        const spineLoopback = loopbacks.get(u.spine);
        if (overlay && loopback && spineLoopback && !speaker.peer(spineLoopback)) {
          // One iBGP EVPN session per leaf and spine, loopback to loopback, in the overlay AS (RFC
          // 7705 local-as on both ends), the spine reflecting its clients' routes (RFC 4456 §6).
          speaker.addPeer({
            address: spineLoopback,
            remoteAs: overlay.asn,
            localAs: overlay.asn,
            localAddress: loopback,
            families: evpnFamilies,
            description: `${u.spine} (overlay)`,
          });
          spineSpeaker.addPeer({
            address: loopback,
            remoteAs: overlay.asn,
            localAs: overlay.asn,
            localAddress: spineLoopback,
            families: evpnFamilies,
            routeReflectorClient: true,
            description: `${n.name} (overlay)`,
          });
        }
      } else {
        spine.router.setRoute(n.vtep!, 32, [{ port: u.spinePort, via: leafIp }]);
        hops.push({ port: u.leafPort, via: spineIp });
      }
    });
    if (!speaker) underlay.setRoute('0.0.0.0' as Ipv4Address, 0, hops);
    const evpnVnis: { vni: number; vrf?: string; routeTarget?: string }[] = [];
    const leafVrfs = new Map<string, TopologyVrf>();
    for (const v of t.vnis) {
      const ports = v.ports.filter((p) => p.node === n.name);
      const isGateway = v.gateway?.at.includes(n.name) === true;
      if (ports.length === 0 && !isGateway) continue;
      // Flood-and-learn: head-end replication to every other VTEP of the VNI (leaves with its ports
      // and its gateways). EVPN: the list comes from Type-3 routes.
      const members = new Set([...v.ports.map((p) => p.node), ...(v.gateway?.at ?? [])]);
      members.delete(n.name);
      const floodList = v.mode === 'evpn' ? [] : [...members].map((m) => byName.get(m)!.vtep!);
      leaf.addBridgeDomain({ vni: v.vni, mode: v.mode, arpSuppression: v.arpSuppression, floodList });
      const vrf = isGateway ? t.vrfs.find((x) => x.name === v.gateway!.vrf) : undefined;
      if (vrf && !leafVrfs.has(vrf.name)) {
        leafVrfs.set(vrf.name, vrf);
        leaf.addVrf({ name: vrf.name, l3vni: vrf.l3vni, routerMac });
      }
      if (v.mode === 'evpn')
        evpnVnis.push({
          vni: v.vni,
          ...(vrf ? { vrf: vrf.name } : {}),
          ...(v.routeTarget !== undefined ? { routeTarget: v.routeTarget } : {}),
        });
      for (const p of ports) leaf.addPort({ name: p.port, mode: 'access', vni: v.vni });
      // Seed 004 §4.2.2: a gateway leaf routes between the VNIs it holds gateways for.
      if (isGateway)
        leaf.addGateway({
          vni: v.vni,
          ip: v.gateway!.ip,
          prefixLength: v.gateway!.prefixLength,
          mac: v.gateway!.mac,
          vrf: v.gateway!.vrf,
        });
    }
    // M-LAG: the peer-link and the DAD link are routed point-to-point links between the pair
    // (10.253.<pair>.0/31 and .2/31); an eBGP session over the peer-link gives each device a way
    // into the fabric through its peer when its own uplinks fail (seed 001 "uplink failure").
    const pairLinks = mlagOf ? mlagAddresses(mlagOf, idx) : undefined;
    if (mlagOf && pairLinks && speaker) {
      const { pair, side } = mlagOf;
      const peerName = pair.leaves[1 - side]!;
      for (const l of [pairLinks.peerLink, pairLinks.dadLink])
        underlay.addInterface({ port: l.port, mac: l.mac, ip: l.ip, prefixLength: 31 });
      speaker.addPeer({
        address: pairLinks.peerLink.peerIp,
        remoteAs: asns.get(peerName)!,
        localAddress: pairLinks.peerLink.ip,
        families: underlayFamilies,
        description: `${peerName} (peer-link)`,
      });
      leaf.setMlag({ virtualVtepIp: pair.virtualVtep, peerVtepIp: byName.get(peerName)!.vtep! });
    }
    if (speaker) {
      const owned = mlagOf ? new Set([`${mlagOf.pair.virtualVtep}/32`]) : undefined;
      const control = controlPlane(fabric, n.name, underlay, speaker, t, owned);
      controls.set(n.name, control);
      // RFC 7938 §5.2.3: each leaf announces its VTEP address into the underlay.
      speaker.originateIpv4({ prefix: n.vtep!, length: 32 }, LOCAL_ORIGIN, '0.0.0.0' as Ipv4Address);
      if (loopback)
        speaker.originateIpv4({ prefix: loopback, length: 32 }, LOCAL_ORIGIN, '0.0.0.0' as Ipv4Address);
      if (evpnVnis.length > 0) {
        const evpn = new EvpnService(speaker, {
          routerId: n.vtep!,
          // Route targets AS:VNI in the AS that carries EVPN (the overlay's when it has one).
          asn: overlay ? overlay.asn : leafAsn,
          // An M-LAG leaf's routes (Type-3, dual-homed MACs) name the pair's virtual VTEP.
          vtepIp: mlagOf ? mlagOf.pair.virtualVtep : n.vtep!,
          ...(mlagOf ? { ownVtepIp: n.vtep! } : {}),
          vnis: evpnVnis.map((v) => ({
            vni: v.vni,
            ...(v.vrf !== undefined ? { vrf: v.vrf } : {}),
            rd: 'auto',
            importTargets: [v.routeTarget ?? 'auto'],
            exportTargets: [v.routeTarget ?? 'auto'],
            macs: [],
          })),
          vrfs: [...leafVrfs.values()].map((v) => ({
            name: v.name,
            l3vni: v.l3vni,
            routerMac,
            rd: 'auto',
            importTargets: [v.routeTarget ?? 'auto'],
            exportTargets: [v.routeTarget ?? 'auto'],
            prefixes: type5Prefixes(t, v, n.name),
          })),
        });
        const device = new VtepDevice({
          speaker,
          evpn,
          dataplane: leaf,
          schedule: (write) =>
            control.cpu.install(() => {
              write();
              fabric.flushSwitch(n.name);
            }),
        });
        control.onStart(() => evpn.start());
        if (mlagOf && pairLinks) {
          const mlag = mlagDevice(t, fabric, n.name, mlagOf, pairLinks, {
            leaf,
            speaker,
            evpn,
            control,
            idx,
            uplinks: (uplinks.get(n.name) ?? []).map((u) => u.leafPort),
          });
          mlagDevices.set(n.name, mlag);
        } else {
          fabric.onSwitchEvents(n.name, (events) =>
            control.submit(() => device.onSwitchEvents(events, fabric.sim.now)),
          );
        }
      }
    }
  }
  for (const n of t.nodes) if (n.kind === 'leaf') ageMacs(fabric, n.name, t.macAgingNs);
  for (const c of controls.values()) fabric.sim.at(0, () => c.start());
  for (const m of mlagDevices.values()) fabric.sim.at(0, () => m.start());
  const hosts = new Map<string, Host>();
  for (const n of t.nodes) {
    if (n.kind !== 'host') continue;
    hosts.set(
      n.name,
      fabric.addHost({
        name: n.name,
        mac: n.mac ?? autoMac(0x02, index.get(n.name)!, 0),
        ip: n.ip!,
        prefixLength: n.prefixLength!,
        ...(n.gateway ? { gateway: n.gateway } : {}),
        ...(n.bond === 'lacp' ? { bond: { ports: HOST_BOND_PORTS } } : {}),
      }),
    );
  }
  for (const l of t.links) {
    fabric.connect(l.a.node, l.a.port, l.b.node, l.b.port, {
      latencyNs: l.latencyNs,
      bandwidthBps: l.bandwidthBps,
      loss: l.loss,
      carrierDelayNs: l.carrierDelayNs,
      switched: l.switched,
    });
  }
  const flowIds = new Map<string, number>();
  t.flows.forEach((f, i) => {
    const id = i + 1;
    flowIds.set(f.name, id);
    const src = hosts.get(f.from)!;
    const dst = byName.get(f.to)!;
    const count = Math.floor(((f.stopNs - f.startNs) * f.rate) / 1e9);
    fabric.sim.at(f.startNs, () =>
      src.startFlow({ name: f.name, dst: dst.ip!, rate: f.rate, count, size: f.size }, id),
    );
  });
  const faultLog: BuiltLab['faultLog'] = [];
  /** Plugs `node:port`'s cable in or out (on a switched link, only that end's). */
  const linkEnd = (node: string, port: string) => {
    const link = fabric.link(node, port);
    if (!link) return undefined;
    const end = link.a.node === node && link.a.port === port ? link.a : link.b;
    return (up: boolean) => link.setUp(up, end);
  };
  for (const f of t.faults) {
    fabric.sim.at(f.atNs, () => {
      const previous = faultLog[faultLog.length - 1];
      if (previous && mlagDevices.size > 0) previous.tablesAgree = mlagTablesAgree(t, mlagDevices);
      if (f.action === 'move-host') {
        const [leaf, port] = f.to!.split(':') as [string, string];
        fabric.disconnect(f.target, 'eth0');
        const old = t.links.find((l) => l.a.node === f.target || l.b.node === f.target);
        fabric.connect(
          f.target,
          'eth0',
          leaf,
          port,
          old ? { latencyNs: old.latencyNs, bandwidthBps: old.bandwidthBps } : {},
        );
        fabric.host(f.target).gratuitousArp();
      } else if (f.action === 'node-down' || f.action === 'node-up') {
        for (const l of t.links) {
          const end = l.a.node === f.target ? l.a : l.b.node === f.target ? l.b : undefined;
          if (end) linkEnd(end.node, end.port)?.(f.action === 'node-up');
        }
        const control = controls.get(f.target);
        if (f.action === 'node-down') {
          control?.halt();
          mlagDevices.get(f.target)?.halt();
        } else {
          control?.start();
          mlagDevices.get(f.target)?.start();
        }
      } else if (f.action === 'drain' || f.action === 'undrain') {
        mlagDevices.get(f.target)?.drain(f.action === 'drain');
      } else {
        for (const t of f.targets ?? [f.target]) {
          const [node, port] = t.split(':') as [string, string];
          linkEnd(node, port)?.(f.action === 'link-up');
        }
      }
      faultLog.push({
        name: f.name,
        atNs: f.atNs,
        action: f.action,
        target: f.to ? `${f.target} → ${f.to}` : f.target,
      });
    });
  }
  return { topology: t, fabric, controls, mlagDevices, flowIds, faultLog };
}
