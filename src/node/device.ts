/**
 * One VTEP device: the BGP speaker, the EVPN service and a data plane, wired together. The same
 * wiring serves the lab (sim backend, emulated links) and later the daemon (Linux backend).
 *
 * The glue, in both directions (seed 002's L2 population):
 * - data plane → EVPN: a MAC learnt on a local port is advertised (Type-2), an ARP binding seen
 *   locally is advertised as MAC+IP, an aged or flushed MAC is withdrawn;
 * - EVPN → data plane: remote MACs into the FDB, Type-3 VTEPs into the flood list, MAC+IP bindings
 *   into the neighbor table (ARP suppression), and a local MAC that moved away is forgotten.
 */
import type { BgpSpeaker } from '../bgp/speaker.js';
import type { SimSwitch, SwitchEvent } from '../dataplane/sim/switch.js';
import type { EvpnEvent, EvpnService } from '../evpn/service.js';

export interface VtepDeviceParts {
  readonly speaker: BgpSpeaker;
  readonly evpn: EvpnService;
  readonly dataplane: SimSwitch;
  /**
   * Runs a data-plane write decided by the control plane: at once by default; the lab passes its
   * control-plane model so each write takes the time a switch takes to program it.
   */
  readonly schedule?: (write: () => void) => void;
}

export class VtepDevice {
  readonly speaker: BgpSpeaker;
  readonly evpn: EvpnService;
  readonly dataplane: SimSwitch;
  /** The current time (ns) the driver last told us, for FDB entries installed from EVPN. */
  private now = 0;
  private readonly schedule: (write: () => void) => void;

  constructor(parts: VtepDeviceParts) {
    this.speaker = parts.speaker;
    this.evpn = parts.evpn;
    this.dataplane = parts.dataplane;
    this.schedule = parts.schedule ?? ((write) => write());
    this.evpn.onEvent((e) => this.schedule(() => this.onEvpnEvent(e)));
  }

  /** Applies data-plane events (from `dataplane.receive`, `poll`, `setPortUp`) to the control plane. */
  onSwitchEvents(events: readonly SwitchEvent[], now: number): void {
    this.now = now;
    for (const e of events) {
      if (!this.evpn.evis.has(e.vni)) continue;
      switch (e.type) {
        case 'local-learnt':
          this.evpn.addLocalMac(e.vni, e.mac);
          break;
        case 'local-neighbor':
          this.evpn.addLocalMac(e.vni, e.mac, e.ip);
          break;
        case 'local-aged':
          this.evpn.removeLocalMac(e.vni, e.mac);
          break;
      }
    }
  }

  private onEvpnEvent(e: EvpnEvent): void {
    const dp = this.dataplane;
    switch (e.type) {
      case 'remote-mac':
        if (e.action === 'add') dp.addRemoteMac(e.vni, e.mac, e.vtep, this.now);
        else dp.removeRemoteMac(e.vni, e.mac, e.vtep);
        break;
      case 'flood-vtep':
        if (e.action === 'add') dp.addFloodVtep(e.vni, e.vtep);
        else dp.removeFloodVtep(e.vni, e.vtep);
        break;
      case 'remote-neighbor':
        if (e.action === 'add') dp.addNeighbor(e.vni, e.ip, e.mac);
        else dp.removeNeighbor(e.vni, e.ip);
        break;
      case 'local-mac-moved':
        // RFC 7432 §15: another VTEP advertised it with a higher sequence; our entry is stale.
        dp.removeLocalMac(e.vni, e.mac);
        break;
      case 'remote-prefix':
        // Symmetric IRB: host routes (Type-2 MAC+IP with an L3VNI) and Type-5 prefixes of a VRF.
        if (e.action === 'add' && e.routerMac !== undefined)
          dp.addVrfRoute(e.l3vni, e.prefix, e.vtep, e.routerMac);
        else if (e.action === 'remove') dp.removeVrfRoute(e.l3vni, e.prefix, e.vtep);
        break;
    }
  }
}
