/**
 * A Linux bridge + vxlan device per VNI inside a lab namespace, so FRR's `advertise-all-vni` has a VNI
 * to advertise (Type-3), plus an access port towards a "host" namespace and static MACs on it (Type-2).
 *
 * Traditional bridge, one per VNI (no VLAN-aware bridge on this kernel); the VTEP address belongs on
 * `lo` (`ns.addLoopback`).
 */
import { execSync, type Lab, type Netns } from './netns.js';

export interface VniOptions {
  readonly vni: number;
  /** VTEP source address (`local`); put it on lo with ns.addLoopback. */
  readonly localVtep: string;
  /** Default `br<vni>`. */
  readonly bridge?: string;
  /** Default `vxlan<vni>`. */
  readonly vxlan?: string;
  /** Default 4789. */
  readonly dstport?: number;
  /** Kernel MAC learning on the vxlan device (default false: `nolearning`, as EVPN wants). */
  readonly learning?: boolean;
  readonly neighSuppress?: boolean;
  /**
   * An access port: a veth from the bridge to a new "host" namespace (default true). `mac` fixes the
   * host's MAC; `address` (CIDR) gives it an IP. The host's MAC is learned (and FRR advertises it) only
   * once the host sends a frame; IPv6 autoconf is off on it so it stays quiet unless told otherwise.
   */
  readonly host?: boolean | { readonly mac?: string; readonly address?: string };
}

export interface Vni {
  readonly ns: Netns;
  readonly vni: number;
  readonly bridge: string;
  readonly vxlan: string;
  /** Bridge port of the access veth, if any (use it for static MACs). */
  readonly accessPort?: string;
  readonly hostNs?: Netns;
  /** The host's interface inside hostNs. */
  readonly hostIf?: string;
}

/** Creates bridge + vxlan (+ access port and host namespace) for one VNI, all up. */
export function addVni(lab: Lab, ns: Netns, o: VniOptions): Vni {
  const bridge = o.bridge ?? `br${o.vni}`;
  const vxlan = o.vxlan ?? `vxlan${o.vni}`;
  ns.ip('link', 'add', bridge, 'type', 'bridge', 'stp_state', '0');
  ns.ip('link', 'set', 'dev', bridge, 'addrgenmode', 'none');
  ns.ip(
    'link',
    'add',
    vxlan,
    'type',
    'vxlan',
    'id',
    String(o.vni),
    'local',
    o.localVtep,
    'dstport',
    String(o.dstport ?? 4789),
    ...(o.learning ? [] : ['nolearning']),
  );
  ns.ip('link', 'set', 'dev', vxlan, 'addrgenmode', 'none');
  ns.ip('link', 'set', 'dev', vxlan, 'master', bridge);
  if (o.neighSuppress) ns.ip('link', 'set', 'dev', vxlan, 'type', 'bridge_slave', 'neigh_suppress', 'on');
  ns.linkUp(vxlan);
  ns.linkUp(bridge);
  const host = o.host ?? true;
  if (!host) return { ns, vni: o.vni, bridge, vxlan };
  const hostOpts = typeof host === 'object' ? host : {};
  const hostNs = lab.netns(`h${o.vni}`);
  const accessPort = `acc${o.vni}`.slice(0, 15);
  const v = lab.veth(ns, hostNs, {
    nameA: accessPort,
    nameB: 'eth0',
    up: false,
    ...(hostOpts.mac ? { macB: hostOpts.mac } : {}),
  });
  ns.ip('link', 'set', 'dev', accessPort, 'addrgenmode', 'none');
  hostNs.ip('link', 'set', 'dev', 'eth0', 'addrgenmode', 'none');
  ns.ip('link', 'set', 'dev', accessPort, 'master', bridge);
  if (hostOpts.address) hostNs.addAddress('eth0', hostOpts.address);
  ns.linkUp(accessPort);
  hostNs.linkUp('eth0');
  return { ns, vni: o.vni, bridge, vxlan, accessPort: v.a.name, hostNs, hostIf: 'eth0' };
}

/** `bridge fdb add MAC dev PORT master static` (FRR originates a Type-2 route for it). */
export function addStaticMac(ns: Netns, port: string, mac: string): void {
  execSync(ns, 'bridge', ['fdb', 'add', mac, 'dev', port, 'master', 'static']);
}

export function delStaticMac(ns: Netns, port: string, mac: string): void {
  execSync(ns, 'bridge', ['fdb', 'del', mac, 'dev', port, 'master', 'static']);
}

export interface FdbEntry {
  readonly mac: string;
  readonly ifname: string;
  readonly master?: string;
  /** Remote VTEP for vxlan entries. */
  readonly dst?: string;
  readonly state?: string;
  readonly flags: readonly string[];
}

/** `bridge -j fdb show [br BRIDGE]`, parsed. EVPN-installed MACs carry the flag 'extern_learn'. */
export function bridgeFdb(ns: Netns, bridge?: string): FdbEntry[] {
  const out = execSync(ns, 'bridge', ['-j', 'fdb', 'show', ...(bridge ? ['br', bridge] : [])]);
  const rows = JSON.parse(out.trim() === '' ? '[]' : out) as Record<string, unknown>[];
  return rows.map((r) => ({
    mac: String(r.mac),
    ifname: String(r.ifname),
    ...(typeof r.master === 'string' ? { master: r.master } : {}),
    ...(typeof r.dst === 'string' ? { dst: r.dst } : {}),
    ...(typeof r.state === 'string' ? { state: r.state } : {}),
    flags: Array.isArray(r.flags) ? (r.flags as string[]) : [],
  }));
}
