/**
 * The underlay FIB from BGP IPv4 unicast (RFC 7938 §5: eBGP as the data-center routing protocol).
 *
 * Every change to a prefix's paths (best or not) reinstalls the prefix with all its equal-cost
 * paths as ECMP next hops (RFC 7938 §6.3), each the neighbour's port and address. Locally
 * originated prefixes (our VTEP address) are not installed: the device already owns them.
 *
 * The same code drives the lab's router and, later, the kernel's routes in the daemon: only the
 * `RouteTable` behind it differs.
 */
import type { BgpSpeaker } from '../bgp/speaker.js';
import { LOCAL_PEER } from '../bgp/rib.js';
import type { Ipv4Address } from '../wire/addr.js';

/** A BGP next hop on a connected subnet: the port it is on and its address (ARP finds its MAC). */
export interface UnderlayNextHop {
  readonly port: string;
  readonly via: Ipv4Address;
}

/** The forwarding table the routes go into (the sim router; the kernel's main table in the daemon). */
export interface RouteTable {
  setRoute(prefix: Ipv4Address, length: number, nextHops: readonly UnderlayNextHop[]): void;
  /** The port of a directly connected BGP next hop. */
  resolveNeighbor(ip: Ipv4Address): UnderlayNextHop | undefined;
}

export interface UnderlayFibOptions {
  /**
   * Runs a FIB change: at once by default; the lab passes its control-plane CPU so installs take
   * the time they take on a switch.
   */
  readonly schedule?: (install: () => void) => void;
  /**
   * Prefixes the device reaches inside itself whether or not it announces them (an M-LAG pair's
   * virtual VTEP, withdrawn while the device drains): BGP never routes them elsewhere.
   */
  readonly ownedPrefixes?: ReadonlySet<string>;
}

export class UnderlayFib {
  /** Prefixes installed, with their ECMP width (for `show` and tests). */
  readonly installed = new Map<string, number>();
  private readonly dirty = new Set<string>();

  constructor(
    private readonly speaker: BgpSpeaker,
    private readonly table: RouteTable,
    private readonly options: UnderlayFibOptions = {},
  ) {
    speaker.ipv4.watchPaths((key) => this.changed(key));
  }

  private changed(key: string): void {
    // Several path changes of one prefix in one batch become one FIB write.
    if (this.dirty.has(key)) return;
    this.dirty.add(key);
    const install = () => {
      this.dirty.delete(key);
      this.install(key);
    };
    if (this.options.schedule) this.options.schedule(install);
    else install();
  }

  private install(key: string): void {
    const paths = this.speaker.ipv4.multipath(key);
    const [prefix, lengthText] = key.split('/') as [Ipv4Address, string];
    const length = Number(lengthText);
    // Our own prefix (the VTEP address) is reached inside the device: its route is not BGP's.
    if (this.options.ownedPrefixes?.has(key) || paths.some((p) => p.peer.id === LOCAL_PEER.id)) return;
    const hops: UnderlayNextHop[] = [];
    for (const p of paths) {
      const hop = this.table.resolveNeighbor(p.attrs.nextHop as Ipv4Address);
      if (hop && !hops.some((h) => h.port === hop.port && h.via === hop.via)) hops.push(hop);
    }
    this.table.setRoute(prefix, length, hops);
    if (hops.length > 0) this.installed.set(key, hops.length);
    else this.installed.delete(key);
  }
}
